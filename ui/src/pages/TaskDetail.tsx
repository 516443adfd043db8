import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { asProblem, canEdit, unwrap, type Problem, type Task } from "../api/client";
import { ProblemBanner } from "../components/Problem";
import {
  executionPath,
  finished,
  taskKey,
  taskPath,
  useTask,
  type Execution,
  type TaskRead,
} from "../components/tasks/api";
import { ConfirmDialog } from "../components/tasks/ConfirmDialog";
import { describeSchedule } from "../components/tasks/cron";
import { ExecutionStatus } from "../components/tasks/ExecutionStatus";
import { durationMs, formatInZone } from "../components/tasks/time";
import "../components/tasks/tasks.css";
import { useI18n } from "../i18n/i18n";
import { formatTime, labelSelector } from "../lib/format";
import { useNamespace } from "../lib/namespace";
import { Link, navigate, useLocation, withQuery } from "../lib/router";
import { usePrincipal, useSession } from "../lib/session";

const recent = 10;

function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

/**
 * TaskDetail shows one task (get-task): its schedule in words and its next
 * 5 fire times (preview-task) in its time zone, executor and config,
 * labels and policies, and its latest executions (list-task-executions).
 * Editors and admins get Edit, Pause/Resume, Trigger now and Delete (with a
 * confirmation naming the task); viewers see none of them.
 */
