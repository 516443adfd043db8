import type { Lang } from "../../i18n/messages";

const cache = new Map<string, Intl.DateTimeFormat | null>();

function formatter(lang: Lang, zone: string, seconds: boolean): Intl.DateTimeFormat | null {
  const key = `${lang}|${zone}|${seconds}`;
  if (cache.has(key)) return cache.get(key)!;
  let f: Intl.DateTimeFormat | null;
  try {
    f = new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", {
      timeZone: zone || "UTC",
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      ...(seconds ? { second: "2-digit" } : {}),
      hourCycle: "h23",
    });
  } catch {
    f = null; // a zone this browser does not know
  }
  cache.set(key, f);
  return f;
}

/**
 * formatInZone writes instants as wall time in an IANA zone (the task's,
 * not the reader's), with seconds only when one of them has some. A zone
 * the browser does not know gives the instants as the server sent them.
 */
export function formatInZone(isos: string[], zone: string, lang: Lang): string[] {
  const dates = isos.map((s) => new Date(s));
  const seconds = dates.some((d) => d.getUTCSeconds() !== 0);
  const f = formatter(lang, zone, seconds);
  return dates.map((d, i) => (f && !Number.isNaN(d.getTime()) ? f.format(d) : isos[i]!));
}

/** durationMs writes a duration in milliseconds shortly: 850 ms, 12.3 s, 4 min 5 s. */
export function durationMs(ms: number | undefined): string {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}
