import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { App } from "../App";
import { editor, execution, fakeServer, namespacesOf, sseStream, viewer, type FakeCall } from "../components/executions/testkit";

// Pages of 4 lines, so that reading a log page by page needs no thousand lines.
vi.mock("../components/executions/model", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../components/executions/model")>()),
  logPageSize: 4,
}));

const tokens: Record<string, typeof viewer> = { kro_view: viewer, kro_edit: editor };

const line = (seq: number, message: string, level = "info") =>
  JSON.stringify({ execution_id: "x1", seq, time: `2026-01-02T03:04:0${seq}.250Z`, level, message });

function base(c: FakeCall) {
  const p = tokens[c.auth?.replace(/^Bearer /, "") ?? ""];
  if (!p) return { status: 401, body: { title: "Unauthorized", status: 401, detail: "invalid token" } };
  if (c.path === "/api/v1/whoami") return { status: 200, body: p };
  if (c.path === "/api/v1/namespaces") return { status: 200, body: namespacesOf(p) };
  return undefined;
}

describe("the execution page", () => {
  it("follows a running execution's log live, reconnects after a drop from the last seq, and stops at end", async () => {
    sessionStorage.setItem("kronos.token", "kro_edit");
    window.history.replaceState(null, "", "/executions/x1");
    let current = execution("x1", { status: "running", finished_at: undefined, duration_ms: undefined });
    const streams = [sseStream(), sseStream(), sseStream()];
    let follows = 0;
    const { api, calls } = fakeServer((c) => {
      const b = base(c);
      if (b) return b;
      if (c.method === "GET" && c.path === "/api/v1/executions/x1") return { status: 200, body: current };
      if (c.path === "/api/v1/executions/x1/logs/follow") return { status: 200, stream: streams[follows++]!.stream };
      if (c.method === "POST" && c.path === "/api/v1/executions/x1/retry")
        return { status: 202, body: execution("x2", { status: "pending", trigger: "manual", started_at: undefined }) };
      if (c.method === "GET" && c.path === "/api/v1/executions/x2")
        return { status: 200, body: execution("x2", { status: "pending", trigger: "manual", started_at: undefined }) };
      if (c.path === "/api/v1/executions/x2/logs/follow") return { status: 200, stream: streams[2]!.stream };
      return undefined;
    });
    render(<App api={api} />);
    expect(await screen.findByRole("heading", { name: /Execution of backup/ })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Cancel execution" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Retry execution" })).toBeNull();

    await waitFor(() => expect(follows).toBe(1));
    const follow = calls.find((c) => c.path.endsWith("/logs/follow"))!;
    expect(follow.auth).toBe("Bearer kro_edit");
    expect(follow.accept).toContain("text/event-stream");
    expect(follow.query.get("namespace")).toBe("default");
    expect(follow.query.has("after")).toBe(false);

    // Events split mid-line, a comment and a keepalive between them.
    streams[0]!.send(`event: line\nid: 1\ndata: ${line(1, "starting dump")}\n\nevent: li`);
    streams[0]!.send(`ne\nid: 2\ndata: ${line(2, "disk almost full", "error")}\n\n: ping\n\nevent: keepalive\ndata: {"time":"2026-01-02T03:04:09Z"}\n\n`);
    const log = await screen.findByRole("log");
    await waitFor(() => expect(within(log).getAllByRole("listitem")).toHaveLength(2));
    expect(within(log).getByText("starting dump")).toBeTruthy();
    expect(within(log).getByText("error")).toBeTruthy();
    expect(screen.getByText(/Following live · 2 lines/)).toBeTruthy();

    // The connection drops: the page asks again from seq 2, and repeats no line.
    streams[0]!.close();
    await waitFor(() => expect(follows).toBe(2), { timeout: 4000 });
    expect(calls.filter((c) => c.path.endsWith("/logs/follow"))[1]!.query.get("after")).toBe("2");
    streams[1]!.send(`event: line\nid: 2\ndata: ${line(2, "disk almost full", "error")}\n\n`);
    streams[1]!.send(`event: line\nid: 3\ndata: ${line(3, "done")}\n\n`);
    await waitFor(() => expect(within(log).getAllByRole("listitem")).toHaveLength(3));

    // end: the execution as it ended replaces the running one; the stream is closed.
    current = execution("x1", { status: "succeeded", output: '{"rows":3}' });
    streams[1]!.send(`event: end\ndata: ${JSON.stringify({ execution: current })}\n\n`);
    expect(await screen.findByText(/Execution ended · 3 lines/)).toBeTruthy();
    await waitFor(() => expect(streams[1]!.closed()).toBe(true));
    expect(screen.getAllByText("Succeeded").length).toBeGreaterThan(0);
    expect(screen.queryByRole("button", { name: "Cancel execution" })).toBeNull();
    expect(follows).toBe(2);

    // Retry runs the task again and opens the new execution.
    fireEvent.click(await screen.findByRole("button", { name: "Retry execution" }));
    await waitFor(() => expect(window.location.pathname).toBe("/executions/x2"));
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/v1/executions/x1/retry" && c.query.get("namespace") === "default")).toBe(true);
    expect(await screen.findByText(/Started again as a new manual execution/)).toBeTruthy();
  }, 10_000);

  it("shows a finished execution's whole log page by page, its output as JSON, and no buttons to a viewer", async () => {
    sessionStorage.setItem("kronos.token", "kro_view");
    window.history.replaceState(null, "", "/executions/x1");
    const { api, calls } = fakeServer((c) => {
      const b = base(c);
      if (b) return b;
      if (c.path === "/api/v1/executions/x1")
        return { status: 200, body: execution("x1", { status: "failed", error: "exit status 2", output: '{"rows":3,"ok":false}' }) };
      if (c.path === "/api/v1/executions/x1/logs") {
        const after = Number(c.query.get("after") ?? 0);
        const n = after === 0 ? 4 : 2;
        return {
          status: 200,
          body: {
            lines: Array.from({ length: n }, (_, i) => ({
              execution_id: "x1",
              seq: after + i + 1,
              time: "2026-01-02T03:04:05Z",
              level: "info",
              message: `line ${after + i + 1}`,
            })),
          },
        };
      }
      return undefined;
    });
    render(<App api={api} />);
    expect(await screen.findByText("6 lines")).toBeTruthy();
    const pages = calls.filter((c) => c.path === "/api/v1/executions/x1/logs");
    expect(pages.map((c) => [c.query.get("after"), c.query.get("limit")])).toEqual([
      [null, "4"],
      ["4", "4"],
    ]);
    expect(screen.getByText("line 6")).toBeTruthy();
    expect(calls.some((c) => c.path.endsWith("/logs/follow"))).toBe(false);
    expect(screen.getByText("exit status 2")).toBeTruthy();
    expect(screen.getByText(/"rows": 3,/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Retry execution" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Cancel execution" })).toBeNull();
  });

  it("hides Cancel from a viewer while the execution runs", async () => {
    sessionStorage.setItem("kronos.token", "kro_view");
    window.history.replaceState(null, "", "/executions/x1");
    const s = sseStream();
    const { api } = fakeServer((c) => {
      const b = base(c);
      if (b) return b;
      if (c.path === "/api/v1/executions/x1") return { status: 200, body: execution("x1", { status: "running", duration_ms: undefined }) };
      if (c.path === "/api/v1/executions/x1/logs/follow") return { status: 200, stream: s.stream };
      return undefined;
    });
    render(<App api={api} />);
    expect(await screen.findByRole("heading", { name: /Execution of backup/ })).toBeTruthy();
    expect(await screen.findByText(/Following live/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Cancel execution" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Retry execution" })).toBeNull();
  });

  it("cancels a running execution for an editor", async () => {
    sessionStorage.setItem("kronos.token", "kro_edit");
    window.history.replaceState(null, "", "/executions/x1");
    const s = sseStream();
    const { api, calls } = fakeServer((c) => {
      const b = base(c);
      if (b) return b;
      if (c.method === "GET" && c.path === "/api/v1/executions/x1")
        return { status: 200, body: execution("x1", { status: "running", duration_ms: undefined }) };
      if (c.path === "/api/v1/executions/x1/logs/follow") return { status: 200, stream: s.stream };
      if (c.method === "POST" && c.path === "/api/v1/executions/x1/cancel")
        return { status: 409, body: { title: "Conflict", status: 409, detail: "execution x1 already ended: succeeded" } };
      return undefined;
    });
    render(<App api={api} />);
    fireEvent.click(await screen.findByRole("button", { name: "Cancel execution" }));
    expect((await screen.findByRole("alert")).textContent).toContain("execution x1 already ended: succeeded");
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/v1/executions/x1/cancel")).toBe(true);
  });
});
