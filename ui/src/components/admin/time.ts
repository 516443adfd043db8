// Times as the admin pages show them: relative ("3 min ago") with the
// absolute instant in a title, a node's heartbeat age, and the
// datetime-local values of the audit filters.
import type { Lang } from "../../i18n/messages";

/**
 * A node heartbeats every lease TTL / 5 (2 s with the default 10 s TTL) and
 * the nodes page refreshes every 5 s, so a healthy node's age, counted live
 * between refreshes, stays under about 7 s. Past heartbeatLate seconds it is
 * shown as late; past heartbeatStale (beyond the default TTL, after which a
 * node is dropped) as stale: gone, or the page has stopped hearing.
 */
export const heartbeatLate = 8;
export const heartbeatStale = 12;

export type HeartbeatLevel = "ok" | "late" | "stale";

/** heartbeatLevel classes a heartbeat age in seconds. */
export function heartbeatLevel(ageSeconds: number): HeartbeatLevel {
  if (ageSeconds >= heartbeatStale) return "stale";
  if (ageSeconds >= heartbeatLate) return "late";
  return "ok";
}

/**
 * ageSeconds is how many whole seconds ago iso was at now (milliseconds),
 * with offset (server clock minus browser clock, ms) taken into account;
 * never negative (a clock a little ahead shows 0).
 */
export function ageSeconds(iso: string | undefined, now: number, offset = 0): number {
  if (!iso) return 0;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return 0;
  return Math.max(0, Math.floor((now + offset - t) / 1000));
}

type Unit = "d" | "h" | "min" | "s";
const units: readonly (readonly [Unit, number])[] = [
  ["d", 86400],
  ["h", 3600],
  ["min", 60],
  ["s", 1],
];

/** durationParts splits seconds into its largest unit and the next one down when not zero ("1 h 5 min", "42 s", never "1 h 5 s"). */
export function durationParts(seconds: number): { n: number; unit: Unit }[] {
  const s = Math.max(0, Math.floor(seconds));
  const i = units.findIndex(([, size]) => s >= size);
  if (i < 0) return [{ n: 0, unit: "s" }];
  const [unit, size] = units[i]!;
  const out = [{ n: Math.floor(s / size), unit }];
  const next = units[i + 1];
  if (next) {
    const m = Math.floor((s % size) / next[1]);
    if (m > 0) out.push({ n: m, unit: next[0] });
  }
  return out;
}

/** formatDuration writes seconds as "1 h 5 min" / "1 小时 5 分" in lang. */
export function formatDuration(seconds: number, lang: Lang): string {
  const names: Record<Lang, Record<Unit, string>> = {
    en: { d: "d", h: "h", min: "min", s: "s" },
    zh: { d: " 天", h: " 小时", min: " 分", s: " 秒" },
  };
  return durationParts(seconds)
    .map((p) => (lang === "zh" ? `${p.n}${names.zh[p.unit]}` : `${p.n} ${names.en[p.unit]}`))
    .join(" ");
}

const relFormats = new Map<Lang, Intl.RelativeTimeFormat>();

/** relativeTime writes iso relative to now ("3 minutes ago", "in 2 days", "3 分钟前"). */
export function relativeTime(iso: string | undefined, now: number, lang: Lang): string {
  if (!iso) return "";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  let f = relFormats.get(lang);
  if (!f) {
    f = new Intl.RelativeTimeFormat(lang === "zh" ? "zh-CN" : "en", { numeric: "auto" });
    relFormats.set(lang, f);
  }
  const diff = (t - now) / 1000;
  const abs = Math.abs(diff);
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ["second", 1],
    ["minute", 60],
    ["hour", 3600],
    ["day", 86400],
    ["month", 2629800],
    ["year", 31557600],
  ];
  let unit: Intl.RelativeTimeFormatUnit = "second";
  let size = 1;
  for (const [u, s] of steps) {
    if (abs >= s) {
      unit = u;
      size = s;
    }
  }
  if (unit === "second" && abs < 45) return f.format(Math.round(diff), "second");
  return f.format(Math.round(diff / size), unit);
}

const pad = (n: number) => String(n).padStart(2, "0");

/** toLocalInput turns an RFC 3339 instant into a datetime-local value in the browser's zone; "" if none. */
export function toLocalInput(iso: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** fromLocalInput turns a datetime-local value (the browser's zone) into an RFC 3339 instant; "" if none. */
export function fromLocalInput(v: string): string {
  if (!v) return "";
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return "";
  return d.toISOString().replace(/\.000Z$/, "Z");
}

const absFormats = new Map<Lang, Intl.DateTimeFormat>();

/** formatInstant writes an instant to the second in the reader's zone and language (titles, heartbeats). */
export function formatInstant(iso: string | undefined, lang: Lang): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  let f = absFormats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "medium" });
    absFormats.set(lang, f);
  }
  return f.format(d);
}