export function TaskDetail({ name }: { name: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { namespace } = useNamespace();
  const { query } = useLocation();
  const client = useQueryClient();
  const editable = canEdit(principal, namespace);

  const task = useTask(name);
  const data = task.data?.task;
  const etag = task.data?.etag;

  // ?created=1 and ?saved=1 say so once, then leave the URL.
  const [arrived] = useState(() => (query.get("created") ? "created" : query.get("saved") ? "saved" : ""));
  useEffect(() => {
    if (query.has("created") || query.has("saved")) navigate(taskPath(name), { replace: true });
  }, [query, name]);

  const preview = useQuery({
    queryKey: ["task-preview", namespace, name, data?.version, data?.paused],
    queryFn: () =>
      unwrap(api.GET("/api/v1/tasks/{name}/preview", { params: { path: { name }, query: { namespace, count: 5 } } })),
    enabled: !!data,
    staleTime: 30_000,
  });

  const executions = useQuery({
    queryKey: ["task-executions", namespace, name],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/tasks/{name}/executions", { params: { path: { name }, query: { namespace, limit: recent } } }),
      ),
    enabled: !!data,
    // While one is pending or running, look again every few seconds.
    refetchInterval: (q) =>
      (q.state.data?.executions ?? []).some((e) => !finished.includes(e.status)) ? 3000 : false,
  });

  // New executions (a trigger, a fire, a retry) change the task's last result: read it again.
  const latest = executions.data?.executions?.[0];
  const latestKey = executions.data ? (latest ? `${latest.id}:${latest.status}` : "none") : null;
  const seen = useRef<string | null>(null);
  useEffect(() => {
    if (latestKey === null || latestKey === seen.current) return;
    const first = seen.current === null;
    seen.current = latestKey;
    if (!first) void client.invalidateQueries({ queryKey: taskKey(namespace, name) });
  }, [latestKey, client, namespace, name]);

  const [actionProblem, setActionProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState<"" | "pause" | "resume" | "trigger" | "delete">("");
  const [triggered, setTriggered] = useState<Execution | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleteProblem, setDeleteProblem] = useState<Problem | null>(null);
  const status = useRef<HTMLParagraphElement>(null);

  const afterChange = (saved: Task) => {
    client.setQueryData<TaskRead>(taskKey(namespace, name), { task: saved, etag: `"${saved.version}"` });
    void client.invalidateQueries({ queryKey: ["tasks", namespace] });
  };

  const pauseOrResume = async () => {
    if (!data) return;
    const action = data.paused ? "resume" : "pause";
    setBusy(action);
    setActionProblem(null);
    try {
      const saved = await unwrap(
        action === "pause"
          ? api.POST("/api/v1/tasks/{name}/pause", { params: { path: { name }, query: { namespace } } })
          : api.POST("/api/v1/tasks/{name}/resume", { params: { path: { name }, query: { namespace } } }),
      );
      afterChange(saved);
    } catch (err) {
      setActionProblem(asProblem(err));
    } finally {
      setBusy("");
    }
  };

  const trigger = async () => {
    setBusy("trigger");
    setActionProblem(null);
    setTriggered(null);
    try {
      const ex = await unwrap(api.POST("/api/v1/tasks/{name}/trigger", { params: { path: { name }, query: { namespace } } }));
      setTriggered(ex);
      void client.invalidateQueries({ queryKey: ["task-executions", namespace, name] });
      status.current?.focus();
    } catch (err) {
      setActionProblem(asProblem(err));
    } finally {
      setBusy("");
    }
  };

  const remove = async () => {
    setBusy("delete");
    setDeleteProblem(null);
    try {
      await unwrap(
        api.DELETE("/api/v1/tasks/{name}", {
          params: { path: { name }, query: { namespace }, header: etag ? { "If-Match": etag } : {} },
        }),
      );
      setConfirming(false);
      client.removeQueries({ queryKey: taskKey(namespace, name) });
      await client.invalidateQueries({ queryKey: ["tasks", namespace] });
      navigate(withQuery("/tasks", { deleted: name }));
    } catch (err) {
      setDeleteProblem(asProblem(err));
    } finally {
      setBusy("");
    }
  };

  if (task.error) {
    const p = asProblem(task.error);
    return (
      <section aria-labelledby="task-title" className="tk-task-page">
        <p className="tk-breadcrumb">
          <Link to="/tasks">{t("tasks.title")}</Link>
        </p>
        <h1 id="task-title">{name}</h1>
        {p.status === 404 ? (
          <p className="notice tk-notice-warn">{t("taskDetail.notFound", { name, namespace })}</p>
        ) : (
          <ProblemBanner
            problem={p}
            action={
              <button type="button" className="button-quiet" onClick={() => void task.refetch()}>
                {t("app.retry")}
              </button>
            }
          />
        )}
      </section>
    );
  }
  if (!data) {
    return (
      <section className="tk-task-page">
        <p aria-live="polite">{t("app.loading")}</p>
      </section>
    );
  }

  const words = describeSchedule(data.schedule, t, lang);
  const next = preview.data?.next ?? [];
  const nextTimes = formatInZone(next, data.timezone, lang);
  const labels = Object.entries(data.labels ?? {});
  const runs = executions.data?.executions ?? [];
  const retry = data.retry ?? {};

  return (
    <section aria-labelledby="task-title" className="tk-task-page">
      <p className="tk-breadcrumb">
        <Link to="/tasks">{t("tasks.title")}</Link>
        <span aria-hidden="true"> / </span>
      </p>
      <div className="page-head tk-task-head">
        <div>
          <h1 id="task-title">
            {data.name}{" "}
            <span className={data.paused ? "status status-paused" : "status status-active"}>
              {data.paused ? t("tasks.status.paused") : t("tasks.status.active")}
            </span>
          </h1>
          {data.description && <p className="muted tk-task-lead">{data.description}</p>}
        </div>
        {editable && (
          <div className="actions tk-task-actions" role="group" aria-label={t("taskDetail.actions")}>
            <Link to={taskPath(data.name, "/edit")} className="button">
              {t("taskDetail.edit")}
            </Link>
            <button type="button" onClick={() => void pauseOrResume()} disabled={busy !== ""} aria-busy={busy === "pause" || busy === "resume"}>
              {data.paused ? t("taskDetail.resume") : t("taskDetail.pause")}
            </button>
            <button type="button" className="button-primary" onClick={() => void trigger()} disabled={busy !== ""} aria-busy={busy === "trigger"}>
              {busy === "trigger" ? t("taskDetail.triggering") : t("taskDetail.trigger")}
            </button>
            <button
              type="button"
              className="tk-button-danger-quiet"
              onClick={() => {
                setDeleteProblem(null);
                setConfirming(true);
              }}
              disabled={busy !== ""}
            >
              {t("taskDetail.delete")}
            </button>
          </div>
        )}
      </div>

      {arrived && (
        <p className="notice" role="status">
          {arrived === "created" ? t("taskDetail.created", { name: data.name }) : t("taskDetail.saved")}
        </p>
      )}
      {triggered && (
        <p className="notice" role="status" tabIndex={-1} ref={status}>
          {t("taskDetail.triggered")}{" "}
          <Link to={executionPath(triggered.id)} className="mono">
            {triggered.id}
          </Link>{" "}
          <ExecutionStatus status={triggered.status} />
        </p>
      )}
      <ProblemBanner problem={actionProblem} />

      <div className="tk-task-grid">
        <section className="card" aria-labelledby="task-schedule">
          <h2 id="task-schedule" className="tk-section-title">
            {t("taskDetail.schedule")}
          </h2>
          <dl className="tk-props">
            <dt>{t("newTask.schedule")}</dt>
            <dd>
              {data.schedule ? (
                <>
                  <strong>{words ?? data.schedule}</strong>
                  <br />
                  <code>{data.schedule}</code>
                </>
              ) : (
                <span className="muted">{t("tasks.manual")}</span>
              )}
            </dd>
            <dt>{t("newTask.timezone")}</dt>
            <dd>{data.timezone || "UTC"}</dd>
            <dt>{t("tasks.col.lastResult")}</dt>
            <dd>
              {data.last_execution ? (
                <>
                  <Link to={executionPath(data.last_execution.id)} className="tk-last-result">
                    <ExecutionStatus status={data.last_execution.status} />
                  </Link>{" "}
                  <time className="muted" dateTime={data.last_execution.finished_at ?? data.last_execution.scheduled_at}>
                    {formatTime(data.last_execution.finished_at ?? data.last_execution.scheduled_at, lang)}
                  </time>
                </>
              ) : (
                <span className="muted">{t("tasks.never")}</span>
              )}
            </dd>
            {(data.start_at || data.end_at) && (
              <>
                <dt>{t("taskDetail.window")}</dt>
                <dd>
                  {data.start_at ? formatTime(data.start_at, lang) : "…"} – {data.end_at ? formatTime(data.end_at, lang) : "…"}
                </dd>
              </>
            )}
          </dl>
          <h3 className="tk-subsection-title">{t("cron.nextTitle", { n: 5, zone: data.timezone || "UTC" })}</h3>
          {preview.error ? (
            <ProblemBanner problem={asProblem(preview.error)} />
          ) : preview.isPending ? (
            <p className="muted">{t("app.loading")}</p>
          ) : next.length === 0 ? (
            <p className="muted">
              {data.paused ? t("taskDetail.noNextPaused") : data.schedule ? t("cron.noNext") : t("tasks.manual")}
            </p>
          ) : (
            <ol className="tk-cron-next">
              {next.map((iso, i) => (
                <li key={iso}>
                  <time dateTime={iso}>{nextTimes[i]}</time>
                </li>
              ))}
            </ol>
          )}
        </section>

        <section className="card" aria-labelledby="task-policies">
          <h2 id="task-policies" className="tk-section-title">
            {t("taskDetail.settings")}
          </h2>
          <dl className="tk-props">
            <dt>{t("newTask.executor")}</dt>
            <dd>
              <code>{data.executor}</code>
            </dd>
            <dt>{t("taskForm.labels")}</dt>
            <dd>
              {labels.length === 0 ? (
                <span className="muted">{t("kv.none")}</span>
              ) : (
                <ul className="labels">
                  {labels.map(([k, v]) => (
                    <li key={k}>
                      <Link className="label" to={withQuery("/tasks", { selector: labelSelector(k, v) })}>
                        {labelSelector(k, v)}
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>{t("taskForm.timeout")}</dt>
            <dd>{data.timeout}</dd>
            <dt>{t("taskForm.retry")}</dt>
            <dd>
              {(retry.max_attempts ?? 1) <= 1
                ? t("taskDetail.noRetry")
                : t("taskDetail.retry", {
                    n: retry.max_attempts ?? 1,
                    initial: retry.initial_backoff ?? "",
                    max: retry.max_backoff ?? "",
                    mult: retry.multiplier ?? "",
                    jitter: retry.jitter ?? 0,
                  })}
            </dd>
            <dt>{t("taskForm.misfire")}</dt>
            <dd>
              {policyLabel(t, "misfire", data.misfire)}
              {data.misfire === "catch_up" && <span className="muted"> · {t("taskDetail.catchUpLimit", { n: data.catch_up_limit })}</span>}
            </dd>
            <dt>{t("taskForm.concurrency")}</dt>
            <dd>{policyLabel(t, "concurrency", data.concurrency)}</dd>
            <dt>{t("taskDetail.version")}</dt>
            <dd>{data.version}</dd>
            <dt>{t("taskDetail.updated")}</dt>
            <dd>
              <time dateTime={data.updated_at}>{formatTime(data.updated_at, lang)}</time>
              <span className="muted">
                {" "}
                · {t("taskDetail.createdAt")} <time dateTime={data.created_at}>{formatTime(data.created_at, lang)}</time>
              </span>
            </dd>
          </dl>
        </section>
      </div>

      <section className="card" aria-labelledby="task-config">
        <h2 id="task-config" className="tk-section-title">
          {t("taskForm.config")}
        </h2>
        <pre className="tk-json" tabIndex={0} aria-labelledby="task-config">
          {JSON.stringify(data.config ?? {}, null, 2)}
        </pre>
      </section>

      <section className="card" aria-labelledby="task-runs">
        <div className="tk-section-head">
          <h2 id="task-runs" className="tk-section-title">
            {t("taskDetail.recent")}
          </h2>
          <Link to={withQuery("/executions", { task: data.name })}>{t("taskDetail.allExecutions")}</Link>
        </div>
        {executions.error ? (
          <ProblemBanner problem={asProblem(executions.error)} />
        ) : executions.isPending ? (
          <p className="muted">{t("app.loading")}</p>
        ) : runs.length === 0 ? (
          <p className="muted">{t("taskDetail.noExecutions")}</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">{t("taskDetail.recentCaption", { name: data.name })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("taskDetail.col.execution")}</th>
                  <th scope="col">{t("taskDetail.col.status")}</th>
                  <th scope="col">{t("taskDetail.col.trigger")}</th>
                  <th scope="col">{t("taskDetail.col.scheduled")}</th>
                  <th scope="col">{t("taskDetail.col.duration")}</th>
                  <th scope="col">{t("taskDetail.col.attempt")}</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((e) => (
                  <tr key={e.id}>
                    <th scope="row" data-label={t("taskDetail.col.execution")}>
                      <Link to={executionPath(e.id)} className="mono tk-nowrap" title={e.id}>
                        {shortId(e.id)}
                      </Link>
                    </th>
                    <td data-label={t("taskDetail.col.status")}>
                      <ExecutionStatus status={e.status} />
                      {e.error && <span className="muted tk-exec-error"> {e.error}</span>}
                    </td>
                    <td data-label={t("taskDetail.col.trigger")}>{t(`taskDetail.trigger.${e.trigger}`)}</td>
                    <td data-label={t("taskDetail.col.scheduled")}>
                      <time dateTime={e.scheduled_at}>{formatTime(e.scheduled_at, lang)}</time>
                    </td>
                    <td data-label={t("taskDetail.col.duration")}>{durationMs(e.duration_ms)}</td>
                    <td data-label={t("taskDetail.col.attempt")}>{e.attempt}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {confirming && (
        <ConfirmDialog
          title={t("taskDetail.deleteTitle", { name: data.name })}
          confirmLabel={busy === "delete" ? t("taskDetail.deleting") : t("taskDetail.deleteConfirm")}
          cancelLabel={t("newTask.cancel")}
          onConfirm={() => void remove()}
          onCancel={() => setConfirming(false)}
          busy={busy === "delete"}
        >
          <p>{t("taskDetail.deleteBody", { name: data.name, namespace })}</p>
          {deleteProblem &&
            (deleteProblem.status === 409 || deleteProblem.status === 412 ? (
              <div className="problem" role="alert">
                <p className="problem-message">{t("taskDetail.deleteConflict")}</p>
                <button
                  type="button"
                  className="button-quiet"
                  onClick={() => {
                    setConfirming(false);
                    setDeleteProblem(null);
                    void task.refetch();
                  }}
                >
                  {t("taskForm.reload")}
                </button>
              </div>
            ) : (
              <ProblemBanner problem={deleteProblem} />
            ))}
        </ConfirmDialog>
      )}
    </section>
  );
}

function policyLabel(t: ReturnType<typeof useI18n>["t"], kind: "misfire" | "concurrency", v: string): string {
  const known: Record<string, string[]> = { misfire: ["skip", "run_once", "catch_up"], concurrency: ["allow", "forbid", "replace"] };
  if (!known[kind]!.includes(v)) return v;
  return t(`policy.${kind}.${v}` as Parameters<typeof t>[0]);
}
