import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { asProblem, canEdit, unwrap, type Task } from "../api/client";
import { ProblemBanner } from "../components/Problem";
import { executionPath, taskPath, usePlugins } from "../components/tasks/api";
import { ExecutionStatus } from "../components/tasks/ExecutionStatus";
import { formatInZone } from "../components/tasks/time";
import "../components/tasks/tasks.css";
import { useI18n } from "../i18n/i18n";
import { addToSelector, formatTime, labelSelector } from "../lib/format";
import { useNamespace } from "../lib/namespace";
import { Link, navigate, useLocation, withQuery } from "../lib/router";
import { usePrincipal, useSession } from "../lib/session";
import { useDebounced } from "../lib/useDebounced";

const pageSizes = [20, 50, 100] as const;
type Status = "" | "active" | "paused";

/** useFilterText is a text filter that follows the URL and writes to it once typing stops. */
function useFilterText(urlValue: string, write: (v: string) => void): [string, (v: string) => void] {
  const [text, setText] = useState(urlValue);
  const written = useRef(urlValue);
  const debounced = useDebounced(text, 300);
  useEffect(() => {
    if (debounced.trim() !== written.current) {
      written.current = debounced.trim();
      write(debounced.trim());
    }
  }, [debounced, write]);
  // Back and forward change the URL: the field follows.
  useEffect(() => {
    if (urlValue !== written.current) {
      written.current = urlValue;
      setText(urlValue);
    }
  }, [urlValue]);
  return [text, setText];
}

/**
 * Tasks lists the namespace's tasks one server-side page at a time
 * (list-tasks with q, selector, status, cursor and limit), filters kept in
 * the URL. The cursor stack stays in memory: a reload starts at page one.
 */
