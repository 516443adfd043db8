import { useI18n } from "../../i18n/i18n";
import { formatTime } from "../../lib/format";
import { Link } from "../../lib/router";
import { durationMs, formatDuration, summary, type Execution } from "./model";
import { StatusBadge, TriggerLabel } from "./StatusBadge";

/** ExecutionTable is a page of executions; it scrolls sideways inside its box on a narrow screen. */
export function ExecutionTable({ rows, busy, caption }: { rows: Execution[]; busy: boolean; caption: string }) {
  const { t, lang } = useI18n();
  const now = Date.now();
  return (
    <div className="table-wrap xtable-wrap" aria-busy={busy} tabIndex={0} role="region" aria-label={caption}>
      <table className="table table-scroll xtable">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("executions.col.task")}</th>
            <th scope="col">{t("executions.col.scheduled")}</th>
            <th scope="col">{t("executions.col.started")}</th>
            <th scope="col">{t("executions.col.duration")}</th>
            <th scope="col">{t("executions.col.status")}</th>
            <th scope="col">{t("executions.col.attempt")}</th>
            <th scope="col">{t("executions.col.trigger")}</th>
            <th scope="col">{t("executions.col.node")}</th>
            <th scope="col">{t("executions.col.result")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((x) => {
            const sum = summary(x, 90);
            const ms = durationMs(x, now);
            return (
              <tr key={x.id}>
                <th scope="row" className="nowrap">
                  <Link to={`/tasks/${encodeURIComponent(x.task_name)}`} className="xtask">
                    {x.task_name}
                  </Link>
                </th>
                <td className="nowrap">
                  <Link to={`/executions/${encodeURIComponent(x.id)}`} title={t("executions.open", { id: x.id })}>
                    <time dateTime={x.scheduled_at}>{formatTime(x.scheduled_at, lang)}</time>
                  </Link>
                </td>
                <td className="nowrap">
                  {x.started_at ? (
                    <time dateTime={x.started_at}>{formatTime(x.started_at, lang)}</time>
                  ) : (
                    <span className="muted">{t("executions.notStarted")}</span>
                  )}
                </td>
                <td className="nowrap num">
                  {ms !== undefined ? formatDuration(ms) : <span className="muted">–</span>}
                </td>
                <td>
                  <StatusBadge status={x.status} />
                </td>
                <td className="num">{x.attempt}</td>
                <td className="nowrap">
                  <TriggerLabel trigger={x.trigger} />
                </td>
                <td className="nowrap">{x.node || <span className="muted">–</span>}</td>
                <td className="xresult">
                  {sum.kind === "error" ? (
                    <span className="xresult-error">{sum.text}</span>
                  ) : sum.kind === "reason" ? (
                    <span className="muted">{sum.text}</span>
                  ) : sum.kind === "output" ? (
                    <code className="xresult-output">{sum.text}</code>
                  ) : (
                    <span className="muted">–</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
