import type { Lang } from "../i18n/messages";

const formats = new Map<string, Intl.DateTimeFormat>();

/** formatTime writes an RFC 3339 instant in the reader's time zone and language. */
export function formatTime(iso: string | undefined, lang: Lang): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  let f = formats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "short" });
    formats.set(lang, f);
  }
  return f.format(d);
}

/** labelSelector returns key=value for a label, as list-tasks' selector takes it. */
export function labelSelector(key: string, value: string): string {
  return value === "" ? key : `${key}=${value}`;
}

/** addToSelector appends term to a comma-separated selector unless it is already there. */
export function addToSelector(selector: string, term: string): string {
  const terms = selector
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!terms.includes(term)) terms.push(term);
  return terms.join(",");
}
