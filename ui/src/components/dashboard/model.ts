// The dashboard's data and the pure functions behind it: the windows it
// offers, formatting of rates, counts and durations, and the chart's scale
// and time axis. Kept free of React so the tests can check them directly.
import type { components } from "../../api/schema";
import type { Translate } from "../../i18n/i18n";
import type { Lang, MessageKey } from "../../i18n/messages";

export type ExecutionStats = components["schemas"]["ExecutionStats"];
export type StatsPoint = components["schemas"]["StatsPoint"];
export type StatsCounts = components["schemas"]["StatsCounts"];
export type TaskStat = components["schemas"]["TaskStat"];
export type LagStats = components["schemas"]["LagStats"];

/** The windows the selector offers: the key kept in the URL, and the Go duration sent as window. */
export const windows = [
  { key: "15m", api: "15m" },
  { key: "1h", api: "1h" },
  { key: "6h", api: "6h" },
  { key: "24h", api: "24h" },
  { key: "7d", api: "168h" },
] as const;

export type WindowKey = (typeof windows)[number]["key"];
export const defaultWindow: WindowKey = "1h";

/** parseWindow reads ?window=; the API's spelling (168h) is accepted too, anything else is the default. */
export function parseWindow(v: string | null): WindowKey {
  const w = windows.find((x) => x.key === v || x.api === v);
  return w ? w.key : defaultWindow;
}

/** apiWindow is the Go duration get-execution-stats takes for a window. */
export function apiWindow(k: WindowKey): string {
  return windows.find((x) => x.key === k)?.api ?? "1h";
}

export const windowLabel = (k: WindowKey): MessageKey => `dashboard.window.${k}`;
export const windowLongLabel = (k: WindowKey): MessageKey => `dashboard.window.long.${k}`;

/** The stacked series of the chart, bottom first. */
export const stacked = ["succeeded", "failed", "skipped"] as const;
export type StackedKind = (typeof stacked)[number];

export const NONE = "—";

export function localeOf(lang: Lang): string {
  return lang === "zh" ? "zh-CN" : "en";
}

/**
 * overallRate is succeeded over succeeded and failed, as the API computes a
 * task's success_rate; undefined when none ended so.
 */
export function overallRate(c: Pick<StatsCounts, "succeeded" | "failed">): number | undefined {
  const ended = c.succeeded + c.failed;
  return ended > 0 ? c.succeeded / ended : undefined;
}

/**
 * formatRate writes a rate of 0..1 as a percentage with at most one
 * decimal; absent (or not a number) is "—". It never rounds to 100 % or
 * 0 % a rate that is not exactly that: 0.9996 is 99.9 %, not 100 %.
 */
export function formatRate(rate: number | null | undefined, lang: Lang): string {
  if (rate === undefined || rate === null || !Number.isFinite(rate)) return NONE;
  let pct = Math.round(rate * 1000) / 10;
  if (pct >= 100 && rate < 1) pct = 99.9;
  if (pct <= 0 && rate > 0) pct = 0.1;
  return new Intl.NumberFormat(localeOf(lang), { style: "percent", maximumFractionDigits: 1 }).format(pct / 100);
}

/** formatCount writes a count with the language's grouping. */
export function formatCount(n: number, lang: Lang): string {
  return new Intl.NumberFormat(localeOf(lang)).format(n);
}

function num(n: number, digits: number, lang: Lang): string {
  return new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: digits }).format(n);
}

/**
 * formatMs writes milliseconds in the largest unit that keeps it readable:
 * 0.4 ms, 850 ms, 1.25 s, 12.3 s, 4.2 min, 1.5 h. Absent is "—".
 */
export function formatMs(ms: number | null | undefined, t: Translate, lang: Lang): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return NONE;
  const a = Math.abs(ms);
  if (a < 10) return t("dashboard.unit.ms", { n: num(ms, 1, lang) });
  if (a < 1000) return t("dashboard.unit.ms", { n: num(ms, 0, lang) });
  if (a < 10_000) return t("dashboard.unit.s", { n: num(ms / 1000, 2, lang) });
  if (a < 60_000) return t("dashboard.unit.s", { n: num(ms / 1000, 1, lang) });
  if (a < 3_600_000) return t("dashboard.unit.min", { n: num(ms / 60_000, 1, lang) });
  return t("dashboard.unit.h", { n: num(ms / 3_600_000, 1, lang) });
}

/** formatBucketSize writes a bucket's length in words: 30 s, 5 min, 2 h, 1 d. */
export function formatBucketSize(seconds: number, t: Translate, lang: Lang): string {
  if (seconds < 60) return t("dashboard.unit.s", { n: num(seconds, 0, lang) });
  if (seconds < 3600) return t("dashboard.unit.min", { n: num(seconds / 60, 1, lang) });
  if (seconds < 86400) return t("dashboard.unit.h", { n: num(seconds / 3600, 1, lang) });
  return t("dashboard.unit.d", { n: num(seconds / 86400, 1, lang) });
}

