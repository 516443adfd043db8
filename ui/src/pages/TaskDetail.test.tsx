import { configure, fireEvent, screen, waitFor, within, render } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import { fakeNode, httpSchema, sampleTask, type TaskCall } from "../components/tasks/testkit";

// The machine may be busy (other suites, Go tests): give the fake node time.
configure({ asyncUtilTimeout: 5000 });

const viewer = { kind: "token", id: "t1", name: "ci-read", namespace: "default", roles: { default: "viewer" } };
const editor = { kind: "token", id: "t2", name: "deploy", namespace: "default", roles: { default: "editor" } };

const execution = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  namespace: "default",
  task_id: "id-backup",
  task_name: "backup",
  scheduled_at: "2026-11-25T18:00:00Z",
  trigger: "schedule",
  attempt: 1,
  status: "succeeded",
  duration_ms: 1234,
  ...extra,
});

/** node answers like a Kronos node holding task backup (version 4, then 5 after a change by someone else). */
function node(principal: object, opts: { conflict?: boolean } = {}) {
  let version = 4;
  let paused = false;
  return fakeNode((c: TaskCall) => {
    const route = `${c.method} ${c.path}`;
    switch (route) {
      case "GET /api/v1/whoami":
        return { status: 200, body: principal };
      case "GET /api/v1/namespaces":
        return { status: 200, body: { namespaces: [{ name: "default", settings: {}, version: 1, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" }] } };
      case "GET /api/v1/tasks/backup":
        return { status: 200, body: sampleTask("backup", { version, paused }), headers: { ETag: `"${version}"` } };
      case "GET /api/v1/tasks/backup/preview":
        return {
          status: 200,
          body: { next: paused ? [] : ["2026-11-27T02:00:00+08:00", "2026-11-28T02:00:00+08:00"], timezone: "Asia/Shanghai" },
        };
      case "GET /api/v1/tasks/backup/executions":
        return { status: 200, body: { executions: [execution("ex-1"), execution("ex-2", { status: "failed", error: "HTTP 503" })] } };
      case "POST /api/v1/tasks/backup/pause":
        paused = true;
        version++;
        return { status: 200, body: sampleTask("backup", { version, paused }) };
      case "POST /api/v1/tasks/backup/trigger":
        return { status: 202, body: execution("ex-new", { trigger: "manual", status: "pending" }) };
      case "DELETE /api/v1/tasks/backup":
        return { status: 204 };
      case "GET /api/v1/tasks":
        return { status: 200, body: { tasks: [] } };
      case "GET /api/v1/plugins":
        return { status: 200, body: { plugins: [{ name: "http", builtin: true }] } };
      case "GET /api/v1/plugins/http":
        return { status: 200, body: { name: "http", builtin: true, config_schema: httpSchema } };
      case "PUT /api/v1/tasks/backup":
        if (opts.conflict) {
          version = 5; // someone else saved first
          return { status: 409, body: { title: "Conflict", status: 409, detail: 'replace task "backup": task "backup" is at version 5, not 4: conflict (read it again and retry)' } };
        }
        return {
          status: 422,
          body: { title: "Unprocessable Entity", status: 422, detail: "invalid task", errors: [{ location: "body.config.url", message: "is not a valid uri" }] },
        };
    }
    return undefined;
  });
}

function open(path: string, token: string) {
  sessionStorage.setItem("kronos.token", token);
  window.history.replaceState(null, "", path);
}

describe("the task page", () => {
  it("shows a viewer the task, its next fire times and executions, and no actions", async () => {
    open("/tasks/backup", "kro_view");
    const { api, calls } = node(viewer);
    render(<App api={api} />);
    expect(await screen.findByRole("heading", { level: 1, name: /backup/ })).toBeTruthy();
    expect(screen.getByText("At 02:00, every day")).toBeTruthy();
    expect(screen.getByText("Asia/Shanghai")).toBeTruthy();
    expect(screen.getByRole("link", { name: "team=ops" }).getAttribute("href")).toBe("/tasks?selector=team%3Dops");
    expect(screen.getByText(/"url": "https:\/\/backup.example.com\/v1\/backup"/)).toBeTruthy();

    const next = await screen.findByText("Next 5 fire times (Asia/Shanghai)");
    const list = next.nextElementSibling as HTMLElement;
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(2));

    const runs = await screen.findByRole("table");
    expect(within(runs).getByRole("link", { name: "ex-1" }).getAttribute("href")).toBe("/executions/ex-1");
    expect(within(runs).getByText("failed")).toBeTruthy();
    expect(within(runs).getByText("HTTP 503")).toBeTruthy();
    expect(screen.getByRole("link", { name: "All executions" }).getAttribute("href")).toBe("/executions?task=backup");

    for (const name of ["Edit", "Pause", "Resume", "Trigger now", "Delete"]) {
      expect(screen.queryByRole("button", { name })).toBeNull();
      expect(screen.queryByRole("link", { name })).toBeNull();
    }
    expect(calls.find((c) => c.path === "/api/v1/tasks/backup")?.query.get("namespace")).toBe("default");
  });

  it("lets an editor pause, trigger and delete, the delete behind a confirmation", async () => {
    open("/tasks/backup", "kro_edit");
    const { api, calls } = node(editor);
    render(<App api={api} />);
    expect((await screen.findByRole("link", { name: "Edit" })).getAttribute("href")).toBe("/tasks/backup/edit");

    fireEvent.click(screen.getByRole("button", { name: "Pause" }));
    expect(await screen.findByRole("button", { name: "Resume" })).toBeTruthy();
    expect(await screen.findByText("None while the task is paused.")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Trigger now" }));
    const started = await screen.findByText("Started execution");
    expect(within(started).getByRole("link", { name: "ex-new" }).getAttribute("href")).toBe("/executions/ex-new");

    // The dialog names the task, starts on Cancel, and Escape closes it.
    const del = screen.getByRole("button", { name: "Delete" });
    del.focus();
    fireEvent.click(del);
    const dialog = screen.getByRole("alertdialog", { name: "Delete task backup?" });
    expect(dialog.textContent).toContain("namespace default");
    expect(document.activeElement).toBe(within(dialog).getByRole("button", { name: "Cancel" }));
    // Tab from the last button wraps to the first.
    within(dialog).getByRole("button", { name: "Delete task" }).focus();
    fireEvent.keyDown(dialog, { key: "Tab" });
    expect(document.activeElement).toBe(within(dialog).getByRole("button", { name: "Cancel" }));
    fireEvent.keyDown(dialog, { key: "Escape" });
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(document.activeElement).toBe(del);
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);

    fireEvent.click(del);
    fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete task" }));
    expect(await screen.findByText("Task backup deleted.")).toBeTruthy();
    expect(window.location.pathname).toBe("/tasks");
    const deletion = calls.find((c) => c.method === "DELETE")!;
    expect(deletion.headers.get("If-Match")).toBe('"5"'); // the version after the pause
  });

  it("edits with If-Match, shows field errors from the server, and a conflict as such with Reload", async () => {
    open("/tasks/backup/edit", "kro_edit");
    const { api, calls } = node(editor, { conflict: false });
    render(<App api={api} />);
    // The http schema renders as a form, filled from the task's config.
    const url = (await screen.findByLabelText("url (required)")) as HTMLInputElement;
    expect(url.value).toBe("https://backup.example.com/v1/backup");
    expect((screen.getByLabelText("Description") as HTMLInputElement).value).toBe("Nightly dump");
    expect(screen.queryByLabelText("Name")).toBeNull(); // the name is the path's

    fireEvent.change(url, { target: { value: "not a url" } });
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(url.getAttribute("aria-invalid")).toBe("true"));
    const errId = (url.getAttribute("aria-describedby") ?? "").split(" ").find((x) => x.endsWith("-error"))!;
    expect(document.getElementById(errId)?.textContent).toBe("is not a valid uri");
    expect(document.activeElement).toBe(url);

    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.headers.get("If-Match")).toBe('"4"');
    expect(put.body).toMatchObject({
      schedule: "0 2 * * *",
      timezone: "Asia/Shanghai",
      executor: "http",
      config: { url: "not a url", method: "POST" },
      labels: { team: "ops" },
      retry: { max_attempts: 3, initial_backoff: "10s", max_backoff: "5m0s", multiplier: 2, jitter: 0.2 },
      concurrency: "forbid",
      misfire: "run_once",
      catch_up_limit: 10,
      paused: false,
    });
    expect(put.body).not.toHaveProperty("name");
  });

  it("shows a 409 on save as a change by someone else, and reloads their version", async () => {
    open("/tasks/backup/edit", "kro_edit");
    const { api } = node(editor, { conflict: true });
    render(<App api={api} />);
    fireEvent.change(await screen.findByLabelText("Description"), { target: { value: "mine" } });
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("changed by someone else since you opened it");
    expect(screen.getByText(/^Namespace default, version 4\./)).toBeTruthy();
    fireEvent.click(within(alert).getByRole("button", { name: "Reload" }));
    expect(await screen.findByText(/^Namespace default, version 5\./)).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
    expect((screen.getByLabelText("Description") as HTMLInputElement).value).toBe("Nightly dump");
  });
});
