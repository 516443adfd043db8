import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { asProblem, unwrap } from "../api/client";
import { ExecutionTable } from "../components/executions/ExecutionTable";
import { isActive, listQuery, parseStatuses, statuses, type Execution, type ExecutionStatus } from "../components/executions/model";
import { statusLabel } from "../components/executions/StatusBadge";
import { ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { useNamespace } from "../lib/namespace";
import { Link, navigate, useLocation, withQuery } from "../lib/router";
import { useSession } from "../lib/session";
import { useDebounced } from "../lib/useDebounced";

const pageSizes = [20, 50, 100] as const;
/** How often the list is read again while a row is pending or running. */
export const activeRefreshMs = 2000;

/**
 * Executions lists the namespace's executions (list-executions), or one
 * task's (list-task-executions with ?task=), newest first, one server-side
 * page at a time; filters by status and scheduled time are kept in the URL.
 * While a row shown is pending or running the page is read again every 2 s.
 */
export function Executions() {
  const { t } = useI18n();
  const { api } = useSession();
  const { namespace } = useNamespace();
  const { query } = useLocation();
  const task = query.get("task") ?? "";
  const selected = parseStatuses(query.get("status"));
  const from = query.get("from") ?? "";
  const to = query.get("to") ?? "";
  const limitParam = Number(query.get("limit"));
  const limit = (pageSizes as readonly number[]).includes(limitParam) ? limitParam : 50;

  const params = { task, status: selected.join(","), from, to, limit: limit === 50 ? "" : limit };
  const setParams = (p: Partial<Record<keyof typeof params, string>>) => {
    navigate(withQuery("/executions", { ...params, ...p }), { replace: true });
  };
  const setParamsRef = useRef(setParams);
  setParamsRef.current = setParams;

  // The task field writes to the URL once typing stops, and follows it on back and forward.
  const [taskText, setTaskText] = useState(task);
  const writtenTask = useRef(task);
  const debouncedTask = useDebounced(taskText.trim(), 400);
  useEffect(() => {
    if (debouncedTask !== writtenTask.current) {
      writtenTask.current = debouncedTask;
      setParamsRef.current({ task: debouncedTask });
    }
  }, [debouncedTask]);
  useEffect(() => {
    if (task !== writtenTask.current) {
      writtenTask.current = task;
      setTaskText(task);
    }
  }, [task]);

  const filterKey = [namespace, task, selected.join(","), from, to, limit].join("\u0000");
  const [pages, setPages] = useState<{ key: string; cursors: string[] }>({ key: filterKey, cursors: [""] });
  const cursors = pages.key === filterKey ? pages.cursors : [""];
  const cursor = cursors[cursors.length - 1] ?? "";

  const q = listQuery({ namespace, statuses: selected, from, to, cursor, limit });
  const list = useQuery({
    queryKey: ["executions", namespace, { task, q }],
    queryFn: () =>
      task
        ? unwrap(api.GET("/api/v1/tasks/{name}/executions", { params: { path: { name: task }, query: q } }))
        : unwrap(api.GET("/api/v1/executions", { params: { query: q } })),
    placeholderData: keepPreviousData,
    enabled: namespace !== "",
    refetchInterval: (qr) =>
      (qr.state.data?.executions ?? []).some((x) => isActive(x.status)) ? activeRefreshMs : false,
  });

  const rows: Execution[] = list.data?.executions ?? [];
  const next = list.data?.next_cursor;
  const filtered = selected.length > 0 || from !== "" || to !== "";
  const live = rows.some((x) => isActive(x.status));

  const toggle = (s: ExecutionStatus) => {
    const set = new Set(selected);
    if (set.has(s)) set.delete(s);
    else set.add(s);
    setParams({ status: statuses.filter((x) => set.has(x)).join(",") });
  };

  return (
    <section aria-labelledby="executions-title" className="executions">
      <div className="page-head">
        <h1 id="executions-title">{task ? t("executions.titleTask", { task }) : t("executions.title")}</h1>
        {task && (
          <Link to={withQuery("/executions", { ...params, task: "" })} className="button button-quiet">
            {t("executions.allTasks")}
          </Link>
        )}
      </div>

      <form
        className="xfilters"
        role="search"
        aria-label={t("executions.filters")}
        onSubmit={(e) => e.preventDefault()}
      >
        <fieldset className="xchips">
          <legend>{t("executions.status")}</legend>
          <div className="xchips-list">
            {statuses.map((s) => (
              <button
                key={s}
                type="button"
                className={`xchip xchip-${s}`}
                aria-pressed={selected.includes(s)}
                onClick={() => toggle(s)}
              >
                {t(statusLabel[s])}
              </button>
            ))}
            {selected.length > 0 && (
              <button type="button" className="button-quiet xchip-clear" onClick={() => setParams({ status: "" })}>
                {t("executions.status.clear")}
              </button>
            )}
          </div>
        </fieldset>
        <div className="xfilters-row">
          <label className="field">
            <span>{t("executions.task")}</span>
            <input
              type="search"
              value={taskText}
              placeholder={t("executions.taskPlaceholder")}
              spellCheck={false}
              onChange={(e) => setTaskText(e.target.value)}
            />
          </label>
          <label className="field">
            <span>{t("executions.from")}</span>
            <input
              type="datetime-local"
              value={from}
              max={to || undefined}
              onChange={(e) => setParams({ from: e.target.value })}
            />
          </label>
          <label className="field">
            <span>{t("executions.to")}</span>
            <input
              type="datetime-local"
              value={to}
              min={from || undefined}
              onChange={(e) => setParams({ to: e.target.value })}
            />
          </label>
          <label className="field">
            <span>{t("executions.pageSize")}</span>
            <select value={limit} onChange={(e) => setParams({ limit: e.target.value === "50" ? "" : e.target.value })}>
              {pageSizes.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
      </form>

      <div className="xlive">
        <p className="muted" aria-live="polite">
          {live ? t("executions.live") : ""}
        </p>
        <button type="button" className="button-quiet" onClick={() => void list.refetch()}>
          {t("executions.refresh")}
        </button>
      </div>

      {list.error ? (
        <ProblemBanner
          problem={asProblem(list.error)}
          action={
            <button type="button" className="button-quiet" onClick={() => void list.refetch()}>
              {t("app.retry")}
            </button>
          }
        />
      ) : list.isPending ? (
        <p aria-live="polite">{t("app.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="empty">{filtered ? t("executions.empty") : t("executions.emptyNone")}</p>
      ) : (
        <ExecutionTable
          rows={rows}
          busy={list.isPlaceholderData}
          caption={task ? t("executions.captionTask", { task, namespace }) : t("executions.caption", { namespace })}
        />
      )}

      {(cursors.length > 1 || next) && (
        <nav className="pager" aria-label={t("executions.pager")}>
          <button
            type="button"
            disabled={cursors.length <= 1 || list.isPlaceholderData}
            onClick={() => setPages({ key: filterKey, cursors: cursors.slice(0, -1) })}
          >
            {t("executions.prev")}
          </button>
          <span>{t("executions.page", { n: cursors.length })}</span>
          <button
            type="button"
            disabled={!next || list.isPlaceholderData}
            onClick={() => next && setPages({ key: filterKey, cursors: [...cursors, next] })}
          >
            {t("executions.next")}
          </button>
        </nav>
      )}
    </section>
  );
}
