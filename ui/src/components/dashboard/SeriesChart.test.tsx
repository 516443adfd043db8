import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { I18nProvider } from "../../i18n/i18n";
import type { StatsPoint } from "./model";
import { SeriesChart } from "./SeriesChart";

const point = (start: string, c: Partial<StatsPoint>): StatsPoint => {
  const p = { start, succeeded: 0, failed: 0, skipped: 0, canceled: 0, active: 0, ...c };
  return { total: p.succeeded + p.failed + p.skipped + p.canceled + p.active, ...p };
};

const series = [
  point("2026-01-02T10:00:00Z", { succeeded: 4, failed: 2 }),
  point("2026-01-02T10:01:00Z", { succeeded: 2, skipped: 1 }),
  point("2026-01-02T10:02:00Z", {}),
  point("2026-01-02T10:03:00Z", { failed: 6, canceled: 1 }),
];

function bars(group: Element) {
  const out: Record<string, { y: number; h: number }> = {};
  for (const r of group.querySelectorAll("rect.dash-bar")) {
    out[r.getAttribute("data-kind")!] = { y: Number(r.getAttribute("y")), h: Number(r.getAttribute("height")) };
  }
  return out;
}

describe("the executions chart", () => {
  it("draws one group per bucket, bars as high as their counts, stacked", () => {
    const { container } = render(
      <I18nProvider initial="en">
        <SeriesChart series={series} bucketSeconds={60} />
      </I18nProvider>,
    );
    const groups = container.querySelectorAll("svg g.dash-bucket");
    expect(groups.length).toBe(series.length);
    expect([...groups].map((g) => g.getAttribute("data-start"))).toEqual(series.map((p) => p.start));

    const [b0, b1, b2, b3] = [...groups].map(bars);
    // Proportional: 4 succeeded twice as high as 2; 2 failed as high as 2 succeeded; 6 failed as high as 4+2.
    expect(b0!.succeeded!.h).toBeGreaterThan(0);
    expect(b0!.succeeded!.h).toBeCloseTo(2 * b1!.succeeded!.h);
    expect(b0!.failed!.h).toBeCloseTo(b1!.succeeded!.h);
    expect(b1!.skipped!.h).toBeCloseTo(b1!.succeeded!.h / 2);
    expect(b3!.failed!.h).toBeCloseTo(b0!.succeeded!.h + b0!.failed!.h);
    // Stacked: failed sits on succeeded, skipped on what is below it.
    expect(b0!.failed!.y + b0!.failed!.h).toBeCloseTo(b0!.succeeded!.y);
    expect(b1!.skipped!.y + b1!.skipped!.h).toBeCloseTo(b1!.succeeded!.y);
    // An empty bucket has no bars, and a canceled execution is not drawn.
    expect(Object.keys(b2!)).toEqual([]);
    expect(Object.keys(b3!)).toEqual(["failed"]);
  });

  it("has a text alternative: a title, a description and a table of the busy buckets", () => {
    render(
      <I18nProvider initial="en">
        <SeriesChart series={series} bucketSeconds={60} />
      </I18nProvider>,
    );
    const img = screen.getByRole("img", { name: /Executions over time/ });
    expect(img.querySelector("desc")!.textContent).toContain("6 succeeded, 8 failed, 1 skipped");
    const table = screen.getByRole("table");
    const rows = within(table).getAllByRole("row");
    expect(rows.length).toBe(1 + 3);
    expect(rows[1]!.textContent).toContain("420006");
  });

  it("reads a bucket out on hover and with the arrow keys", () => {
    render(
      <I18nProvider initial="en">
        <SeriesChart series={series} bucketSeconds={60} />
      </I18nProvider>,
    );
    const chart = screen.getByRole("group", { name: /Executions per 1 min/ });
    const readout = document.getElementById(chart.getAttribute("aria-describedby")!)!;
    expect(readout.textContent).toMatch(/Hover, tap or focus/);

    fireEvent.pointerEnter(chart.querySelectorAll("g.dash-bucket")[1]!);
    expect(readout.textContent).toContain("2 succeeded, 0 failed, 1 skipped");

    // Focus starts at the latest bucket with executions; the arrows move.
    fireEvent.pointerLeave(chart.querySelector("svg")!);
    fireEvent.focus(chart);
    expect(readout.textContent).toContain("0 succeeded, 6 failed, 0 skipped, 1 canceled");
    fireEvent.keyDown(chart, { key: "Home" });
    expect(readout.textContent).toContain("4 succeeded, 2 failed");
    fireEvent.keyDown(chart, { key: "ArrowRight" });
    expect(readout.textContent).toContain("2 succeeded, 0 failed, 1 skipped");
    expect(chart.querySelectorAll("rect.dash-hit-active").length).toBe(1);
  });
});
