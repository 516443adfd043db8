import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";

import { useI18n } from "../../i18n/i18n";
import {
  barHeight,
  formatBucketSize,
  formatCount,
  formatInstant,
  formatInterval,
  niceScale,
  stackTotal,
  stacked,
  timeTicks,
  type StatsPoint,
} from "./model";

const margin = { top: 10, right: 8, bottom: 24, left: 40 };

/** useWidth follows an element's width (ResizeObserver); fallback until it has one (and in tests). */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const w = Math.floor(el.clientWidth);
      if (w > 0) setWidth(w);
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width] as const;
}

/**
 * SeriesChart draws get-execution-stats' series as stacked bars (succeeded,
 * failed, skipped; one group per bucket, oldest left) in its own SVG, with
 * times in the browser's zone. Hovering, tapping or focusing it (then the
 * arrow keys) reads a bucket's counts out above it; a visually hidden table
 * carries the same figures for screen readers.
 */
export function SeriesChart({ series, bucketSeconds }: { series: StatsPoint[]; bucketSeconds: number }) {
  const { t, lang } = useI18n();
  const id = useId();
  const [wrapRef, width] = useWidth(720);
  const [active, setActive] = useState<number | null>(null);
  const focused = useRef(false);

  const n = series.length;
  const height = width < 520 ? 180 : 220;
  const plotW = Math.max(1, width - margin.left - margin.right);
  const plotH = height - margin.top - margin.bottom;
  const from = n > 0 ? Date.parse(series[0]!.start) : 0;
  const end = from + n * bucketSeconds * 1000;
  const long = end - from > 2 * 86_400_000;
  const max = series.reduce((m, p) => Math.max(m, stackTotal(p)), 0);
  const scale = niceScale(max);
  const slot = n > 0 ? plotW / n : plotW;
  const gap = slot > 6 ? Math.max(1, slot * 0.2) : slot > 3 ? 1 : 0;
  const bucket = formatBucketSize(bucketSeconds, t, lang);

  const sum = (k: "succeeded" | "failed" | "skipped") => series.reduce((s, p) => s + p[k], 0);
  const desc = t("dashboard.chart.desc", {
    from: formatInstant(from, lang, true),
    to: formatInstant(end, lang, true),
    bucket,
    succeeded: formatCount(sum("succeeded"), lang),
    failed: formatCount(sum("failed"), lang),
    skipped: formatCount(sum("skipped"), lang),
    max: formatCount(max, lang),
  });

  const readout = (i: number) => {
    const p = series[i]!;
    return t("dashboard.chart.point", {
      time: formatInterval(Date.parse(p.start), bucketSeconds, lang, long),
      succeeded: formatCount(p.succeeded, lang),
      failed: formatCount(p.failed, lang),
      skipped: formatCount(p.skipped, lang),
      canceled: formatCount(p.canceled, lang),
      active: formatCount(p.active, lang),
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (n === 0) return;
    const cur = active ?? n - 1;
    let next: number | null = cur;
    if (e.key === "ArrowLeft") next = Math.max(0, cur - 1);
    else if (e.key === "ArrowRight") next = Math.min(n - 1, cur + 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = n - 1;
    else if (e.key === "Escape") next = null;
    else return;
    e.preventDefault();
    setActive(next);
  };

  const lastBusy = () => {
    for (let i = n - 1; i >= 0; i--) if (series[i]!.total > 0) return i;
    return n - 1;
  };

  const gridValues: number[] = [];
  for (let v = 0; v <= scale.top; v += scale.step) gridValues.push(v);
  const yOf = (v: number) => margin.top + plotH - barHeight(v, scale.top, plotH);
  const ticks = timeTicks(from, end, plotW, lang);

  return (
    <figure className="dash-chart-figure">
      <figcaption className="dash-chart-head">
        <h2 id={`${id}-h`}>{t("dashboard.chart.title")}</h2>
        <ul className="dash-legend">
          {stacked.map((k) => (
            <li key={k}>
              <span className={`dash-swatch dash-fill-${k}`} aria-hidden="true" />
              {t(`dashboard.series.${k}`)}
            </li>
          ))}
        </ul>
      </figcaption>
      <p id={`${id}-readout`} className="dash-readout muted" aria-live="polite">
        {active !== null && active < n ? readout(active) : t("dashboard.chart.hint")}
      </p>
      <div
        ref={wrapRef}
        className="dash-chart"
        tabIndex={0}
        role="group"
        aria-label={t("dashboard.chart.label", { bucket })}
        aria-describedby={`${id}-readout`}
        onKeyDown={onKeyDown}
        onFocus={() => {
          focused.current = true;
          if (active === null && n > 0) setActive(lastBusy());
        }}
        onBlur={() => {
          focused.current = false;
          setActive(null);
        }}
      >
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          onPointerLeave={() => {
            if (!focused.current) setActive(null);
          }}
        >
          <title id={`${id}-title`}>{t("dashboard.chart.title")}</title>
          <desc id={`${id}-desc`}>{desc}</desc>
          <g className="dash-grid" aria-hidden="true">
            {gridValues.map((v) => (
              <g key={v}>
                <line x1={margin.left} x2={width - margin.right} y1={yOf(v)} y2={yOf(v)} />
                <text x={margin.left - 6} y={yOf(v) + 4} textAnchor="end">
                  {formatCount(v, lang)}
                </text>
              </g>
            ))}
          </g>
          <g className="dash-bars">
            {series.map((p, i) => {
              const x = margin.left + i * slot;
              let y = margin.top + plotH;
              return (
                <g
                  key={p.start}
                  className="dash-bucket"
                  data-start={p.start}
                  onPointerEnter={() => setActive(i)}
                  onClick={() => setActive(i)}
                >
                  <rect
                    className={i === active ? "dash-hit dash-hit-active" : "dash-hit"}
                    x={x}
                    y={margin.top}
                    width={slot}
                    height={plotH}
                  />
                  {stacked.map((k) => {
                    const h = barHeight(p[k], scale.top, plotH);
                    if (h <= 0) return null;
                    y -= h;
                    return (
                      <rect
                        key={k}
                        className={`dash-bar dash-fill-${k}`}
                        data-kind={k}
                        data-count={p[k]}
                        x={x + gap / 2}
                        y={y}
                        width={Math.max(1, slot - gap)}
                        height={h}
                      />
                    );
                  })}
                </g>
              );
            })}
          </g>
          <g className="dash-axis" aria-hidden="true">
            <line x1={margin.left} x2={width - margin.right} y1={margin.top + plotH} y2={margin.top + plotH} />
            {ticks.map((tick) => {
              const x = margin.left + ((tick.t - from) / (end - from)) * plotW;
              const anchor = x < margin.left + 24 ? "start" : x > width - margin.right - 24 ? "end" : "middle";
              return (
                <g key={tick.t}>
                  <line x1={x} x2={x} y1={margin.top + plotH} y2={margin.top + plotH + 4} />
                  <text x={x} y={height - 6} textAnchor={anchor}>
                    {tick.label}
                  </text>
                </g>
              );
            })}
          </g>
        </svg>
      </div>
      {/* A table ignores width: 1px, so the wrapper is what hides it (and keeps the page from scrolling sideways). */}
      <div className="visually-hidden">
        <table>
          <caption>{t("dashboard.chart.table", { bucket })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dashboard.chart.time")}</th>
              <th scope="col">{t("dashboard.series.succeeded")}</th>
              <th scope="col">{t("dashboard.series.failed")}</th>
              <th scope="col">{t("dashboard.series.skipped")}</th>
              <th scope="col">{t("dashboard.series.canceled")}</th>
              <th scope="col">{t("dashboard.series.active")}</th>
              <th scope="col">{t("dashboard.series.total")}</th>
            </tr>
          </thead>
          <tbody>
            {series
              .filter((p) => p.total > 0)
              .map((p) => (
                <tr key={p.start}>
                  <th scope="row">{formatInterval(Date.parse(p.start), bucketSeconds, lang, long)}</th>
                  <td>{p.succeeded}</td>
                  <td>{p.failed}</td>
                  <td>{p.skipped}</td>
                  <td>{p.canceled}</td>
                  <td>{p.active}</td>
                  <td>{p.total}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
