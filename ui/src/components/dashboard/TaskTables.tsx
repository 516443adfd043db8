import { useI18n } from "../../i18n/i18n";
import { Link } from "../../lib/router";
import { formatCount, formatMs, formatRate, taskPath, type TaskStat } from "./model";

/** RateBar is a small bar of a rate 0..1 beside its figure (an SVG: no inline style under the CSP). */
function RateBar({ rate }: { rate: number | undefined }) {
  if (rate === undefined) return null;
  const w = 40;
  const level = rate >= 0.99 ? "ok" : rate >= 0.9 ? "warn" : "bad";
  return (
    <svg className="dash-ratebar" width={w} height={6} aria-hidden="true">
      <rect className="dash-ratebar-track" x={0} y={0} width={w} height={6} rx={3} />
      <rect className={`dash-ratebar-fill dash-rate-${level}`} x={0} y={0} width={Math.max(0, Math.min(1, rate)) * w} height={6} rx={3} />
    </svg>
  );
}

/** LowestRate lists the tasks by success rate, lowest first, as the API orders them. */
export function LowestRate({ tasks, windowText }: { tasks: TaskStat[]; windowText: string }) {
  const { t, lang } = useI18n();
  return (
    <section className="dash-panel" aria-labelledby="dash-lowest">
      <h2 id="dash-lowest">{t("dashboard.lowest.title")}</h2>
      {tasks.length === 0 ? (
        <p className="empty">{t("dashboard.lowest.empty")}</p>
      ) : (
        <div className="table-wrap">
          <table className="table dash-table">
            <caption className="visually-hidden">{t("dashboard.lowest.caption", { window: windowText })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("dashboard.col.task")}</th>
                <th scope="col">{t("dashboard.col.rate")}</th>
                <th scope="col" className="num">
                  {t("dashboard.col.failed")}
                </th>
                <th scope="col" className="num">
                  {t("dashboard.col.succeeded")}
                </th>
                <th scope="col" className="num">
                  {t("dashboard.col.skipped")}
                </th>
                <th scope="col" className="num">
                  {t("dashboard.col.total")}
                </th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((s) => (
                <tr key={s.task_name}>
                  <th scope="row">
                    <Link to={taskPath(s.task_name)} className="task-name">
                      {s.task_name}
                    </Link>
                  </th>
                  <td data-label={t("dashboard.col.rate")} className="dash-rate">
                    <span className="num">{formatRate(s.success_rate, lang)}</span>
                    <RateBar rate={s.success_rate} />
                  </td>
                  <td data-label={t("dashboard.col.failed")} className="num">
                    <span className={s.failed > 0 ? "dash-bad" : undefined}>{formatCount(s.failed, lang)}</span>
                  </td>
                  <td data-label={t("dashboard.col.succeeded")} className="num">
                    {formatCount(s.succeeded, lang)}
                  </td>
                  <td data-label={t("dashboard.col.skipped")} className="num">
                    {formatCount(s.skipped, lang)}
                  </td>
                  <td data-label={t("dashboard.col.total")} className="num">
                    {formatCount(s.total, lang)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Slowest lists the tasks by average run time, longest first, as the API orders them. */
export function Slowest({ tasks, windowText }: { tasks: TaskStat[]; windowText: string }) {
  const { t, lang } = useI18n();
  return (
    <section className="dash-panel" aria-labelledby="dash-slowest">
      <h2 id="dash-slowest">{t("dashboard.slowest.title")}</h2>
      {tasks.length === 0 ? (
        <p className="empty">{t("dashboard.slowest.empty")}</p>
      ) : (
        <div className="table-wrap">
          <table className="table dash-table">
            <caption className="visually-hidden">{t("dashboard.slowest.caption", { window: windowText })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("dashboard.col.task")}</th>
                <th scope="col" className="num">
                  {t("dashboard.col.avg")}
                </th>
                <th scope="col" className="num">
                  {t("dashboard.col.max")}
                </th>
                <th scope="col" className="num">
                  {t("dashboard.col.total")}
                </th>
                <th scope="col">{t("dashboard.col.rate")}</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((s) => (
                <tr key={s.task_name}>
                  <th scope="row">
                    <Link to={taskPath(s.task_name)} className="task-name">
                      {s.task_name}
                    </Link>
                  </th>
                  <td data-label={t("dashboard.col.avg")} className="num">
                    {formatMs(s.avg_duration_ms, t, lang)}
                  </td>
                  <td data-label={t("dashboard.col.max")} className="num">
                    {formatMs(s.max_duration_ms, t, lang)}
                  </td>
                  <td data-label={t("dashboard.col.total")} className="num">
                    {formatCount(s.total, lang)}
                  </td>
                  <td data-label={t("dashboard.col.rate")} className="num">
                    {formatRate(s.success_rate, lang)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
