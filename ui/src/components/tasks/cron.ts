// A schedule in words, for the shapes people write most (the preview
// endpoint returns instants, not words): descriptors, @every, @at, and
// 5- or 6-field cron whose fields are *, a value, a list, a range or */n.
// Anything else gives null, and the page shows the expression itself.
import type { Translate } from "../../i18n/i18n";
import type { Lang } from "../../i18n/messages";

type CronField =
  | { kind: "any" }
  | { kind: "step"; step: number }
  | { kind: "list"; values: number[] }
  | { kind: "range"; from: number; to: number };

const monthNames: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const dowNames: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const descriptors: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

function num(s: string, names?: Record<string, number>): number | null {
  if (/^\d+$/.test(s)) return Number(s);
  const n = names?.[s.toLowerCase()];
  return n === undefined ? null : n;
}

/** parseField reads one cron field in the simple shapes; null for anything else (ranges with steps, L, W, #…). */
export function parseField(s: string, names?: Record<string, number>): CronField | null {
  if (s === "*" || s === "?") return { kind: "any" };
  let m = /^\*\/(\d+)$/.exec(s);
  if (m) return { kind: "step", step: Number(m[1]) };
  m = /^([^-,/]+)-([^-,/]+)$/.exec(s);
  if (m) {
    const from = num(m[1]!, names);
    const to = num(m[2]!, names);
    return from === null || to === null || from > to ? null : { kind: "range", from, to };
  }
  const values: number[] = [];
  for (const part of s.split(",")) {
    const v = num(part, names);
    if (v === null) return null;
    values.push(v);
  }
  return values.length ? { kind: "list", values: [...new Set(values)].sort((a, b) => a - b) } : null;
}

const pad = (n: number) => String(n).padStart(2, "0");

function locale(lang: Lang): string {
  return lang === "zh" ? "zh-CN" : "en";
}

function list(items: string[], lang: Lang): string {
  try {
    return new Intl.ListFormat(locale(lang), { type: "conjunction" }).format(items);
  } catch {
    return items.join(", ");
  }
}

function weekday(d: number, lang: Lang): string {
  // 2023-01-01 was a Sunday.
  return new Intl.DateTimeFormat(locale(lang), { weekday: "long", timeZone: "UTC" }).format(
    new Date(Date.UTC(2023, 0, 1 + d)),
  );
}

function month(m: number, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), { month: "long", timeZone: "UTC" }).format(new Date(Date.UTC(2023, m - 1, 1)));
}

interface TimePhrase {
  text: string;
  /** interval is true for "every 5 minutes" (no day part needed when every day). */
  interval: boolean;
}

function timePhrase(sec: CronField, min: CronField, hour: CronField, t: Translate, lang: Lang): TimePhrase | null {
  const zeroSec = sec.kind === "list" && sec.values.length === 1 && sec.values[0] === 0;
  // Seconds that vary: only "every second" and "every n seconds" of every minute.
  if (sec.kind === "any" || sec.kind === "step") {
    if (min.kind !== "any" || hour.kind !== "any") return null;
    return sec.kind === "any"
      ? { text: t("cron.everySecond"), interval: true }
      : { text: t("cron.everyNSeconds", { n: sec.step }), interval: true };
  }
  if (sec.kind !== "list") return null;

  // Fixed times: every combination of the listed hours and minutes (a few).
  if (min.kind === "list" && hour.kind === "list" && sec.values.length === 1) {
    const times: string[] = [];
    for (const h of hour.values) {
      for (const m of min.values) {
        times.push(zeroSec ? `${pad(h)}:${pad(m)}` : `${pad(h)}:${pad(m)}:${pad(sec.values[0]!)}`);
      }
    }
    if (times.length > 6) return null;
    return { text: t("cron.at", { time: list(times, lang) }), interval: false };
  }
  if (!zeroSec) return null;

  let what: string | null = null;
  if (min.kind === "any") what = t("cron.everyMinute");
  else if (min.kind === "step") what = t("cron.everyNMinutes", { n: min.step });
  else if (min.kind === "list" && min.values.length === 1) what = t("cron.hourlyAt", { m: min.values[0]! });
  if (!what) return null;

  if (hour.kind === "any") return { text: what, interval: true };
  if (hour.kind === "step" && min.kind === "list") {
    return { text: t("cron.everyNHoursAt", { n: hour.step, m: min.values[0]! }), interval: true };
  }
  if (hour.kind === "range") {
    return { text: t("cron.between", { what, from: `${pad(hour.from)}:00`, to: `${pad(hour.to)}:59` }), interval: true };
  }
  if (hour.kind === "list" && hour.values.length === 1 && min.kind !== "list") {
    const h = hour.values[0]!;
    return { text: t("cron.between", { what, from: `${pad(h)}:00`, to: `${pad(h)}:59` }), interval: true };
  }
  return null;
}

