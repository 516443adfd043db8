import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { App } from "./App";
import { fakeApi, type Call } from "./test/fakeApi";

const viewer = { kind: "token", id: "t1", name: "ci-read", namespace: "default", roles: { default: "viewer" } };
const editor = { kind: "token", id: "t2", name: "deploy", namespace: "default", roles: { default: "editor", ops: "viewer" } };

const task = (name: string, extra: Record<string, unknown> = {}) => ({
  id: `id-${name}`,
  namespace: "default",
  name,
  schedule: "0 2 * * *",
  timezone: "UTC",
  executor: "http",
  config: {},
  timeout: "5m",
  retry: {},
  concurrency: "allow",
  misfire: "skip",
  catch_up_limit: 0,
  paused: false,
  version: 1,
  created_at: "2026-01-02T03:04:05Z",
  updated_at: "2026-01-02T03:04:05Z",
  ...extra,
});

/** server answers like a node with the given tokens; anonymous requests are refused (not a --dev server). */
function server(tokens: Record<string, object>) {
  return (c: Call) => {
    const token = c.auth?.replace(/^Bearer /, "") ?? "";
    const principal = tokens[token];
    if (!principal) return { status: 401, body: { title: "Unauthorized", status: 401, detail: "invalid or expired token" } };
    switch (`${c.method} ${c.path}`) {
      case "GET /api/v1/whoami":
        return { status: 200, body: principal };
      case "GET /api/v1/namespaces":
        return {
          status: 200,
          body: {
            namespaces: Object.keys((principal as { roles: object }).roles).map((name) => ({
              name,
              settings: {},
              version: 1,
              created_at: "2026-01-01T00:00:00Z",
              updated_at: "2026-01-01T00:00:00Z",
            })),
          },
        };
      case "GET /api/v1/tasks":
        if (c.query.get("cursor") === "p2") return { status: 200, body: { tasks: [task("zeta")] } };
        return {
          status: 200,
          body: {
            tasks: [task("backup", { labels: { team: "ops" }, description: "Nightly dump" }), task("ping", { paused: true, schedule: "" })],
            next_cursor: "p2",
          },
        };
      case "GET /api/v1/plugins":
        return { status: 200, body: { plugins: [{ name: "http", builtin: true }] } };
      case "POST /api/v1/tasks":
        return {
          status: 422,
          body: {
            title: "Unprocessable Entity",
            status: 422,
            detail: 'task "Bad Name" is invalid',
            errors: [
              { location: "body.name", message: '"Bad Name" is not a valid name' },
              { location: "body.cron", message: "cron: expected 5 or 6 fields, got 3" },
              { location: "body.config.url", message: "is required" },
              { location: "body.owner", message: "an error no field shows" },
            ],
          },
        };
    }
    return undefined;
  };
}

