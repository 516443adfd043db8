// Test helpers of the tasks area: a fake node (with request headers and
// response headers, for If-Match and ETag) and a render with the providers
// a component below the shell needs. Only tests import this file.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";

import { newApi, type Api } from "../../api/client";
import { I18nProvider } from "../../i18n/i18n";
import type { Lang } from "../../i18n/messages";
import { SessionProvider } from "../../lib/session";

export interface TaskCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
}

export type TaskAnswer = { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

/** fakeNode returns an API client whose requests go to handler, and the calls made. */
export function fakeNode(handler: (c: TaskCall) => TaskAnswer | Promise<TaskAnswer>): { api: Api; calls: TaskCall[] } {
  const calls: TaskCall[] = [];
  const fetchImpl = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = req.method === "GET" ? "" : await req.text();
    const call: TaskCall = {
      method: req.method,
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    calls.push(call);
    const r = (await handler(call)) ?? {
      status: 404,
      body: { title: "Not Found", status: 404, detail: `no fake for ${req.method} ${url.pathname}` },
    };
    return new Response(r.body === undefined ? null : JSON.stringify(r.body), {
      status: r.status,
      headers: { "Content-Type": r.status >= 400 ? "application/problem+json" : "application/json", ...(r.headers ?? {}) },
    });
  };
  return { api: newApi(() => sessionStorage.getItem("kronos.token"), fetchImpl), calls };
}

/** renderWith renders ui inside the language, session (api) and query providers. */
export function renderWith(ui: ReactNode, api: Api, lang: Lang = "en") {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <I18nProvider initial={lang}>
      <SessionProvider api={api}>
        <QueryClientProvider client={client}>{ui}</QueryClientProvider>
      </SessionProvider>
    </I18nProvider>,
  );
}

/** task returns a task as get-task answers it. */
export function sampleTask(name: string, extra: Record<string, unknown> = {}) {
  return {
    id: `id-${name}`,
    namespace: "default",
    name,
    description: "Nightly dump",
    schedule: "0 2 * * *",
    timezone: "Asia/Shanghai",
    executor: "http",
    config: { url: "https://backup.example.com/v1/backup", method: "POST" },
    labels: { team: "ops" },
    timeout: "5m0s",
    retry: { max_attempts: 3, initial_backoff: "10s", max_backoff: "5m0s", multiplier: 2, jitter: 0.2 },
    concurrency: "forbid",
    misfire: "run_once",
    catch_up_limit: 10,
    paused: false,
    version: 4,
    created_at: "2026-01-02T03:04:05Z",
    updated_at: "2026-01-03T03:04:05Z",
    ...extra,
  };
}

/** httpSchema is the built-in http plugin's config schema (plugins/http/schema.go), abridged. */
export const httpSchema = {
  title: "HTTP request",
  description: "One HTTP request per execution.",
  type: "object",
  required: ["url"],
  additionalProperties: false,
  properties: {
    method: { description: "The HTTP method.", type: "string", enum: ["GET", "HEAD", "POST", "PUT"], default: "GET" },
    url: { description: "The URL to call.", type: "string", format: "uri", maxLength: 8192 },
    headers: { description: "Request headers.", type: "object", additionalProperties: { type: "string" }, default: {} },
    body: { description: "The request body, as text.", type: "string", default: "" },
    expected_status: {
      description: "The statuses that make the execution succeed.",
      type: "array",
      items: { anyOf: [{ type: "integer", minimum: 100, maximum: 599 }, { type: "string", pattern: "^[1-5]xx$" }] },
      default: ["2xx"],
    },
    capture_response: { description: "Record the response.", type: "boolean", default: true },
    max_response_bytes: { type: "integer", minimum: 1, maximum: 1048576, default: 65536 },
    auth: {
      type: "object",
      required: ["user"],
      properties: { user: { type: "string" }, password: { type: "string" } },
    },
    extra: { type: "array", items: { type: "object" } },
  },
};
