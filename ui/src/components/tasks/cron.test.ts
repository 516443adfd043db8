import { describe, expect, it } from "vitest";

import { format } from "../../i18n/i18n";
import { en, zh } from "../../i18n/messages";
import type { Translate } from "../../i18n/i18n";
import { describeSchedule } from "./cron";

const tEn: Translate = (k, v) => format(en[k], v);
const tZh: Translate = (k, v) => format(zh[k], v);

describe("describeSchedule", () => {
  const cases: [string, string | null][] = [
    ["", "Manual runs only (no schedule)."],
    ["0 2 * * *", "At 02:00, every day"],
    ["@daily", "At 00:00, every day"],
    ["@hourly", "Every hour at minute 0"],
    ["@weekly", "At 00:00, on Sunday"],
    ["@monthly", "At 00:00, on day 1 of every month"],
    ["@yearly", "At 00:00, on day 1 of January"],
    ["* * * * *", "Every minute"],
    ["*/5 * * * *", "Every 5 minutes"],
    ["30 */2 * * *", "Every 2 hours at minute 30"],
    ["0 9,17 * * 1-5", "At 09:00 and 17:00, on Monday to Friday"],
    ["0 8 * * sat,sun", "At 08:00, on Saturday and Sunday"],
    ["0 0 1,15 * *", "At 00:00, on day 1 and 15 of every month"],
    ["30 0 2 * * *", "At 02:00:30, every day"],
    ["*/10 * * * * *", "Every 10 seconds"],
    ["@every 1h30m", "Every 1h30m"],
    ["@at 2026-12-01T02:00:00Z", "Once, at 2026-12-01T02:00:00Z"],
    ["0 0 1 * MON", null], // either day matches: left as written
    ["0 0 L * *", null],
    ["1-10/2 * * * *", null],
  ];
  it.each(cases)("%s", (expr, want) => {
    expect(describeSchedule(expr, tEn, "en")).toBe(want);
  });

  it("writes Chinese", () => {
    expect(describeSchedule("0 2 * * *", tZh, "zh")).toBe("每天 02:00");
    expect(describeSchedule("*/5 * * * *", tZh, "zh")).toBe("每 5 分钟");
    expect(describeSchedule("0 9 * * 1-5", tZh, "zh")).toBe("每星期一至星期五 09:00");
  });
});
