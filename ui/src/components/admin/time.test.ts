import { describe, expect, it } from "vitest";

import { clockOffset } from "../../pages/Nodes";
import { topLevelDiff } from "./diff";
import { ageSeconds, durationParts, formatDuration, fromLocalInput, heartbeatLevel, toLocalInput } from "./time";

describe("heartbeat ages", () => {
  it("counts whole seconds, never below zero, with the server's clock offset", () => {
    const now = Date.parse("2026-03-01T10:00:10.900Z");
    expect(ageSeconds("2026-03-01T10:00:00Z", now)).toBe(10);
    expect(ageSeconds("2026-03-01T10:00:12Z", now)).toBe(0);
    // The server's clock is 5 s ahead of the browser's: the heartbeat is that much younger.
    expect(ageSeconds("2026-03-01T10:00:12Z", now, 5000)).toBe(3);
    expect(ageSeconds(undefined, now)).toBe(0);
  });

  it("writes ages in both languages", () => {
    expect(formatDuration(0, "en")).toBe("0 s");
    expect(formatDuration(42, "en")).toBe("42 s");
    expect(formatDuration(65, "en")).toBe("1 min 5 s");
    expect(formatDuration(3600 + 59, "en")).toBe("1 h");
    expect(formatDuration(3 * 86400 + 7200, "en")).toBe("3 d 2 h");
    expect(formatDuration(65, "zh")).toBe("1 分 5 秒");
    expect(durationParts(120)).toEqual([{ n: 2, unit: "min" }]);
  });

  it("flags late and stale heartbeats", () => {
    expect(heartbeatLevel(0)).toBe("ok");
    expect(heartbeatLevel(7)).toBe("ok");
    expect(heartbeatLevel(8)).toBe("late");
    expect(heartbeatLevel(11)).toBe("late");
    expect(heartbeatLevel(12)).toBe("stale");
  });

  it("takes a clock offset from the Date header only past the header's own rounding", () => {
    const at = Date.parse("2026-03-01T10:00:00.300Z");
    expect(clockOffset(null, at)).toBe(0);
    expect(clockOffset("Sun, 01 Mar 2026 10:00:00 GMT", at)).toBe(0);
    expect(clockOffset("Sun, 01 Mar 2026 10:00:30 GMT", at)).toBe(30_200);
  });
});

describe("audit helpers", () => {
  it("lists top-level changes", () => {
    expect(topLevelDiff({ a: 1, b: { c: 1 }, d: 1 }, { a: 1, b: { c: 2 }, e: 1 })).toEqual([
      { key: "b", kind: "changed", before: { c: 1 }, after: { c: 2 } },
      { key: "d", kind: "removed", before: 1 },
      { key: "e", kind: "added", after: 1 },
    ]);
    expect(topLevelDiff(undefined, { a: 1 })).toEqual([{ key: "a", kind: "added", after: 1 }]);
    expect(topLevelDiff(undefined, undefined)).toEqual([]);
  });

  it("round-trips datetime-local values", () => {
    const local = toLocalInput("2026-03-01T10:05:00Z");
    expect(local).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
    expect(fromLocalInput(local)).toBe("2026-03-01T10:05:00Z");
    expect(fromLocalInput("")).toBe("");
  });
});