describe("sign-in and the tasks page", () => {
  // "/" goes to the dashboard since it came; these tests are about the tasks page.
  beforeEach(() => window.history.replaceState(null, "", "/tasks"));

  it("shows a refused token's problem next to the token field", async () => {
    const { api } = fakeApi(server({}));
    render(<App api={api} />);
    const field = await screen.findByLabelText("API token");
    fireEvent.change(field, { target: { value: "kro_wrong" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByText("invalid or expired token");
    expect(field.getAttribute("aria-invalid")).toBe("true");
    const described = field.getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(described.split(" ").find((id) => id.endsWith("-error"))!)?.textContent).toContain(
      "invalid or expired token",
    );
    expect(sessionStorage.getItem("kronos.token")).toBeNull();
  });

  it("signs a viewer in, lists tasks and hides New task", async () => {
    const { api, calls } = fakeApi(server({ kro_view: viewer }));
    render(<App api={api} />);
    fireEvent.change(await screen.findByLabelText("API token"), { target: { value: "kro_view" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));

    const table = await screen.findByRole("table");
    expect(sessionStorage.getItem("kronos.token")).toBe("kro_view");
    expect(within(table).getByText("backup")).toBeTruthy();
    expect(within(table).getByText("Nightly dump")).toBeTruthy();
    expect(within(table).getByText("Paused")).toBeTruthy();
    expect(within(table).getByText("manual only")).toBeTruthy();
    expect(screen.queryByRole("link", { name: "New task" })).toBeNull();
    expect(screen.getByText("viewer")).toBeTruthy();

    const list = calls.find((c) => c.path === "/api/v1/tasks")!;
    expect(list.auth).toBe("Bearer kro_view");
    expect(list.query.get("namespace")).toBe("default");
    expect(list.query.get("limit")).toBe("50");

    // The next page asks with the cursor the server gave.
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await screen.findByText("zeta");
    expect(calls.some((c) => c.path === "/api/v1/tasks" && c.query.get("cursor") === "p2")).toBe(true);
    expect(screen.getByText("Page 2")).toBeTruthy();
  });

  it("shows New task to an editor, and the namespaces its token sees", async () => {
    sessionStorage.setItem("kronos.token", "kro_edit");
    const { api } = fakeApi(server({ kro_edit: editor }));
    render(<App api={api} />);
    expect(await screen.findByRole("link", { name: "New task" })).toBeTruthy();
    const select = screen.getByLabelText("Namespace") as HTMLSelectElement;
    await waitFor(() => expect([...select.options].map((o) => o.value)).toEqual(["default", "ops"]));
    // In ops the same token is a viewer: no New task there.
    fireEvent.change(select, { target: { value: "ops" } });
    await waitFor(() => expect(screen.queryByRole("link", { name: "New task" })).toBeNull());
  });

  it("switches the labels to Chinese", async () => {
    sessionStorage.setItem("kronos.token", "kro_view");
    const { api } = fakeApi(server({ kro_view: viewer }));
    render(<App api={api} />);
    await screen.findByRole("table");
    fireEvent.change(screen.getByLabelText("Language"), { target: { value: "zh" } });
    expect(await screen.findByRole("heading", { name: "任务" })).toBeTruthy();
    expect(document.documentElement.lang).toBe("zh-CN");
  });

  it("shows each 422 error under its field on New task, and the rest in the banner", async () => {
    sessionStorage.setItem("kronos.token", "kro_edit");
    window.history.replaceState(null, "", "/tasks/new");
    const { api, calls } = fakeApi(server({ kro_edit: editor }));
    render(<App api={api} />);
    fireEvent.change(await screen.findByLabelText("Name"), { target: { value: "Bad Name" } });
    fireEvent.change(screen.getByLabelText("Schedule"), { target: { value: "* * *" } });
    fireEvent.change(screen.getByLabelText("Config (JSON)"), { target: { value: "{}" } });
    fireEvent.click(screen.getByRole("button", { name: "Create task" }));

    const banner = await screen.findByRole("alert");
    expect(banner.textContent).toContain('task "Bad Name" is invalid');
    expect(banner.textContent).toContain("owner: an error no field shows");
    const errorOf = (label: string) => {
      const el = screen.getByLabelText(label);
      const id = (el.getAttribute("aria-describedby") ?? "").split(" ").find((x) => x.endsWith("-error"));
      return id ? document.getElementById(id)?.textContent : undefined;
    };
    expect(errorOf("Name")).toBe('"Bad Name" is not a valid name');
    expect(errorOf("Schedule")).toBe("cron: expected 5 or 6 fields, got 3");
    expect(errorOf("Config (JSON)")).toBe("url: is required");
    expect(errorOf("Description")).toBeUndefined();
    expect(document.activeElement).toBe(screen.getByLabelText("Name"));

    const post = calls.find((c) => c.method === "POST")!;
    expect(post.query.get("namespace")).toBe("default");
    expect(post.body).toMatchObject({ name: "Bad Name", schedule: "* * *", executor: "http", config: {} });
  });

  it("refuses JSON that does not parse before asking the server", async () => {
    sessionStorage.setItem("kronos.token", "kro_edit");
    window.history.replaceState(null, "", "/tasks/new");
    const { api, calls } = fakeApi(server({ kro_edit: editor }));
    render(<App api={api} />);
    fireEvent.change(await screen.findByLabelText("Config (JSON)"), { target: { value: "{url:" } });
    fireEvent.click(screen.getByRole("button", { name: "Create task" }));
    await waitFor(() => expect(screen.getByLabelText("Config (JSON)").getAttribute("aria-invalid")).toBe("true"));
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });
});