export function Tasks() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { namespace } = useNamespace();
  const { query } = useLocation();
  const q = query.get("q") ?? "";
  const selector = query.get("selector") ?? "";
  const statusParam = query.get("status");
  const status: Status = statusParam === "active" || statusParam === "paused" ? statusParam : "";
  const limitParam = Number(query.get("limit"));
  const limit = (pageSizes as readonly number[]).includes(limitParam) ? limitParam : 50;
  const executor = query.get("executor") ?? "";
  // ?created=<name> and ?deleted=<name> are shown once, then dropped from the URL (a reload does not repeat them).
  const [created] = useState(() => query.get("created"));
  const [deleted] = useState(() => query.get("deleted"));

  const params = { q, selector, status, executor, limit: limit === 50 ? "" : limit, created: "", deleted: "" };
  const setParam = (k: keyof typeof params, v: string) => {
    navigate(withQuery("/tasks", { ...params, [k]: v }), { replace: true });
  };
  const setParamRef = useRef(setParam);
  setParamRef.current = setParam;
  useEffect(() => {
    if (query.has("created") || query.has("deleted")) setParamRef.current("created", "");
  }, [query]);

  const [qText, setQText] = useFilterText(q, useRef((v: string) => setParamRef.current("q", v)).current);
  const [selText, setSelText] = useFilterText(
    selector,
    useRef((v: string) => setParamRef.current("selector", v)).current,
  );

  // The cursors of the pages before this one; a new filter starts over.
  const filterKey = [namespace, q, selector, status, executor, limit].join("\u0000");
  const [pages, setPages] = useState<{ key: string; cursors: string[] }>({ key: filterKey, cursors: [""] });
  const cursors = pages.key === filterKey ? pages.cursors : [""];
  const cursor = cursors[cursors.length - 1] ?? "";

  const tasks = useQuery({
    queryKey: ["tasks", namespace, { q, selector, status, executor, limit, cursor }],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/tasks", {
          params: {
            query: {
              namespace,
              ...(q ? { q } : {}),
              ...(selector ? { selector } : {}),
              ...(status ? { status } : {}),
              ...(executor ? { executor } : {}),
              ...(cursor ? { cursor } : {}),
              limit,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    enabled: namespace !== "",
  });

  const rows: Task[] = tasks.data?.tasks ?? [];
  const next = tasks.data?.next_cursor;
  const filtered = q !== "" || selector !== "" || status !== "" || executor !== "";
  const editable = canEdit(principal, namespace);
  const plugins = usePlugins();
  const executors = (plugins.data?.plugins ?? []).map((p) => p.name);
  if (executor && !executors.includes(executor)) executors.unshift(executor);

  return (
    <section aria-labelledby="tasks-title">
      <div className="page-head">
        <h1 id="tasks-title">{t("tasks.title")}</h1>
        {editable && (
          <Link to="/tasks/new" className="button button-primary">
            {t("tasks.new")}
          </Link>
        )}
      </div>
      {created && (
        <p className="notice" role="status">
          {t("tasks.created", { name: created })}
        </p>
      )}
      {deleted && (
        <p className="notice" role="status">
          {t("tasks.deleted", { name: deleted })}
        </p>
      )}
      <form className="filters tk-task-filters" role="search" aria-label={t("tasks.filters")} onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          <span>{t("tasks.search")}</span>
          <input
            type="search"
            value={qText}
            placeholder={t("tasks.searchPlaceholder")}
            onChange={(e) => setQText(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{t("tasks.selector")}</span>
          <input
            type="search"
            value={selText}
            placeholder={t("tasks.selectorPlaceholder")}
            spellCheck={false}
            onChange={(e) => setSelText(e.target.value)}
            aria-invalid={tasks.error && asProblem(tasks.error).fields.selector ? true : undefined}
          />
        </label>
        <label className="field">
          <span>{t("tasks.status")}</span>
          <select value={status} onChange={(e) => setParam("status", e.target.value)}>
            <option value="">{t("tasks.status.all")}</option>
            <option value="active">{t("tasks.status.active")}</option>
            <option value="paused">{t("tasks.status.paused")}</option>
          </select>
        </label>
        <label className="field">
          <span>{t("tasks.executor")}</span>
          <select value={executor} onChange={(e) => setParam("executor", e.target.value)}>
            <option value="">{t("tasks.executor.all")}</option>
            {executors.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("tasks.pageSize")}</span>
          <select value={limit} onChange={(e) => setParam("limit", e.target.value === "50" ? "" : e.target.value)}>
            {pageSizes.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </form>

      {tasks.error ? (
        <ProblemBanner
          problem={asProblem(tasks.error)}
          action={
            <button type="button" className="button-quiet" onClick={() => void tasks.refetch()}>
              {t("app.retry")}
            </button>
          }
        />
      ) : tasks.isPending ? (
        <p aria-live="polite">{t("app.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="empty">{filtered ? t("tasks.empty") : t("tasks.emptyNamespace")}</p>
      ) : (
        <div className="table-wrap" aria-busy={tasks.isFetching}>
          <table className="table">
            <caption className="visually-hidden">{t("tasks.caption", { namespace })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("tasks.col.name")}</th>
                <th scope="col">{t("tasks.col.schedule")}</th>
                <th scope="col">{t("tasks.col.executor")}</th>
                <th scope="col">{t("tasks.col.labels")}</th>
                <th scope="col">{t("tasks.col.status")}</th>
                <th scope="col">{t("tasks.col.nextFire")}</th>
                <th scope="col">{t("tasks.col.lastResult")}</th>
                <th scope="col">{t("tasks.col.updated")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((task) => (
                <tr key={task.id}>
                  <th scope="row" data-label={t("tasks.col.name")}>
                    <Link to={taskPath(task.name)} className="task-name">
                      {task.name}
                    </Link>
                    {task.description && <span className="muted task-description">{task.description}</span>}
                  </th>
                  <td data-label={t("tasks.col.schedule")}>
                    {task.schedule ? <code>{task.schedule}</code> : <span className="muted">{t("tasks.manual")}</span>}
                    {task.timezone && task.timezone !== "UTC" && <span className="muted"> {task.timezone}</span>}
                  </td>
                  <td data-label={t("tasks.col.executor")}>{task.executor}</td>
                  <td data-label={t("tasks.col.labels")}>
                    <ul className="labels">
                      {Object.entries(task.labels ?? {}).map(([k, v]) => {
                        const term = labelSelector(k, v);
                        return (
                          <li key={k}>
                            <button
                              type="button"
                              className="label"
                              title={t("tasks.filterLabel", { label: term })}
                              onClick={() => {
                                const s = addToSelector(selector, term);
                                setSelText(s);
                                setParam("selector", s);
                              }}
                            >
                              {term}
                            </button>
                          </li>
                        );
                      })}
                    </ul>
                  </td>
                  <td data-label={t("tasks.col.status")}>
                    <span className={task.paused ? "status status-paused" : "status status-active"}>
                      {task.paused ? t("tasks.status.paused") : t("tasks.status.active")}
                    </span>
                  </td>
                  <td data-label={t("tasks.col.nextFire")}>
                    {task.next_fire_at ? (
                      <time
                        dateTime={task.next_fire_at}
                        title={`${formatInZone([task.next_fire_at], task.timezone, lang)[0]} (${task.timezone || "UTC"})`}
                      >
                        {formatTime(task.next_fire_at, lang)}
                      </time>
                    ) : (
                      <span className="muted">{t("tasks.noNext")}</span>
                    )}
                  </td>
                  <td data-label={t("tasks.col.lastResult")}>
                    {task.last_execution ? (
                      <>
                        <Link to={executionPath(task.last_execution.id)} className="tk-last-result">
                          <ExecutionStatus status={task.last_execution.status} />
                        </Link>
                        <time
                          className="muted tk-last-time"
                          dateTime={task.last_execution.finished_at ?? task.last_execution.scheduled_at}
                        >
                          {formatTime(task.last_execution.finished_at ?? task.last_execution.scheduled_at, lang)}
                        </time>
                      </>
                    ) : (
                      <span className="muted">{t("tasks.never")}</span>
                    )}
                  </td>
                  <td data-label={t("tasks.col.updated")}>
                    <time dateTime={task.updated_at}>{formatTime(task.updated_at, lang)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {(cursors.length > 1 || next) && (
        <nav className="pager" aria-label={t("tasks.page", { n: cursors.length })}>
          <button
            type="button"
            disabled={cursors.length <= 1 || tasks.isFetching}
            onClick={() => setPages({ key: filterKey, cursors: cursors.slice(0, -1) })}
          >
            {t("tasks.prev")}
          </button>
          <span>{t("tasks.page", { n: cursors.length })}</span>
          <button
            type="button"
            disabled={!next || tasks.isFetching}
            onClick={() => next && setPages({ key: filterKey, cursors: [...cursors, next] })}
          >
            {t("tasks.next")}
          </button>
        </nav>
      )}
    </section>
  );
}
