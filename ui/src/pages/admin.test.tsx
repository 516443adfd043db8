import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import { admin, adminServer, owner, viewer } from "../components/admin/testkit";
import { fakeApi, type Call } from "../test/fakeApi";

function start(path: string, token: string, server: ReturnType<typeof adminServer>) {
  sessionStorage.setItem("kronos.token", token);
  window.history.replaceState(null, "", path);
  const fake = fakeApi(server);
  // The If-Match header of each request (fakeApi's calls keep only Authorization).
  const ifMatch: (string | null)[] = [];
  fake.api.use({
    onRequest({ request }) {
      if (request.method !== "GET") ifMatch.push(request.headers.get("If-Match"));
      return request;
    },
  });
  render(<App api={fake.api} />);
  return { ...fake, ifMatch };
}

describe("tokens", () => {
  it("shows a new token once, and forgets it when the dialog closes", async () => {
    const secret = "kro_3xQ9aZ7mK2pL8wR4tY6uV1bN5cX0dF9g1a2b3c";
    const { calls } = start(
      "/tokens",
      "kro_admin",
      adminServer({ kro_admin: admin }, (c) => {
        if (c.method === "GET" && c.path === "/api/v1/tokens")
          return {
            status: 200,
            body: {
              tokens: [
                { id: "t3", name: "ops-admin", namespace: "default", display: "kro_AbCd", roles: { default: "admin" }, created_at: "2026-01-01T00:00:00Z" },
                {
                  id: "t9",
                  name: "old",
                  namespace: "default",
                  display: "kro_Zz99",
                  roles: { default: "viewer" },
                  created_at: "2026-01-01T00:00:00Z",
                  revoked_at: "2026-01-05T00:00:00Z",
                },
              ],
            },
          };
        if (c.method === "POST" && c.path === "/api/v1/tokens")
          return {
            status: 201,
            body: {
              token: secret,
              detail: { id: "t10", name: "ci-deploy", namespace: "default", display: "kro_3xQ9", roles: { default: "viewer" }, created_at: "2026-02-01T00:00:00Z" },
            },
          };
        return undefined;
      }),
    );
    const table = await screen.findByRole("table");
    expect(within(table).getByText("kro_AbCd…")).toBeTruthy();
    expect(within(table).getByText("revoked")).toBeTruthy();
    // A revoked token has nothing left to revoke; the live one can be.
    expect(within(table).getAllByRole("button", { name: /^Revoke/ })).toHaveLength(1);

    fireEvent.click(screen.getByRole("button", { name: "New token" }));
    const form = await screen.findByRole("dialog", { name: "New token" });
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "ci-deploy" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create token" }));

    const once = await screen.findByRole("dialog", { name: "Token ci-deploy created" });
    expect(within(once).getByText(secret)).toBeTruthy();
    expect(within(once).getByText(/shown only this once/)).toBeTruthy();
    expect(within(once).getByRole("button", { name: "Copy" })).toBeTruthy();
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.query.get("namespace")).toBe("default");
    expect(post.body).toEqual({ name: "ci-deploy", roles: { default: "viewer" }, expires_in: "2160h" });

    fireEvent.click(within(once).getByRole("button", { name: "I have copied it" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(document.body.innerHTML).not.toContain(secret);
  });

  it("shows a viewer no token list and no create or revoke control", async () => {
    const { calls } = start("/tokens", "kro_view", adminServer({ kro_view: viewer }));
    expect(await screen.findByText("Only admins of namespace default see its tokens.")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "New token" })).toBeNull();
    expect(screen.queryByRole("button", { name: /Revoke/ })).toBeNull();
    expect(calls.some((c) => c.path === "/api/v1/tokens")).toBe(false);
  });
});

