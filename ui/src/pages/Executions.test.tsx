import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import { execution, fakeServer, namespacesOf, viewer, type FakeCall } from "../components/executions/testkit";

function server(rows: (call: FakeCall) => unknown[], next?: (call: FakeCall) => string | undefined) {
  return (c: FakeCall) => {
    if (c.auth !== "Bearer kro_view") return { status: 401, body: { title: "Unauthorized", status: 401, detail: "invalid token" } };
    if (c.path === "/api/v1/whoami") return { status: 200, body: viewer };
    if (c.path === "/api/v1/namespaces") return { status: 200, body: namespacesOf(viewer) };
    if (c.path === "/api/v1/executions" || c.path === "/api/v1/tasks/backup/executions") {
      const n = next?.(c);
      return { status: 200, body: { executions: rows(c), ...(n ? { next_cursor: n } : {}) } };
    }
    return undefined;
  };
}

const lists = (calls: FakeCall[]) => calls.filter((c) => c.path.endsWith("/executions"));

describe("the executions list", () => {
  it("builds list-task-executions' query from the URL's filters, and list-executions' without a task", async () => {
    sessionStorage.setItem("kronos.token", "kro_view");
    window.history.replaceState(
      null,
      "",
      "/executions?task=backup&status=failed,timed_out&from=2026-01-02T00:00&to=2026-01-03T12:30&limit=20",
    );
    const { api, calls } = fakeServer(
      server(
        () => [execution("x1", { status: "failed", error: "connection refused\n  at dial" })],
        (c) => (c.query.get("cursor") ? undefined : "c2"),
      ),
    );
    render(<App api={api} />);
    const table = await screen.findByRole("table");
    expect(screen.getByRole("heading", { name: "Executions of backup" })).toBeTruthy();

    const first = lists(calls)[0]!;
    expect(first.path).toBe("/api/v1/tasks/backup/executions");
    expect(first.query.getAll("status")).toEqual(["failed", "timed_out"]);
    expect(first.query.get("from")).toBe(new Date("2026-01-02T00:00").toISOString());
    expect(first.query.get("to")).toBe(new Date("2026-01-03T12:30").toISOString());
    expect(first.query.get("limit")).toBe("20");
    expect(first.query.get("namespace")).toBe("default");
    expect(first.query.has("cursor")).toBe(false);
    expect(first.auth).toBe("Bearer kro_view");

    // The row: a status in words, the trigger, the duration and the error's first line.
    expect(within(table).getByText("Failed")).toBeTruthy();
    expect(within(table).getByText("Schedule")).toBeTruthy();
    expect(within(table).getByText("1.25 s")).toBeTruthy();
    expect(within(table).getByText("connection refused at dial")).toBeTruthy();
    expect(within(table).getByRole("link", { name: "backup" }).getAttribute("href")).toBe("/tasks/backup");
    expect(within(table).getByRole("link", { name: /Open execution x1|Jan/ }).getAttribute("href")).toBe("/executions/x1");

    // Status chips say whether they are on, and add to the filter in the list's order.
    const running = screen.getByRole("button", { name: "Running" });
    expect(running.getAttribute("aria-pressed")).toBe("false");
    expect(screen.getByRole("button", { name: "Failed" }).getAttribute("aria-pressed")).toBe("true");
    fireEvent.click(running);
    await waitFor(() => expect(lists(calls).at(-1)!.query.getAll("status")).toEqual(["running", "failed", "timed_out"]));
    expect(new URLSearchParams(window.location.search).get("status")).toBe("running,failed,timed_out");

    // The next page asks with the server's cursor and the same filters.
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(lists(calls).at(-1)!.query.get("cursor")).toBe("c2"));
    expect(lists(calls).at(-1)!.query.getAll("status")).toEqual(["running", "failed", "timed_out"]);
    expect(await screen.findByText("Page 2")).toBeTruthy();

    // Clearing the statuses and the task: list-executions, every status, page one.
    fireEvent.click(screen.getByRole("button", { name: "Any status" }));
    fireEvent.click(screen.getByRole("link", { name: "All tasks" }));
    await waitFor(() => expect(lists(calls).at(-1)!.path).toBe("/api/v1/executions"));
    const last = lists(calls).at(-1)!;
    expect(last.query.getAll("status")).toEqual([]);
    expect(last.query.has("cursor")).toBe(false);
    expect(last.query.get("from")).toBe(new Date("2026-01-02T00:00").toISOString());
    expect(screen.getByRole("heading", { name: "Executions" })).toBeTruthy();
  });

  it("reads the list again every 2 s while a row runs, and stops once none does", async () => {
    sessionStorage.setItem("kronos.token", "kro_view");
    window.history.replaceState(null, "", "/executions");
    let n = 0;
    const { api, calls } = fakeServer(
      server(() => {
        n++;
        return n === 1
          ? [execution("x1", { status: "running", finished_at: undefined, duration_ms: undefined })]
          : [execution("x1")];
      }),
    );
    render(<App api={api} />);
    expect(await screen.findByText("Running", { selector: ".xstatus" })).toBeTruthy();
    expect(screen.getByText(/refreshing every 2 s/)).toBeTruthy();
    await waitFor(() => expect(screen.getByText("Succeeded", { selector: ".xstatus" })).toBeTruthy(), { timeout: 4000 });
    const count = lists(calls).length;
    expect(count).toBe(2);
    await new Promise((r) => setTimeout(r, 2300));
    expect(lists(calls).length).toBe(count);
  }, 10_000);

  it("speaks Chinese", async () => {
    sessionStorage.setItem("kronos.token", "kro_view");
    window.history.replaceState(null, "", "/executions");
    const { api } = fakeServer(server(() => [execution("x1", { trigger: "manual", status: "timed_out" })]));
    render(<App api={api} lang="zh" />);
    const table = await screen.findByRole("table");
    expect(screen.getByRole("heading", { name: "执行记录" })).toBeTruthy();
    expect(within(table).getByText("超时")).toBeTruthy();
    expect(within(table).getByText("手动")).toBeTruthy();
    expect(within(table).getByRole("columnheader", { name: "触发方式" })).toBeTruthy();
  });
});
