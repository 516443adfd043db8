import { useQuery } from "@tanstack/react-query";

import { ApiError, asProblem, problem, unwrap } from "../api/client";
import { useNow } from "../components/admin/hooks";
import { RelativeTime } from "../components/admin/RelativeTime";
import { ageSeconds, formatDuration, formatInstant, heartbeatLevel } from "../components/admin/time";
import { ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../lib/session";

/** How often the page asks again, in ms. */
export const nodesRefresh = 5000;

/**
 * clockOffset estimates the server's clock minus the browser's (ms) from a
 * response's Date header (whole seconds, so half a second is added) and the
 * moment it arrived. Under two seconds it is noise and counts as 0.
 */
export function clockOffset(dateHeader: string | null, receivedAt: number): number {
  if (!dateHeader) return 0;
  const server = Date.parse(dateHeader);
  if (Number.isNaN(server)) return 0;
  const off = server + 500 - receivedAt;
  return Math.abs(off) < 2000 ? 0 : off;
}

/** isHttpUrl reports whether an advertised address can be a link. */
function isHttpUrl(s: string | undefined): s is string {
  return !!s && /^https?:\/\/[^\s]+$/i.test(s);
}

/**
 * Nodes lists the cluster's live nodes (list-nodes), refreshed every 5 s,
 * with each heartbeat's age counted live. The engine figures only the
 * answering node reports (claimed, waiting, tasks queued; get-node) are
 * shown on its row; the others show a dash (list-nodes does not carry them).
 */
export function Nodes() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const now = useNow(1000);

  const list = useQuery({
    queryKey: ["nodes"],
    queryFn: async () => {
      const { data, error, response } = await api.GET("/api/v1/nodes");
      if (!response.ok) throw new ApiError(problem(error, response.status));
      const nodes = [...(data?.nodes ?? [])].sort((a, b) => a.id.localeCompare(b.id));
      return { nodes, offset: clockOffset(response.headers.get("Date"), Date.now()) };
    },
    refetchInterval: nodesRefresh,
    staleTime: 0,
  });
  const self = useQuery({
    queryKey: ["node"],
    queryFn: () => unwrap(api.GET("/api/v1/node")),
    refetchInterval: nodesRefresh,
    staleTime: 0,
  });

  const nodes = list.data?.nodes ?? [];
  // The clock ticks each second; an answer that came in since counts from its arrival.
  const at = Math.max(now, list.dataUpdatedAt);
  const offset = list.data?.offset ?? 0;
  const held = nodes.reduce((sum, n) => sum + (n.partitions_held ?? 0), 0);
  const me = self.data;

  return (
    <section aria-labelledby="nodes-title" className="admin-page">
      <div className="page-head">
        <h1 id="nodes-title">{t("nodes.title")}</h1>
        <p className="muted page-hint">{t("nodes.refresh", { s: nodesRefresh / 1000 })}</p>
      </div>
      {me && (
        <dl className="facts">
          <div>
            <dt>{t("nodes.mode")}</dt>
            <dd>{me.mode === "cluster" ? t("nodes.mode.cluster") : t("nodes.mode.embedded")}</dd>
          </div>
          <div>
            <dt>{t("nodes.store")}</dt>
            <dd>{me.store === "mysql" ? "MySQL / MariaDB" : "SQLite"}</dd>
          </div>
          <div>
            <dt>{t("nodes.count")}</dt>
            <dd>{nodes.length}</dd>
          </div>
          <div>
            <dt>{t("nodes.partitionsHeld")}</dt>
            <dd>{held}</dd>
          </div>
          <div>
            <dt>{t("nodes.answering")}</dt>
            <dd>
              <code>{me.id}</code>
            </dd>
          </div>
        </dl>
      )}
      {list.error && (
        <ProblemBanner
          problem={asProblem(list.error)}
          action={
            list.data ? (
              <p className="muted">{t("nodes.staleData")}</p>
            ) : (
              <button type="button" className="button-quiet" onClick={() => void list.refetch()}>
                {t("app.retry")}
              </button>
            )
          }
        />
      )}
      {list.isPending ? (
        <p aria-live="polite">{t("app.loading")}</p>
      ) : nodes.length === 0 ? (
        !list.error && <p className="empty">{t("nodes.empty")}</p>
      ) : (
        <div className="table-wrap admin-scroll" tabIndex={0} role="region" aria-labelledby="nodes-caption">
          <table className="admin-table nodes-table">
            <caption id="nodes-caption" className="visually-hidden">
              {t("nodes.caption")}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("nodes.col.node")}</th>
                <th scope="col">{t("nodes.col.address")}</th>
                <th scope="col">{t("nodes.col.version")}</th>
                <th scope="col">{t("nodes.col.started")}</th>
                <th scope="col">{t("nodes.col.heartbeat")}</th>
                <th scope="col">{t("nodes.col.partitions")}</th>
                <th scope="col" className="num">{t("nodes.col.running")}</th>
                <th scope="col" className="num">{t("nodes.col.claimed")}</th>
                <th scope="col" className="num">{t("nodes.col.waiting")}</th>
                <th scope="col" className="num">{t("nodes.col.queued")}</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((n) => {
                const age = ageSeconds(n.heartbeat_at, at, offset);
                const level = heartbeatLevel(age);
                const mine = me && me.id === n.id ? me : undefined;
                const share = held > 0 ? Math.round((n.partitions_held / held) * 100) : 0;
                const onlySelf = t("nodes.onlySelf");
                return (
                  <tr key={n.id}>
                    <th scope="row" data-label={t("nodes.col.node")}>
                      <code className="node-id">{n.id}</code>
                      {n.self && <span className="badge">{t("nodes.self")}</span>}
                    </th>
                    <td data-label={t("nodes.col.address")}>
                      {isHttpUrl(n.address) ? (
                        <a href={n.address}>{n.address}</a>
                      ) : n.address ? (
                        <span>{n.address}</span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td data-label={t("nodes.col.version")}>
                      <code>{n.version}</code>
                    </td>
                    <td data-label={t("nodes.col.started")}>
                      <RelativeTime iso={n.started_at} now={at + offset} />
                    </td>
                    <td data-label={t("nodes.col.heartbeat")}>
                      <span className={`heartbeat heartbeat-${level}`} data-testid={`heartbeat-${n.id}`}>
                        <time dateTime={n.heartbeat_at} title={formatInstant(n.heartbeat_at, lang)}>
                          {t("nodes.ago", { age: formatDuration(age, lang) })}
                        </time>
                        {level !== "ok" && <span className="heartbeat-flag">{t(`nodes.heartbeat.${level}`)}</span>}
                      </span>
                    </td>
                    <td data-label={t("nodes.col.partitions")}>
                      <span className="share">
                        <meter
                          min={0}
                          max={Math.max(held, 1)}
                          value={n.partitions_held}
                          aria-label={t("nodes.shareOf", { n: n.partitions_held, total: held, pct: share })}
                        />
                        <span>
                          {n.partitions_held}
                          <span className="muted"> ({share}%)</span>
                        </span>
                      </span>
                    </td>
                    <td data-label={t("nodes.col.running")} className="num">
                      {n.executions_running}
                    </td>
                    <td data-label={t("nodes.col.claimed")} className="num">
                      {mine ? mine.executions_claimed : <span title={onlySelf} className="muted">—</span>}
                    </td>
                    <td data-label={t("nodes.col.waiting")} className="num">
                      {mine ? mine.executions_waiting : <span title={onlySelf} className="muted">—</span>}
                    </td>
                    <td data-label={t("nodes.col.queued")} className="num">
                      {mine ? mine.tasks_queued : <span title={onlySelf} className="muted">—</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {nodes.length > 1 && <p className="muted small">{t("nodes.onlySelfNote")}</p>}
    </section>
  );
}
