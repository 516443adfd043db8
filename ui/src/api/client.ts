// The API client: openapi-fetch over the types openapi-typescript generates
// from ../openapi/openapi.yaml (src/api/schema.d.ts, see README.md), with
// the bearer token added by a middleware.
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";
import { ApiError, problem } from "./problem";

export { ApiError, asProblem, fieldMessages, problem, unclaimed } from "./problem";
export type { Problem } from "./problem";

export type Principal = components["schemas"]["Principal"];
export type Namespace = components["schemas"]["Namespace"];
export type Task = components["schemas"]["Task"];
export type TaskInput = components["schemas"]["TaskInput"];
export type TaskList = components["schemas"]["TaskList"];
export type Plugin = components["schemas"]["Plugin"];
export type Role = "viewer" | "editor" | "admin";

export type Api = ReturnType<typeof createClient<paths>>;

/**
 * bearer returns a middleware that sends the token of the moment (token()
 * is read on every request, so signing in or out needs no new client).
 * An empty token sends no Authorization header: a --dev server on
 * loopback lets such requests act as its anonymous owner.
 */
export function bearer(token: () => string | null | undefined): Middleware {
  return {
    onRequest({ request }) {
      const t = token();
      if (t && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${t}`);
      return request;
    },
  };
}

/** newApi returns a client of this origin's API with the token middleware. */
export function newApi(token: () => string | null | undefined, fetchImpl?: (input: Request) => Promise<Response>): Api {
  const api = createClient<paths>({
    baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    headers: { Accept: "application/json, application/problem+json" },
  });
  api.use(bearer(token));
  return api;
}

/**
 * unwrap returns the data of an openapi-fetch result, or throws an
 * ApiError whose problem is the RFC 9457 body of the failure.
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(problem(error, response.status));
  return data as T;
}

/** roleIn returns the principal's role in a namespace; undefined when it has none. */
export function roleIn(p: Principal | null | undefined, namespace: string): Role | undefined {
  if (!p) return undefined;
  if (p.owner) return "admin";
  const r = p.roles?.[namespace];
  return r === "viewer" || r === "editor" || r === "admin" ? r : undefined;
}

/** canEdit reports whether the principal may change tasks in the namespace (editor or admin). */
export function canEdit(p: Principal | null | undefined, namespace: string): boolean {
  const r = roleIn(p, namespace);
  return r === "editor" || r === "admin";
}
