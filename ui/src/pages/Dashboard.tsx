import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { asProblem, unwrap } from "../api/client";
import { SeriesChart } from "../components/dashboard/SeriesChart";
import { LagCard, SummaryCards } from "../components/dashboard/SummaryCards";
import { LowestRate, Slowest } from "../components/dashboard/TaskTables";
import {
  apiWindow,
  defaultWindow,
  formatInstant,
  parseWindow,
  windowLabel,
  windowLongLabel,
  windows,
  type ExecutionStats,
  type WindowKey,
} from "../components/dashboard/model";
import "../components/dashboard/dashboard.css";
import { ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { useNamespace } from "../lib/namespace";
import { navigate, useLocation, withQuery } from "../lib/router";
import { useSession } from "../lib/session";

/** How often the dashboard asks again while it is shown. */
export const refreshMs = 10_000;

/**
 * Dashboard sums up the namespace's executions over a window kept in the
 * URL (?window=15m|1h|6h|24h|7d, 1h by default) from get-execution-stats:
 * totals and success rate, fire lag percentiles, the executions per bucket
 * as a chart, and the tasks with the lowest success rate and the slowest.
 * It asks again every 10 s.
 */
export function Dashboard() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const { namespace } = useNamespace();
  const { query } = useLocation();
  const win = parseWindow(query.get("window"));
  const setWindow = (k: WindowKey) =>
    navigate(withQuery("/dashboard", { window: k === defaultWindow ? "" : k }), { replace: true });

  const stats = useQuery({
    queryKey: ["execution-stats", namespace, win],
    queryFn: (): Promise<ExecutionStats> =>
      unwrap(api.GET("/api/v1/stats/executions", { params: { query: { namespace, window: apiWindow(win) } } })),
    refetchInterval: refreshMs,
    placeholderData: keepPreviousData,
    enabled: namespace !== "",
  });

  const data = stats.data;
  const windowText = t(windowLongLabel(win));
  const long = win === "7d";

  return (
    <section aria-labelledby="dash-title" className="dash">
      <div className="page-head dash-head">
        <h1 id="dash-title">{t("dashboard.title")}</h1>
        <div className="dash-windows" role="group" aria-label={t("dashboard.window")}>
          {windows.map((w) => (
            <button
              key={w.key}
              type="button"
              aria-pressed={w.key === win}
              className={w.key === win ? "dash-window dash-window-on" : "dash-window"}
              onClick={() => setWindow(w.key)}
            >
              {t(windowLabel(w.key))}
            </button>
          ))}
        </div>
      </div>
      <p className="muted dash-lead">
        {t("dashboard.lead", { namespace })}
        {data && (
          <>
            {" "}
            <span className="dash-range">
              {t("dashboard.range", {
                from: formatInstant(Date.parse(data.from), lang, long || spansDays(data)),
                to: formatInstant(Date.parse(data.to), lang, long || spansDays(data)),
              })}
            </span>
            {" · "}
            <span className="dash-updated">
              {t("dashboard.updated", { time: formatInstant(stats.dataUpdatedAt, lang, false, true) })}
            </span>
          </>
        )}
      </p>

      {stats.error && (
        <ProblemBanner
          problem={asProblem(stats.error)}
          action={
            <button type="button" className="button-quiet" onClick={() => void stats.refetch()}>
              {t("app.retry")}
            </button>
          }
        />
      )}

      {!data ? (
        stats.isPending && !stats.error && <p aria-live="polite">{t("app.loading")}</p>
      ) : data.totals.total === 0 ? (
        <div className="empty dash-empty" aria-busy={stats.isPlaceholderData}>
          <p>{t("dashboard.empty", { window: windowText })}</p>
          <p>{t("dashboard.emptyHint")}</p>
        </div>
      ) : (
        <div className="dash-body" aria-busy={stats.isPlaceholderData}>
          <div className="dash-top">
            <SummaryCards totals={data.totals} />
            <LagCard lag={data.lag} />
          </div>
          <div className="dash-panel">
            <SeriesChart series={data.series ?? []} bucketSeconds={data.bucket_seconds} />
          </div>
          <div className="dash-tables">
            <LowestRate tasks={data.tasks ?? []} windowText={windowText} />
            <Slowest tasks={data.slowest ?? []} windowText={windowText} />
          </div>
        </div>
      )}
    </section>
  );
}

/** spansDays reports whether a window's ends fall on different days of the browser's zone. */
function spansDays(d: ExecutionStats): boolean {
  return new Date(d.from).toDateString() !== new Date(d.to).toDateString();
}