/**
 * niceScale returns the top of the y axis and its step for counts up to
 * max: the smallest step of 1, 2 or 5 times a power of ten giving at most
 * 5 steps, so every gridline is a whole count. An empty chart still has a
 * top of 1.
 */
export function niceScale(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 1 };
  for (let magnitude = 1; ; magnitude *= 10) {
    for (const m of [1, 2, 5]) {
      const step = m * magnitude;
      if (Math.ceil(max / step) <= 5) return { top: Math.ceil(max / step) * step, step };
    }
  }
}

/** stackTotal is the height of a bucket's stack: what the chart draws. */
export function stackTotal(p: Pick<StatsPoint, StackedKind>): number {
  return p.succeeded + p.failed + p.skipped;
}

/** barHeight is the height in pixels of count on an axis whose top is top, over plotHeight pixels. */
export function barHeight(count: number, top: number, plotHeight: number): number {
  if (!(count > 0) || !(top > 0)) return 0;
  return (count / top) * plotHeight;
}

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const tickSteps = [
  minute,
  2 * minute,
  5 * minute,
  10 * minute,
  15 * minute,
  30 * minute,
  hour,
  2 * hour,
  3 * hour,
  6 * hour,
  12 * hour,
  day,
  2 * day,
  7 * day,
];

const timeFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(lang: Lang, kind: "time" | "date" | "dateTime" | "seconds"): Intl.DateTimeFormat {
  const k = `${lang}/${kind}`;
  let f = timeFormats.get(k);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions =
      kind === "time"
        ? { hour: "2-digit", minute: "2-digit" }
        : kind === "seconds"
          ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
          : kind === "date"
            ? { month: "short", day: "numeric" }
            : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
    f = new Intl.DateTimeFormat(localeOf(lang), { ...opts, hourCycle: "h23" });
    timeFormats.set(k, f);
  }
  return f;
}

/** localMidnightOffset is how far ms is past a multiple of step in the browser's zone (step ≥ 1 minute). */
function localOffset(ms: number, step: number): number {
  const tz = new Date(ms).getTimezoneOffset() * minute;
  return (((ms - tz) % step) + step) % step;
}

/**
 * timeTicks returns the x-axis ticks from fromMs to toMs over width pixels:
 * instants on whole minutes, hours or days of the browser's time zone,
 * spaced so their labels do not overlap, each with its label (time of day,
 * or the date at midnight and for steps of a day or more).
 */
export function timeTicks(fromMs: number, toMs: number, width: number, lang: Lang): { t: number; label: string }[] {
  const span = toMs - fromMs;
  if (!(span > 0) || !(width > 0)) return [];
  const long = span > 2 * day;
  // Room a label needs, in pixels, at the chart's font size: a date alone is shorter than a date and time.
  const room = (step: number) => (step >= day ? 60 : long ? 100 : 64);
  const step =
    tickSteps.find((s) => span / s <= Math.max(2, Math.floor(width / room(s)))) ?? tickSteps[tickSteps.length - 1]!;
  const ticks: { t: number; label: string }[] = [];
  const off = localOffset(fromMs, step);
  for (let t = off === 0 ? fromMs : fromMs - off + step; t <= toMs; t += step) {
    const atMidnight = localOffset(t, day) === 0;
    const kind = step >= day || (atMidnight && long) ? "date" : long ? "dateTime" : "time";
    ticks.push({ t, label: dateFormat(lang, kind).format(new Date(t)) });
  }
  return ticks;
}

/** formatInstant writes an instant for a range or an interval: time of day, with the date when days apart. */
export function formatInstant(ms: number, lang: Lang, withDate: boolean, withSeconds = false): string {
  if (withDate) return dateFormat(lang, "dateTime").format(new Date(ms));
  return dateFormat(lang, withSeconds ? "seconds" : "time").format(new Date(ms));
}

/** formatInterval writes a bucket [start, start+seconds) as "10:05–10:06" (with dates on a long chart, seconds on a fine one). */
export function formatInterval(startMs: number, seconds: number, lang: Lang, withDate: boolean): string {
  const withSeconds = seconds % 60 !== 0;
  return `${formatInstant(startMs, lang, withDate, withSeconds)}–${formatInstant(startMs + seconds * 1000, lang, withDate, withSeconds)}`;
}

/** taskPath is the UI path of a task's page. */
export function taskPath(name: string): string {
  return `/tasks/${encodeURIComponent(name)}`;
}
