// What the executions pages share: the statuses, the list query built from
// the filters, durations and one-line summaries.
import type { components, operations } from "../../api/schema";

export type Execution = components["schemas"]["Execution"];
export type ExecutionStatus = Execution["status"];
export type ExecutionTrigger = Execution["trigger"];
export type LogLine = components["schemas"]["LogLine"];
export type ListQuery = NonNullable<operations["list-executions"]["parameters"]["query"]>;

/** Lines per get-execution-logs page (the API's most). */
export const logPageSize = 1000;

/** Every status, in the order the filter shows them. */
export const statuses: readonly ExecutionStatus[] = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "timed_out",
  "canceled",
  "skipped",
  "interrupted",
] as const;

/** isActive reports whether an execution may still change (pending or running). */
export function isActive(status: ExecutionStatus | undefined): boolean {
  return status === "pending" || status === "running";
}

/** parseStatuses reads the URL's comma-separated status list, keeping known ones in the filter's order. */
export function parseStatuses(v: string | null): ExecutionStatus[] {
  if (!v) return [];
  const want = new Set(v.split(",").map((s) => s.trim()));
  return statuses.filter((s) => want.has(s));
}

/**
 * localToRFC3339 turns a datetime-local value ("2026-01-02T03:04", the
 * reader's time zone) into an RFC 3339 instant; "" when empty or invalid.
 */
export function localToRFC3339(v: string): string {
  if (!v) return "";
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

export interface Filters {
  namespace: string;
  statuses: ExecutionStatus[];
  /** datetime-local values, as the fields hold them. */
  from: string;
  to: string;
  cursor: string;
  limit: number;
}

/** listQuery returns the query of list-executions (and list-task-executions) for the filters. */
export function listQuery(f: Filters): ListQuery {
  const q: ListQuery = { namespace: f.namespace, limit: f.limit };
  if (f.statuses.length) q.status = [...f.statuses];
  const from = localToRFC3339(f.from);
  const to = localToRFC3339(f.to);
  if (from) q.from = from;
  if (to) q.to = to;
  if (f.cursor) q.cursor = f.cursor;
  return q;
}

/** durationMs is the execution's duration: recorded when it ended, else the time since it started. */
export function durationMs(x: Execution, now: number = Date.now()): number | undefined {
  if (x.duration_ms !== undefined && x.duration_ms !== null) return x.duration_ms;
  if (x.started_at && x.status === "running") {
    const t = new Date(x.started_at).getTime();
    if (!Number.isNaN(t)) return Math.max(0, now - t);
  }
  if (x.started_at && x.finished_at) {
    const a = new Date(x.started_at).getTime();
    const b = new Date(x.finished_at).getTime();
    if (!Number.isNaN(a) && !Number.isNaN(b)) return Math.max(0, b - a);
  }
  return undefined;
}

/** formatDuration writes milliseconds shortly: 850 ms, 12.3 s, 4 min 5 s, 2 h 3 min. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(s / 60);
  if (m < 24 * 60) return `${Math.floor(m / 60)} h ${m % 60} min`;
  return `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
}

/** oneLine squeezes whitespace and cuts text to n characters with an ellipsis. */
export function oneLine(text: string, n: number): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

/** summary is the result in one line: the error, else the reason, else the output; which one it is in kind. */
export function summary(x: Execution, n = 100): { kind: "error" | "reason" | "output" | "none"; text: string } {
  if (x.error) return { kind: "error", text: oneLine(x.error, n) };
  if (x.reason) return { kind: "reason", text: oneLine(x.reason, n) };
  if (x.output) return { kind: "output", text: oneLine(x.output, n) };
  return { kind: "none", text: "" };
}

/** prettyOutput returns output indented when it is JSON, else as it is; json says which. */
export function prettyOutput(output: string): { text: string; json: boolean } {
  const t = output.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return { text: JSON.stringify(JSON.parse(t), null, 2), json: true };
    } catch {
      // Not JSON after all.
    }
  }
  return { text: output, json: false };
}

/** logTime writes a log line's instant as a local time of day with milliseconds. */
export function logTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
