// RFC 9457 problem documents, as the Kronos API returns them (huma's
// ErrorModel: title, status, detail, and errors[] with a location such as
// "body.schedule" or "query.limit" and a message), turned into what a page
// shows: one message at the top and a message list per form field.

/** One entry of a problem's errors[] (huma's ErrorDetail). */
export interface ProblemDetail {
  location?: string;
  message?: string;
  value?: unknown;
}

/** What a page shows for a failed request. */
export interface Problem {
  /** HTTP status; 0 when the request never got an answer. */
  status: number;
  /** The message to show at the top: the problem's detail, else its title, else a generic line. */
  message: string;
  /** The problem's title ("Unprocessable Entity"), when it has one. */
  title?: string;
  /**
   * Messages per field. The key is the location without its "body.",
   * "query.", "path." or "header." prefix ("schedule", "config.url",
   * "limit"); a field's messages keep the server's order.
   */
  fields: Record<string, string[]>;
  /** Messages of errors[] entries that have no location (or one that names the whole body). */
  other: string[];
  /** True when message is the UI's own line (no usable body), which a page may translate. */
  generic?: boolean;
}

const prefixes = ["body.", "query.", "path.", "header.", "cookie."];

/** fieldKey returns the form-field key of an errors[] location. */
export function fieldKey(location: string): string {
  for (const p of prefixes) {
    if (location.startsWith(p)) return location.slice(p.length);
  }
  return location;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * problem turns an error body (parsed JSON, text, or nothing) and the
 * response status into a Problem. Bodies that are not RFC 9457 documents,
 * such as a proxy's HTML error page, give a message that names the status.
 */
export function problem(body: unknown, status: number): Problem {
  const out: Problem = { status, message: "", fields: {}, other: [] };
  if (isRecord(body)) {
    if (typeof body.status === "number" && status === 0) out.status = body.status;
    if (typeof body.title === "string" && body.title) out.title = body.title;
    const detail = typeof body.detail === "string" ? body.detail.trim() : "";
    out.message = detail || out.title || "";
    if (Array.isArray(body.errors)) {
      for (const e of body.errors as unknown[]) {
        if (!isRecord(e)) continue;
        const message = typeof e.message === "string" ? e.message : "";
        if (!message) continue;
        const location = typeof e.location === "string" ? e.location : "";
        const key = fieldKey(location);
        if (!location || key === "body" || key === "") {
          out.other.push(message);
        } else {
          (out.fields[key] ??= []).push(message);
        }
      }
    }
  } else if (typeof body === "string" && body.trim() && !body.trimStart().startsWith("<")) {
    // A plain-text error (the Go mux's "404 page not found"); HTML is not shown.
    out.message = body.trim();
  }
  if (!out.message) {
    out.generic = true;
    out.message = status ? `The server answered ${status}${statusText(status)}.` : "No answer from the server.";
  }
  return out;
}

function statusText(status: number): string {
  const t: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  return t[status] ? ` (${t[status]})` : "";
}

/**
 * fieldMessages returns the messages for a form field: those at its key and,
 * with nested set, those below it ("config" collects "config.url" as
 * "url: …"), so that a JSON field shows its inner errors.
 */
export function fieldMessages(p: Problem | undefined | null, key: string, nested = false): string[] {
  if (!p) return [];
  const out = [...(p.fields[key] ?? [])];
  if (nested) {
    for (const [k, msgs] of Object.entries(p.fields)) {
      if (k.startsWith(key + ".") || k.startsWith(key + "[")) {
        const sub = k.slice(key.length).replace(/^\./, "");
        for (const m of msgs) out.push(`${sub}: ${m}`);
      }
    }
  }
  return out;
}

/**
 * unclaimed returns the field messages that no field on the page shows
 * (keys not in shown, nor below a nested key), prefixed by their key, so
 * that no message of a problem is ever dropped.
 */
export function unclaimed(p: Problem | undefined | null, shown: string[], nested: string[] = []): string[] {
  if (!p) return [];
  const out = [...p.other];
  for (const [k, msgs] of Object.entries(p.fields)) {
    if (shown.includes(k)) continue;
    if (nested.some((n) => k.startsWith(n + ".") || k.startsWith(n + "["))) continue;
    for (const m of msgs) out.push(`${k}: ${m}`);
  }
  return out;
}

/** ApiError is thrown by unwrap for a failed request; it carries the Problem. */
export class ApiError extends Error {
  readonly problem: Problem;
  constructor(p: Problem) {
    super(p.message);
    this.name = "ApiError";
    this.problem = p;
  }
  get status(): number {
    return this.problem.status;
  }
}

/** asProblem returns the Problem of any thrown value (a network failure has status 0). */
export function asProblem(err: unknown): Problem {
  if (err instanceof ApiError) return err.problem;
  const message = err instanceof Error && err.message ? err.message : String(err);
  return { status: 0, message: `No answer from the server: ${message}`, fields: {}, other: [], generic: true };
}