describe("namespaces", () => {
  it("shows a viewer the namespaces and settings with no create, save or delete control", async () => {
    start("/namespaces", "kro_view", adminServer({ kro_view: viewer }));
    expect(await screen.findByRole("link", { name: "default" })).toBeTruthy();
    expect(screen.getByText("The default namespace")).toBeTruthy();
    expect(screen.getByText("timeout ≤ 10m")).toBeTruthy();
    // Usage beside each quota: a meter where there is a quota, the count alone where there is none.
    expect(screen.getByText("37 / 1000")).toBeTruthy();
    expect(screen.getByLabelText("Tasks: 37 of 1000")).toBeTruthy();
    expect(screen.getAllByText("no limit").length).toBeGreaterThan(0);
    expect(screen.queryByRole("button", { name: "New namespace" })).toBeNull();

    // The admin group holds Namespaces and Nodes, not the admin-only pages.
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Namespaces" })).toBeTruthy();
    expect(within(nav).getByRole("link", { name: "Nodes" })).toBeTruthy();
    expect(within(nav).queryByRole("link", { name: "Tokens" })).toBeNull();
    expect(within(nav).queryByRole("link", { name: "Secrets" })).toBeNull();

    fireEvent.click(screen.getByRole("link", { name: "default" }));
    expect(await screen.findByRole("heading", { name: /Namespace default/ })).toBeTruthy();
    expect((await screen.findByLabelText("Description")).closest("fieldset[disabled]")).not.toBeNull();
    expect(screen.queryByRole("button", { name: "Save settings" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete namespace" })).toBeNull();
  });

  it("says so when a save meets a change made meanwhile (409), with If-Match sent", async () => {
    const { calls, ifMatch } = start(
      "/namespaces/default",
      "kro_admin",
      adminServer({ kro_admin: admin }, (c) =>
        c.method === "PUT"
          ? { status: 409, body: { title: "Conflict", status: 409, detail: 'replace namespace "default": version conflict' } }
          : undefined,
      ),
    );
    const description = (await screen.findByLabelText("Description")) as HTMLInputElement;
    expect(description.value).toBe("The default namespace");
    // An admin who is not an owner edits settings, not quotas, and deletes nothing.
    expect(description.closest("fieldset[disabled]")).toBeNull();
    expect(screen.getByLabelText("Tasks").closest("fieldset[disabled]")).not.toBeNull();
    expect(screen.queryByRole("button", { name: "Delete namespace" })).toBeNull();

    fireEvent.change(description, { target: { value: "Ops and more" } });
    fireEvent.click(screen.getByRole("button", { name: "Save settings" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("was changed by someone else since you opened it");
    expect(alert.textContent).toContain("version conflict");
    expect(within(alert).getByRole("button", { name: "Reload" })).toBeTruthy();

    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.path).toBe("/api/v1/namespaces/default");
    expect(put.body).toMatchObject({ description: "Ops and more", settings: { quotas: { max_tasks: 1000 } } });
    expect((put.body as Record<string, unknown>).name).toBeUndefined();
    expect((put.body as Record<string, unknown>).usage).toBeUndefined();
    // The namespace as read was version 3 (no ETag header from the fake: the version stands in).
    expect(ifMatch).toEqual(['"3"']);
  });

  it("offers an owner to delete a namespace that is not empty with everything in it, naming what goes", async () => {
    const { calls } = start(
      "/namespaces/ops",
      "kro_owner",
      adminServer({ kro_owner: owner }, (c) => {
        if (c.method === "GET" && c.path === "/api/v1/namespaces/ops")
          return { status: 200, body: { name: "ops", settings: {}, version: 1, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" } };
        if (c.method === "DELETE" && c.path === "/api/v1/namespaces/ops")
          return c.query.get("force") === "true"
            ? { status: 204 }
            : { status: 409, body: { title: "Conflict", status: 409, detail: 'namespace "ops" holds 2 tasks and 1 plugin' } };
        if (c.path === "/api/v1/tasks") return { status: 200, body: { tasks: [{ name: "backup" }, { name: "ping" }] } };
        if (c.path === "/api/v1/plugins")
          return { status: 200, body: { plugins: [{ name: "http", builtin: true }, { name: "reporter" }] } };
        return undefined;
      }),
    );
    fireEvent.click(await screen.findByRole("button", { name: "Delete namespace" }));
    const first = await screen.findByRole("dialog", { name: "Delete namespace ops?" });
    fireEvent.click(within(first).getByRole("button", { name: "Delete namespace" }));

    const second = await screen.findByRole("dialog", { name: "ops is not empty" });
    expect(within(second).getByText('namespace "ops" holds 2 tasks and 1 plugin')).toBeTruthy();
    expect(await within(second).findByText("tasks (2), which fire no more: backup, ping")).toBeTruthy();
    expect(within(second).getByText("plugins (1): reporter")).toBeTruthy();
    const go = within(second).getByRole("button", { name: "Delete ops and everything in it" }) as HTMLButtonElement;
    expect(go.disabled).toBe(true);
    fireEvent.change(within(second).getByLabelText("Type ops to confirm"), { target: { value: "ops" } });
    expect(go.disabled).toBe(false);
    fireEvent.click(go);
    expect(await screen.findByText("Namespace ops deleted.")).toBeTruthy();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.query.get("force"))).toEqual([null, "true"]);
  });
});

describe("secrets", () => {
  it("never renders a secret's value, and clears the field after submitting", async () => {
    const puts: Call[] = [];
    start(
      "/secrets",
      "kro_admin",
      adminServer({ kro_admin: admin }, (c) => {
        if (c.method === "GET" && c.path === "/api/v1/secrets")
          return {
            status: 200,
            // A server that (wrongly) sent a value: the page shows names and times only.
            body: {
              secrets: [
                { namespace: "default", name: "db-pass", key_id: "k1", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", value: "leaked-value" },
              ],
            },
          };
        if (c.method === "PUT") {
          puts.push(c);
          if (puts.length === 1)
            return {
              status: 422,
              body: { title: "Unprocessable Entity", status: 422, detail: "put secret: invalid name", errors: [{ location: "path.name", message: "must be lower-case" }] },
            };
          return { status: 200, body: { namespace: "default", name: "api-key", key_id: "k1", created_at: "2026-02-01T00:00:00Z", updated_at: "2026-02-01T00:00:00Z" } };
        }
        return undefined;
      }),
    );
    const table = await screen.findByRole("table");
    expect(within(table).getByText("db-pass", { selector: ".task-name" })).toBeTruthy();
    expect(document.body.innerHTML).not.toContain("leaked-value");

    fireEvent.click(screen.getByRole("button", { name: "New secret" }));
    const dialog = await screen.findByRole("dialog", { name: "New secret" });
    const value = within(dialog).getByLabelText("Value") as HTMLInputElement;
    expect(value.type).toBe("password");
    fireEvent.change(within(dialog).getByLabelText("Name"), { target: { value: "API-key" } });
    fireEvent.change(value, { target: { value: "hunter2" } });
    expect(document.body.innerHTML).not.toContain("hunter2");
    fireEvent.click(within(dialog).getByRole("button", { name: "Create secret" }));

    // Refused: the field is empty again and the server's message sits at the name.
    expect(await within(dialog).findByText("must be lower-case")).toBeTruthy();
    expect(value.value).toBe("");
    expect(puts[0]!.body).toEqual({ value: "hunter2" });

    fireEvent.change(within(dialog).getByLabelText("Name"), { target: { value: "api-key" } });
    fireEvent.change(value, { target: { value: "s3cr3t-two" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create secret" }));
    expect(await screen.findByText("Secret api-key set.")).toBeTruthy();
    expect(puts[1]!.path).toBe("/api/v1/secrets/api-key");
    expect(puts[1]!.body).toEqual({ value: "s3cr3t-two" });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.body.innerHTML).not.toContain("hunter2");
    expect(document.body.innerHTML).not.toContain("s3cr3t-two");
  });
});

describe("nodes", () => {
  it("shows each heartbeat's age, late ones flagged, and the answering node's engine figures", async () => {
    const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();
    start(
      "/nodes",
      "kro_view",
      adminServer({ kro_view: viewer }, (c) => {
        if (c.path === "/api/v1/nodes")
          return {
            status: 200,
            body: {
              nodes: [
                { id: "node-1", address: "http://node-1:8080", version: "1.2.0", started_at: ago(7200), heartbeat_at: ago(1), partitions_held: 192, executions_running: 3, self: true },
                { id: "node-2", address: "http://node-2:8080", version: "1.2.0", started_at: ago(3600), heartbeat_at: ago(20), partitions_held: 64, executions_running: 1 },
              ],
            },
          };
        if (c.path === "/api/v1/node")
          return {
            status: 200,
            body: {
              id: "node-1", version: "1.2.0", started_at: ago(7200), store: "mysql", mode: "cluster",
              partitions_held: 192, tasks_queued: 40, executions_claimed: 5, executions_running: 3, executions_waiting: 2,
            },
          };
        return undefined;
      }),
    );
    const fresh = await screen.findByTestId("heartbeat-node-1");
    expect(fresh.className).toContain("heartbeat-ok");
    expect(fresh.textContent).toMatch(/^[12] s ago$/);
    const late = screen.getByTestId("heartbeat-node-2");
    expect(late.className).toContain("heartbeat-stale");
    expect(late.textContent).toContain("stale");
    expect(screen.getByRole("link", { name: "http://node-2:8080" }).getAttribute("href")).toBe("http://node-2:8080");
    expect(screen.getByLabelText("192 of 256 partitions held (75%)")).toBeTruthy();
    await screen.findByText("cluster");
    const rows = screen.getAllByRole("row");
    expect(within(rows[1]!).getByText("40")).toBeTruthy();
    expect(within(rows[2]!).getAllByText("—")).toHaveLength(3);
  });
});

describe("audit log", () => {
  it("filters by actor and opens an event to show what changed", async () => {
    const { calls } = start(
      "/audit",
      "kro_admin",
      adminServer({ kro_admin: admin }, (c) =>
        c.path === "/api/v1/audit"
          ? {
              status: 200,
              body: {
                events: [
                  {
                    id: 42, at: "2026-03-01T10:00:00Z", actor: "token:t3 (ops-admin)", action: "replace-task", kind: "task", target: "backup", status: 200, remote: "10.0.0.7",
                    before: { name: "backup", schedule: "0 2 * * *", version: 1 },
                    after: { name: "backup", schedule: "0 3 * * *", version: 2, paused: true },
                  },
                ],
                next_before_id: 42,
              },
            }
          : undefined,
      ),
    );
    const table = await screen.findByRole("table");
    const toggle = within(table).getByRole("button", { name: "Show the details of event 42" });
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const changes = screen.getByRole("table", { name: "Changed at the top level" });
    expect(within(changes).getByText('"0 2 * * *"')).toBeTruthy();
    expect(within(changes).getByText('"0 3 * * *"')).toBeTruthy();
    expect(within(changes).getByText("paused")).toBeTruthy();
    expect(within(changes).queryByText("name")).toBeNull();

    fireEvent.click(within(table).getByRole("button", { name: "token:t3 (ops-admin)" }));
    await waitFor(() => expect(calls.some((c) => c.path === "/api/v1/audit" && c.query.get("actor") === "token:t3 (ops-admin)")).toBe(true));
    const next = screen.getByRole("button", { name: "Next" }) as HTMLButtonElement;
    await waitFor(() => expect(next.disabled).toBe(false));
    fireEvent.click(next);
    await waitFor(() => expect(calls.some((c) => c.path === "/api/v1/audit" && c.query.get("before_id") === "42")).toBe(true));
  });
});
