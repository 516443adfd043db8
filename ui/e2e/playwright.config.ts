// The browser tests of the web UI (README.md, "Browser tests"): Playwright
// driving Debian's Chromium (KRONOS_CHROMIUM, default /usr/bin/chromium;
// Playwright's own browser downloads are never used) against a real
// `kronos server` that global-setup.ts starts. One worker, files in name
// order: the scenarios build on one server's state (01 creates the task the
// later ones read), and the machine has 2 CPUs.
import { defineConfig } from "@playwright/test";

import { chromiumPath } from "./env";

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  outputDir: "test-results",
  globalSetup: "./global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 45_000,
  globalTimeout: 5 * 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    headless: true,
    viewport: { width: 1280, height: 800 },
    locale: "en-US",
    timezoneId: "UTC",
    colorScheme: "light",
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: chromiumPath(),
      // Playwright gives each launch a fresh, empty profile (--user-data-dir) itself.
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
