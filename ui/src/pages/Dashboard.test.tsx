import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { App } from "../App";
import { fakeApi, type Call } from "../test/fakeApi";

const viewer = { kind: "token", id: "t1", name: "ci-read", namespace: "default", roles: { default: "viewer" } };

const zero = { total: 0, succeeded: 0, failed: 0, skipped: 0, canceled: 0, active: 0 };

function stats(empty: boolean) {
  const start = Date.parse("2026-01-02T10:00:00Z");
  const series = Array.from({ length: 6 }, (_, i) => ({
    start: new Date(start + i * 600_000).toISOString(),
    ...(empty ? zero : { total: i + 2, succeeded: i, failed: 1, skipped: 1, canceled: 0, active: 0 }),
  }));
  return {
    from: "2026-01-02T10:00:00Z",
    to: "2026-01-02T11:00:00Z",
    bucket_seconds: 600,
    totals: empty ? zero : { total: 27, succeeded: 15, failed: 6, skipped: 6, canceled: 0, active: 2 },
    series,
    lag: empty
      ? { samples: 0, p50_ms: 0, p90_ms: 0, p99_ms: 0, max_ms: 0 }
      : { samples: 21, p50_ms: 3.2, p90_ms: 48, p99_ms: 1250, max_ms: 2400 },
    tasks: empty
      ? null
      : [
          { task_name: "flaky", total: 10, succeeded: 4, failed: 6, skipped: 0, canceled: 0, active: 0, success_rate: 0.4, avg_duration_ms: 900, max_duration_ms: 3000 },
          { task_name: "waiting", total: 2, succeeded: 0, failed: 0, skipped: 0, canceled: 0, active: 2 },
        ],
    slowest: empty
      ? null
      : [{ task_name: "backup db", total: 3, succeeded: 3, failed: 0, skipped: 0, canceled: 0, active: 0, success_rate: 1, avg_duration_ms: 252_000, max_duration_ms: 5_400_000 }],
  };
}

function server(empty = false) {
  return (c: Call) => {
    if (c.auth !== "Bearer kro_view") return { status: 401, body: { title: "Unauthorized", status: 401, detail: "invalid token" } };
    if (c.path === "/api/v1/whoami") return { status: 200, body: viewer };
    if (c.path === "/api/v1/namespaces") return { status: 200, body: { namespaces: [{ name: "default", settings: {}, version: 1 }] } };
    if (c.path === "/api/v1/stats/executions") {
      return { status: 200, body: stats(empty) };
    }
    return undefined;
  };
}

const statCalls = (calls: Call[]) => calls.filter((c) => c.path === "/api/v1/stats/executions");

function open(path: string, empty = false) {
  sessionStorage.setItem("kronos.token", "kro_view");
  window.history.replaceState(null, "", path);
  const fake = fakeApi(server(empty));
  render(<App api={fake.api} />);
  return fake;
}

describe("the dashboard", () => {
  it("is where / leads, first in the navigation, and shows the window's figures", async () => {
    const { calls } = open("/");
    expect(await screen.findByRole("heading", { name: "Dashboard", level: 1 })).toBeTruthy();
    await waitFor(() => expect(window.location.pathname).toBe("/dashboard"));
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getAllByRole("link")[0]!.textContent).toBe("Dashboard");
    expect(within(nav).getAllByRole("link")[0]!.getAttribute("aria-current")).toBe("page");

    const first = statCalls(calls)[0]!;
    expect(first.query.get("namespace")).toBe("default");
    expect(first.query.get("window")).toBe("1h");

    // Summary: 15 of 21 that ended succeeded.
    const summary = await screen.findByLabelText("Summary");
    expect(within(summary).getByText("27")).toBeTruthy();
    expect(within(summary).getByText("71.4%")).toBeTruthy();
    expect(within(summary).getByText("15 of 21 that ended succeeded")).toBeTruthy();
    // Fire lag percentiles.
    const lag = screen.getByRole("region", { name: "Fire lag" });
    expect(within(lag).getByText("3.2 ms")).toBeTruthy();
    expect(within(lag).getByText("48 ms")).toBeTruthy();
    expect(within(lag).getByText("1.25 s")).toBeTruthy();
    expect(within(lag).getByText("2.4 s")).toBeTruthy();

    // The chart: one group per bucket.
    expect(document.querySelectorAll("svg g.dash-bucket").length).toBe(6);

    // Lowest success rate: an absent rate is —, each task links to its page.
    const lowest = screen.getByRole("region", { name: "Lowest success rate" });
    const rows = within(lowest).getAllByRole("row");
    expect(rows[1]!.textContent).toContain("40%");
    expect(within(rows[2]!).getByText("—")).toBeTruthy();
    expect(within(lowest).getByRole("link", { name: "flaky" }).getAttribute("href")).toBe("/tasks/flaky");

    const slowest = screen.getByRole("region", { name: "Slowest tasks" });
    expect(within(slowest).getByRole("link", { name: "backup db" }).getAttribute("href")).toBe("/tasks/backup%20db");
    expect(within(slowest).getByText("4.2 min")).toBeTruthy();
    expect(within(slowest).getByText("1.5 h")).toBeTruthy();
    expect(within(slowest).getByText("100%")).toBeTruthy();
  });

  it("changes the window from the selector, kept in the URL", async () => {
    const { calls } = open("/dashboard?window=6h");
    const six = await screen.findByRole("button", { name: "6 hours" });
    expect(six.getAttribute("aria-pressed")).toBe("true");
    await waitFor(() => expect(statCalls(calls)[0]?.query.get("window")).toBe("6h"));

    fireEvent.click(screen.getByRole("button", { name: "7 days" }));
    await waitFor(() => expect(statCalls(calls).at(-1)!.query.get("window")).toBe("168h"));
    expect(new URLSearchParams(window.location.search).get("window")).toBe("7d");
    expect(screen.getByRole("button", { name: "7 days" }).getAttribute("aria-pressed")).toBe("true");

    // Back to the default: the URL drops it.
    fireEvent.click(screen.getByRole("button", { name: "1 hour" }));
    await waitFor(() => expect(statCalls(calls).at(-1)!.query.get("window")).toBe("1h"));
    expect(window.location.search).toBe("");
  });

  it("asks again every 10 seconds", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { calls } = open("/dashboard");
      await screen.findByLabelText("Summary");
      const before = statCalls(calls).length;
      await vi.advanceTimersByTimeAsync(10_000);
      await waitFor(() => expect(statCalls(calls).length).toBe(before + 1));
    } finally {
      vi.useRealTimers();
    }
  });

  it("says so when the window holds no executions", async () => {
    open("/dashboard?window=15m", true);
    expect(await screen.findByText("No executions in the last 15 minutes.")).toBeTruthy();
    expect(screen.queryByLabelText("Summary")).toBeNull();
    expect(document.querySelector("svg g.dash-bucket")).toBeNull();
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("speaks Chinese", async () => {
    open("/dashboard");
    await screen.findByLabelText("Summary");
    fireEvent.change(screen.getByLabelText("Language"), { target: { value: "zh" } });
    expect(await screen.findByRole("heading", { name: "仪表盘", level: 1 })).toBeTruthy();
    expect(screen.getByRole("heading", { name: "最慢的任务" })).toBeTruthy();
    expect(screen.getByRole("heading", { name: "执行延迟" })).toBeTruthy();
    expect(screen.getByText("成功率", { selector: "dt" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "7 天" })).toBeTruthy();
  });
});