function dayPhrase(dom: CronField, mon: CronField, dow: CronField, t: Translate, lang: Lang): string | null {
  const anyDom = dom.kind === "any";
  const anyMon = mon.kind === "any";
  const anyDow = dow.kind === "any";
  if (anyDom && anyMon && anyDow) return t("cron.everyDay");
  if (!anyDom && !anyDow) return null; // either matches (Vixie cron): too subtle for words
  if (dom.kind === "step" || mon.kind === "step" || dow.kind === "step") return null;

  const months = (): string | null => {
    if (mon.kind === "list") return list(mon.values.map((m) => month(m, lang)), lang);
    if (mon.kind === "range") return t("cron.range", { from: month(mon.from, lang), to: month(mon.to, lang) });
    return null;
  };

  if (!anyDow) {
    const days =
      dow.kind === "range"
        ? t("cron.range", { from: weekday(dow.from % 7, lang), to: weekday(dow.to % 7, lang) })
        : dow.kind === "list"
          ? list(
              // Monday first: "Saturday and Sunday", not "Sunday and Saturday".
              [...dow.values].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7)).map((d) => weekday(d % 7, lang)),
              lang,
            )
          : null;
    if (!days) return null;
    return anyMon ? t("cron.onWeekdays", { days }) : t("cron.onWeekdaysIn", { days, months: months() ?? "" });
  }
  const days =
    dom.kind === "list"
      ? list(dom.values.map(String), lang)
      : dom.kind === "range"
        ? t("cron.range", { from: dom.from, to: dom.to })
        : null;
  if (!days) return null;
  if (anyMon) return t("cron.onMonthDays", { days });
  const ms = months();
  return ms ? t("cron.onMonthDaysIn", { days, months: ms }) : null;
}

function capitalize(s: string, lang: Lang): string {
  return lang === "en" && s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/**
 * describeSchedule returns the schedule in words, or null when its shape is
 * not one the describer knows (the page then shows the expression). The
 * expression is not validated here: the preview endpoint does that.
 */
export function describeSchedule(expr: string, t: Translate, lang: Lang): string | null {
  let e = expr.trim().replace(/\s+/g, " ");
  if (e === "") return t("cron.manual");
  const lower = e.toLowerCase();
  if (lower.startsWith("@every ")) return capitalize(t("cron.every", { d: e.slice(7).trim() }), lang);
  if (lower.startsWith("@at ")) return capitalize(t("cron.once", { at: e.slice(4).trim() }), lang);
  if (e.startsWith("@")) {
    const d = descriptors[lower];
    if (!d) return null;
    e = d;
  }
  const parts = e.split(" ");
  if (parts.length !== 5 && parts.length !== 6) return null;
  const [s, mi, h, dom, mon, dow] = parts.length === 6 ? parts : ["0", ...parts];
  const fields = [
    parseField(s!),
    parseField(mi!),
    parseField(h!),
    parseField(dom!),
    parseField(mon!, monthNames),
    parseField(dow!, dowNames),
  ];
  if (fields.some((f) => f === null)) return null;
  const [sec, min, hour, fdom, fmon, fdow] = fields as CronField[];
  const time = timePhrase(sec!, min!, hour!, t, lang);
  const days = dayPhrase(fdom!, fmon!, fdow!, t, lang);
  if (!time || !days) return null;
  if (time.interval && fdom!.kind === "any" && fmon!.kind === "any" && fdow!.kind === "any") {
    return capitalize(time.text, lang);
  }
  return capitalize(t("cron.sentence", { time: time.text, days }), lang);
}
