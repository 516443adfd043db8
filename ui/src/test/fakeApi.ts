import { newApi, type Api } from "../api/client";

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  auth: string | null;
  body: unknown;
}

type Handler = (call: Call) => { status: number; body?: unknown } | undefined;

function json(status: number, body: unknown): Response {
  const problemish = status >= 400;
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": problemish ? "application/problem+json" : "application/json" },
  });
}

/**
 * fakeApi returns an API client whose requests go to handler instead of the
 * network, and the calls it made. The token comes from sessionStorage, as
 * in the app.
 */
export function fakeApi(handler: Handler): { api: Api; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = req.method === "GET" ? "" : await req.text();
    const call: Call = {
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      auth: req.headers.get("Authorization"),
      body: text ? JSON.parse(text) : undefined,
    };
    calls.push(call);
    const r = handler(call);
    if (!r) return json(404, { title: "Not Found", status: 404, detail: `no fake for ${req.method} ${url.pathname}` });
    return json(r.status, r.body);
  };
  return { api: newApi(() => sessionStorage.getItem("kronos.token"), fetchImpl), calls };
}
