import { describe, expect, it } from "vitest";

import { format } from "../../i18n/i18n";
import { en } from "../../i18n/messages";
import {
  apiWindow,
  barHeight,
  formatMs,
  formatRate,
  niceScale,
  overallRate,
  parseWindow,
  taskPath,
  timeTicks,
} from "./model";

const t = (k: keyof typeof en, v?: Record<string, string | number>) => format(en[k], v);

describe("the dashboard's formatting", () => {
  it("writes a success rate as a percentage, and an absent one as —", () => {
    expect(formatRate(undefined, "en")).toBe("—");
    expect(formatRate(null, "en")).toBe("—");
    expect(formatRate(Number.NaN, "en")).toBe("—");
    expect(formatRate(0, "en")).toBe("0%");
    expect(formatRate(1, "en")).toBe("100%");
    expect(formatRate(0.5, "en")).toBe("50%");
    expect(formatRate(0.923, "en")).toBe("92.3%");
    // Never 100 % (or 0 %) for a rate that is not exactly that.
    expect(formatRate(0.9996, "en")).toBe("99.9%");
    expect(formatRate(0.0001, "en")).toBe("0.1%");
    expect(formatRate(0.5, "zh")).toBe("50%");
  });

  it("computes the overall rate over the executions that ended succeeded or failed", () => {
    expect(overallRate({ succeeded: 9, failed: 1 })).toBe(0.9);
    expect(overallRate({ succeeded: 0, failed: 0 })).toBeUndefined();
  });

  it("writes durations in a readable unit", () => {
    expect(formatMs(undefined, t, "en")).toBe("—");
    expect(formatMs(0.42, t, "en")).toBe("0.4 ms");
    expect(formatMs(850.4, t, "en")).toBe("850 ms");
    expect(formatMs(1250, t, "en")).toBe("1.25 s");
    expect(formatMs(12_340, t, "en")).toBe("12.3 s");
    expect(formatMs(252_000, t, "en")).toBe("4.2 min");
    expect(formatMs(5_400_000, t, "en")).toBe("1.5 h");
  });

  it("reads the window from the URL, 1h by default, and sends 7d as 168h", () => {
    expect(parseWindow(null)).toBe("1h");
    expect(parseWindow("nonsense")).toBe("1h");
    expect(parseWindow("15m")).toBe("15m");
    expect(parseWindow("168h")).toBe("7d");
    expect(apiWindow("7d")).toBe("168h");
    expect(apiWindow("24h")).toBe("24h");
  });

  it("scales the y axis to whole steps", () => {
    expect(niceScale(0)).toEqual({ top: 1, step: 1 });
    expect(niceScale(3)).toEqual({ top: 3, step: 1 });
    expect(niceScale(6)).toEqual({ top: 6, step: 2 });
    expect(niceScale(7)).toEqual({ top: 8, step: 2 });
    expect(niceScale(45)).toEqual({ top: 50, step: 10 });
    expect(niceScale(1234)).toEqual({ top: 1500, step: 500 });
    expect(barHeight(3, 6, 120)).toBe(60);
    expect(barHeight(0, 6, 120)).toBe(0);
  });

  it("puts time ticks on whole intervals of the local zone, spaced for their labels", () => {
    const from = new Date(2026, 0, 2, 10, 0, 0).getTime();
    const ticks = timeTicks(from, from + 3_600_000, 640, "en");
    expect(ticks.length).toBeGreaterThan(1);
    expect(ticks.length).toBeLessThanOrEqual(10);
    for (const tick of ticks) expect(new Date(tick.t).getMinutes() % 10).toBe(0);
    expect(ticks[0]!.label).toBe("10:00");
    // A narrow chart gets fewer ticks.
    expect(timeTicks(from, from + 3_600_000, 200, "en").length).toBeLessThan(ticks.length);
    // A week on a phone: a date every other day, at local midnight.
    const week = timeTicks(from - 7 * 86_400_000, from, 300, "en");
    expect(week.length).toBeGreaterThanOrEqual(3);
    for (const tick of week) expect([new Date(tick.t).getHours(), new Date(tick.t).getMinutes()]).toEqual([0, 0]);
    expect(week[0]!.label).toMatch(/^[A-Z][a-z]{2} \d{1,2}$/);
  });

  it("links a task by its name", () => {
    expect(taskPath("nightly backup")).toBe("/tasks/nightly%20backup");
  });
});
