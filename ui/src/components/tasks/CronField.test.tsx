import { configure, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import { CronField, useSchedulePreview } from "./CronField";
import { fakeNode, renderWith } from "./testkit";

// The machine may be busy (other suites, Go tests): give the fake node time.
configure({ asyncUtilTimeout: 5000 });

function Harness({ zone = "Asia/Shanghai" }: { zone?: string }) {
  const [v, setV] = useState("");
  const preview = useSchedulePreview(v, zone);
  return <CronField value={v} onChange={setV} timezone={zone} preview={preview} />;
}

const next = [
  "2026-11-27T02:00:00+08:00",
  "2026-11-28T02:00:00+08:00",
  "2026-11-29T02:00:00+08:00",
  "2026-11-30T02:00:00+08:00",
  "2026-12-01T02:00:00+08:00",
];

function node() {
  return fakeNode((c) => {
    if (c.path !== "/api/v1/schedules/preview") return undefined;
    const expr = c.query.get("expr");
    if (expr === "0 2 * * *") return { status: 200, body: { next, timezone: c.query.get("timezone") } };
    if (expr === "*/15 9-17 * * MON-FRI") return { status: 200, body: { next: next.slice(0, 2), timezone: "Asia/Shanghai" } };
    return {
      status: 422,
      body: {
        title: "Unprocessable Entity",
        status: 422,
        detail: "invalid schedule",
        errors: [{ location: "query.expr", message: `cron: expected 5 or 6 fields, got ${expr?.split(" ").length}`, value: expr }],
      },
    };
  });
}

describe("the cron field", () => {
  it("asks for the preview once typing pauses, and shows the schedule in words and the next 5 times in the task's zone", async () => {
    const { api, calls } = node();
    renderWith(<Harness />, api);
    const input = screen.getByLabelText("Schedule");
    expect(screen.getByText("Manual runs only (no schedule).")).toBeTruthy();
    fireEvent.change(input, { target: { value: "0" } });
    fireEvent.change(input, { target: { value: "0 2" } });
    fireEvent.change(input, { target: { value: "0 2 * * *" } });
    expect(calls).toHaveLength(0); // debounced: nothing asked while typing

    expect(await screen.findByText("At 02:00, every day")).toBeTruthy();
    const previews = calls.filter((c) => c.path === "/api/v1/schedules/preview");
    expect(previews).toHaveLength(1);
    expect(previews[0]!.query.get("expr")).toBe("0 2 * * *");
    expect(previews[0]!.query.get("timezone")).toBe("Asia/Shanghai");
    expect(previews[0]!.query.get("count")).toBe("5");

    expect(screen.getByText("Next 5 fire times (Asia/Shanghai)")).toBeTruthy();
    const times = within(screen.getByTestId("cron-preview")).getAllByRole("listitem");
    expect(times).toHaveLength(5);
    // Wall time in the task's zone (02:00 in Shanghai), not the reader's.
    expect(times.every((li) => li.textContent?.includes("02:00"))).toBe(true);
    expect(times[0]!.querySelector("time")?.getAttribute("dateTime")).toBe(next[0]);
    expect(input.getAttribute("aria-invalid")).toBeNull();
  });

  it("describes ranges and weekdays", async () => {
    const { api } = node();
    renderWith(<Harness />, api);
    fireEvent.change(screen.getByLabelText("Schedule"), { target: { value: "*/15 9-17 * * MON-FRI" } });
    expect(await screen.findByText("Every 15 minutes from 09:00 to 17:59, on Monday to Friday")).toBeTruthy();
  });

  it("shows the server's message for an invalid expression next to the field", async () => {
    const { api } = node();
    renderWith(<Harness />, api);
    const input = screen.getByLabelText("Schedule");
    fireEvent.change(input, { target: { value: "* * *" } });
    await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"));
    const id = (input.getAttribute("aria-describedby") ?? "").split(" ").find((x) => x.endsWith("-error"))!;
    expect(document.getElementById(id)?.textContent).toBe("cron: expected 5 or 6 fields, got 3");
    expect(screen.queryByText(/Next 5 fire times/)).toBeNull();
  });

  it("speaks Chinese", async () => {
    const { api } = node();
    renderWith(<Harness />, api, "zh");
    fireEvent.change(screen.getByLabelText("调度"), { target: { value: "0 2 * * *" } });
    expect(await screen.findByText("每天 02:00")).toBeTruthy();
    expect(screen.getByText("接下来 5 次触发时间（Asia/Shanghai）")).toBeTruthy();
  });
});
