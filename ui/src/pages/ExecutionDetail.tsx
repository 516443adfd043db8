import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState, type ReactNode } from "react";

import { asProblem, canEdit, unwrap } from "../api/client";
import { ExecutionActions } from "../components/executions/ExecutionActions";
import { LogView } from "../components/executions/LogView";
import { durationMs, formatDuration, isActive, prettyOutput, type Execution } from "../components/executions/model";
import { StatusBadge, TriggerLabel } from "../components/executions/StatusBadge";
import { ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { formatTime } from "../lib/format";
import { useNamespace } from "../lib/namespace";
import { Link, useLocation } from "../lib/router";
import { usePrincipal, useSession } from "../lib/session";

/** How often a pending or running execution is read again (its status, start, node). */
const activeRefreshMs = 2000;

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="xfield">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/**
 * ExecutionDetail shows one execution (get-execution): its fields, output,
 * error and reason, and its log, followed live while it runs. Editors and
 * admins get Cancel while it is pending or running and Retry once it ended.
 */
export function ExecutionDetail({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { namespace } = useNamespace();
  const { query } = useLocation();
  const retriedFrom = query.get("retried");
  const qc = useQueryClient();
  const key = ["execution", namespace, id];

  const x = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET("/api/v1/executions/{id}", { params: { path: { id }, query: { namespace } } })),
    enabled: namespace !== "",
    refetchInterval: (q) => (isActive(q.state.data?.status) ? activeRefreshMs : false),
  });

  const onEnd = useCallback(
    (ended: Execution) => {
      qc.setQueryData(["execution", namespace, ended.id], ended);
      void qc.invalidateQueries({ queryKey: ["executions", namespace] });
    },
    [qc, namespace],
  );
  const [wrap, setWrap] = useState(true);

  if (x.error) {
    return (
      <section aria-labelledby="execution-title">
        <h1 id="execution-title">{t("execution.title")}</h1>
        <ProblemBanner
          problem={asProblem(x.error)}
          action={
            <button type="button" className="button-quiet" onClick={() => void x.refetch()}>
              {t("app.retry")}
            </button>
          }
        />
        <p>
          <Link to="/executions">{t("execution.back")}</Link>
        </p>
      </section>
    );
  }
  if (x.isPending) return <p aria-live="polite">{t("app.loading")}</p>;

  const e = x.data;
  const ms = durationMs(e);
  const output = e.output ? prettyOutput(e.output) : null;
  const editable = canEdit(principal, namespace);

  return (
    <section aria-labelledby="execution-title" className="execution">
      <p className="crumbs">
        <Link to="/executions">{t("nav.executions")}</Link>
        <span aria-hidden="true"> / </span>
        <Link to={`/executions?task=${encodeURIComponent(e.task_name)}`}>{e.task_name}</Link>
      </p>
      <div className="page-head">
        <h1 id="execution-title" className="xtitle">
          {t("execution.titleOf", { task: e.task_name })} <StatusBadge status={e.status} />
        </h1>
        {editable && <ExecutionActions namespace={namespace} execution={e} />}
      </div>
      {retriedFrom && (
        <p className="notice" role="status">
          {t("execution.retried", { id: retriedFrom })}
        </p>
      )}

      <dl className="xfields card">
        <Row label={t("execution.id")}>
          <code className="break">{e.id}</code>
        </Row>
        <Row label={t("execution.task")}>
          <Link to={`/tasks/${encodeURIComponent(e.task_name)}`}>{e.task_name}</Link>
        </Row>
        <Row label={t("execution.namespace")}>{e.namespace}</Row>
        <Row label={t("execution.status")}>
          <StatusBadge status={e.status} />
        </Row>
        <Row label={t("execution.trigger")}>
          <TriggerLabel trigger={e.trigger} />
        </Row>
        <Row label={t("execution.attempt")}>
          {e.attempt}
          {e.first_execution_id && e.first_execution_id !== e.id && (
            <>
              {" · "}
              <Link to={`/executions/${encodeURIComponent(e.first_execution_id)}`}>{t("execution.firstAttempt")}</Link>
            </>
          )}
        </Row>
        <Row label={t("execution.scheduled")}>
          <time dateTime={e.scheduled_at} title={e.scheduled_at}>
            {formatTime(e.scheduled_at, lang)}
          </time>
        </Row>
        <Row label={t("execution.started")}>
          {e.started_at ? (
            <time dateTime={e.started_at} title={e.started_at}>
              {formatTime(e.started_at, lang)}
            </time>
          ) : (
            <span className="muted">{t("executions.notStarted")}</span>
          )}
        </Row>
        <Row label={t("execution.finished")}>
          {e.finished_at ? (
            <time dateTime={e.finished_at} title={e.finished_at}>
              {formatTime(e.finished_at, lang)}
            </time>
          ) : (
            <span className="muted">–</span>
          )}
        </Row>
        <Row label={t("execution.duration")}>{ms !== undefined ? formatDuration(ms) : <span className="muted">–</span>}</Row>
        <Row label={t("execution.node")}>{e.node || <span className="muted">–</span>}</Row>
        <Row label={t("execution.taskId")}>
          <code className="break">{e.task_id}</code>
        </Row>
      </dl>

      {e.reason && (
        <section className="xblock" aria-labelledby="x-reason">
          <h2 id="x-reason">{t("execution.reason")}</h2>
          <p className="xreason">{e.reason}</p>
        </section>
      )}
      {e.error && (
        <section className="xblock" aria-labelledby="x-error">
          <h2 id="x-error">{t("execution.error")}</h2>
          <pre className="xpre xpre-error">{e.error}</pre>
        </section>
      )}
      {output && (
        <section className="xblock" aria-labelledby="x-output">
          <h2 id="x-output">
            {t("execution.output")} {output.json && <span className="badge">JSON</span>}
          </h2>
          <pre className="xpre" tabIndex={0}>
            {output.text}
          </pre>
        </section>
      )}

      <section className={wrap ? "xblock" : "xblock xlog-nowrap"} aria-labelledby="x-log">
        <div className="xblock-head">
          <h2 id="x-log">{t("execution.log")}</h2>
          <label className="checkbox">
            <input type="checkbox" checked={wrap} onChange={(ev) => setWrap(ev.target.checked)} />
            {t("execution.log.wrap")}
          </label>
        </div>
        <LogView key={e.id} api={api} namespace={namespace} execution={e} onEnd={onEnd} />
      </section>
    </section>
  );
}
