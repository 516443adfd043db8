import type { ReactNode } from "react";

import { useI18n } from "../../i18n/i18n";
import { formatCount, formatMs, formatRate, overallRate, type LagStats, type StatsCounts } from "./model";

function Card({ label, value, hint, tone }: { label: string; value: string; hint?: ReactNode; tone?: "ok" | "bad" | "warn" }) {
  return (
    <div className={tone ? `dash-card dash-card-${tone}` : "dash-card"}>
      <dt>{label}</dt>
      <dd className="dash-card-value">{value}</dd>
      {hint && <dd className="dash-card-hint">{hint}</dd>}
    </div>
  );
}

/** SummaryCards shows the window's totals and success rate. */
export function SummaryCards({ totals }: { totals: StatsCounts }) {
  const { t, lang } = useI18n();
  const rate = overallRate(totals);
  const ended = totals.succeeded + totals.failed;
  return (
    <dl className="dash-cards" aria-label={t("dashboard.summary")}>
      <Card
        label={t("dashboard.card.total")}
        value={formatCount(totals.total, lang)}
        {...(totals.canceled > 0 ? { hint: t("dashboard.card.canceled", { n: formatCount(totals.canceled, lang) }) } : {})}
      />
      <Card
        label={t("dashboard.card.rate")}
        value={formatRate(rate, lang)}
        hint={
          rate === undefined
            ? t("dashboard.card.rateNone")
            : t("dashboard.card.rateHint", { succeeded: formatCount(totals.succeeded, lang), ended: formatCount(ended, lang) })
        }
        {...(rate === undefined ? {} : { tone: rate >= 0.99 ? "ok" : rate >= 0.9 ? "warn" : "bad" })}
      />
      <Card
        label={t("dashboard.card.failed")}
        value={formatCount(totals.failed, lang)}
        hint={t("dashboard.card.failedHint")}
        {...(totals.failed > 0 ? { tone: "bad" } : {})}
      />
      <Card label={t("dashboard.card.skipped")} value={formatCount(totals.skipped, lang)} hint={t("dashboard.card.skippedHint")} />
      <Card label={t("dashboard.card.active")} value={formatCount(totals.active, lang)} hint={t("dashboard.card.activeHint")} />
    </dl>
  );
}

/** LagCard shows the fire lag percentiles; "—" for each when no scheduled fire started. */
export function LagCard({ lag }: { lag: LagStats }) {
  const { t, lang } = useI18n();
  const none = lag.samples === 0;
  const rows = [
    ["dashboard.lag.p50", lag.p50_ms],
    ["dashboard.lag.p90", lag.p90_ms],
    ["dashboard.lag.p99", lag.p99_ms],
    ["dashboard.lag.max", lag.max_ms],
  ] as const;
  return (
    <section className="dash-lag" aria-labelledby="dash-lag-h">
      <h2 id="dash-lag-h">{t("dashboard.lag")}</h2>
      <dl className="dash-lag-values">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{t(k)}</dt>
            <dd>{none ? "—" : formatMs(v, t, lang)}</dd>
          </div>
        ))}
      </dl>
      <p className="muted dash-lag-hint">
        {none ? t("dashboard.lagNone") : t("dashboard.lagHint", { n: formatCount(lag.samples, lang) })}
      </p>
    </section>
  );
}
