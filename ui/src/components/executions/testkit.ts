// Test helpers of the executions and plugins pages: a fake node that can
// answer with a stream (Server-Sent Events) and reads multipart bodies.
// Only tests import this file.
import { newApi, type Api } from "../../api/client";

export interface FakeCall {
  method: string;
  path: string;
  query: URLSearchParams;
  auth: string | null;
  accept: string | null;
  contentType: string | null;
  /** JSON bodies parsed; a multipart body as FormData; other bodies as text. */
  body: unknown;
  signal: AbortSignal;
}

export type FakeAnswer = { status: number; body?: unknown } | { status: number; stream: ReadableStream<Uint8Array> };

export type FakeHandler = (call: FakeCall) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>;

/** fakeServer returns an API client whose requests go to handler, and the calls made. */
export function fakeServer(handler: FakeHandler): { api: Api; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const fetchImpl = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const contentType = req.headers.get("Content-Type");
    let body: unknown;
    if (req.method !== "GET" && req.method !== "HEAD") {
      if (contentType?.startsWith("multipart/form-data")) {
        try {
          body = await req.formData();
        } catch {
          body = await req.text();
        }
      } else {
        const text = await req.text();
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
      }
    }
    const call: FakeCall = {
      method: req.method,
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      auth: req.headers.get("Authorization"),
      accept: req.headers.get("Accept"),
      contentType,
      body,
      signal: req.signal,
    };
    calls.push(call);
    const r = await handler(call);
    if (!r) {
      return json(404, { title: "Not Found", status: 404, detail: `no fake for ${req.method} ${url.pathname}` });
    }
    if ("stream" in r) {
      return new Response(r.stream, { status: r.status, headers: { "Content-Type": "text/event-stream" } });
    }
    return json(r.status, r.body);
  };
  return { api: newApi(() => sessionStorage.getItem("kronos.token"), fetchImpl), calls };
}

function json(status: number, body: unknown): Response {
  if (status === 204) return new Response(null, { status });
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" },
  });
}

/** sseStream is a response body the test writes Server-Sent Events text to, chunk by chunk. */
export function sseStream(): {
  stream: ReadableStream<Uint8Array>;
  send: (text: string) => void;
  close: () => void;
  closed: () => boolean;
} {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  let done = false;
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      ctl = c;
    },
    cancel() {
      done = true;
    },
  });
  return {
    stream,
    send: (text) => {
      if (!done) ctl.enqueue(enc.encode(text));
    },
    close: () => {
      if (!done) {
        done = true;
        ctl.close();
      }
    },
    closed: () => done,
  };
}

export const viewer = { kind: "token", id: "t1", name: "ci-read", namespace: "default", roles: { default: "viewer" } };
export const editor = { kind: "token", id: "t2", name: "deploy", namespace: "default", roles: { default: "editor" } };

/** namespacesOf is list-namespaces' answer for a principal. */
export function namespacesOf(p: { roles: Record<string, string> }) {
  return {
    namespaces: Object.keys(p.roles).map((name) => ({
      name,
      settings: {},
      version: 1,
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
    })),
  };
}

/** execution returns an execution as the API does, with extra fields over the defaults. */
export function execution(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    namespace: "default",
    task_id: "task-1",
    task_name: "backup",
    scheduled_at: "2026-01-02T03:04:05Z",
    trigger: "schedule",
    attempt: 1,
    status: "succeeded",
    started_at: "2026-01-02T03:04:05.100Z",
    finished_at: "2026-01-02T03:04:06.350Z",
    duration_ms: 1250,
    node: "node-a",
    ...extra,
  };
}
