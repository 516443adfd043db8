// A fake Kronos node for the admin pages' tests: principals by token, the
// namespaces, nodes, tokens, secrets and audit events they read, and a
// hook per test to answer (or record) anything else first.
import type { Call } from "../../test/fakeApi";

export const owner = { kind: "token", id: "t0", name: "root", namespace: "default", owner: true, roles: {} };
export const admin = { kind: "token", id: "t3", name: "ops-admin", namespace: "default", roles: { default: "admin", ops: "viewer" } };
export const viewer = { kind: "token", id: "t1", name: "ci-read", namespace: "default", roles: { default: "viewer" } };

export const namespaceBody = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: name === "default" ? "The default namespace" : "",
  settings: { wasm: { max_timeout: "10m" }, network: { allowed_hosts: ["*.example.com"] }, quotas: { max_tasks: 1000 } },
  version: 3,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-02T00:00:00Z",
  usage: { tasks: 37, plugins: 2, running_executions: 1, executions_last_minute: 12 },
  ...extra,
});

type Reply = { status: number; body?: unknown } | undefined;

/** adminServer answers as a node with the given tokens; before answers a call first when it returns a reply. */
export function adminServer(tokens: Record<string, Record<string, unknown>>, before: (c: Call) => Reply = () => undefined) {
  return (c: Call): Reply => {
    const token = c.auth?.replace(/^Bearer /, "") ?? "";
    const principal = tokens[token];
    if (!principal) return { status: 401, body: { title: "Unauthorized", status: 401, detail: "invalid or expired token" } };
    const first = before(c);
    if (first) return first;
    const visible = principal.owner ? ["default", "ops"] : Object.keys(principal.roles as object);
    switch (`${c.method} ${c.path}`) {
      case "GET /api/v1/whoami":
        return { status: 200, body: principal };
      case "GET /api/v1/namespaces":
        return { status: 200, body: { namespaces: visible.map((n) => namespaceBody(n)) } };
      case "GET /api/v1/namespaces/default":
        return { status: 200, body: namespaceBody("default") };
    }
    return undefined;
  };
}
