// The suite's test object: the global setup's environment as fixtures, a
// small API client and the target's records for checks the page cannot
// show, and, when a test fails, the page's text and the browser console
// written next to Playwright's screenshot (the reporter prints their paths).
import { writeFile } from "node:fs/promises";
import path from "node:path";

import { test as base, expect, type Page } from "@playwright/test";

import { env, type Env } from "./env";
import type { Recorded } from "./target";

export { expect };

/** Api calls the kronos API as one token (for setup and checks, never instead of the UI under test). */
export class Api {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const r = await fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: r.status, body: parsed as T };
  }
}

/** Target reads and steers the local HTTP target (target.ts). */
export class Target {
  constructor(readonly url: string) {}

  async requests(): Promise<Recorded[]> {
    return (await fetch(this.url + "/__requests")).json() as Promise<Recorded[]>;
  }
  async hold(): Promise<void> {
    await fetch(this.url + "/__hold", { method: "POST" });
  }
  async release(): Promise<number> {
    const r = (await (await fetch(this.url + "/__release", { method: "POST" })).json()) as { released: number };
    return r.released;
  }
}

export const seedTask = {
  name: "daily_backup",
  description: "Nightly backup of the primary database",
  schedule: "0 2 * * *",
  timezone: "Asia/Shanghai",
  executor: "http",
};

/** The config the daily_backup task is given: POST to the target's /backup. */
export function seedConfig(target: string): { url: string; method: string } {
  return { url: `${target}/backup`, method: "POST" };
}

/**
 * ensureTask makes sure daily_backup exists (through the API), for the
 * scenarios that need one but do not create it: they run alone too.
 */
export async function ensureTask(api: Api, target: string): Promise<void> {
  const got = await api.call("GET", `/api/v1/tasks/${seedTask.name}?namespace=default`);
  if (got.status === 200) return;
  const made = await api.call("POST", "/api/v1/tasks?namespace=default", { ...seedTask, config: seedConfig(target) });
  if (made.status !== 201) throw new Error(`create-task answered ${made.status}: ${JSON.stringify(made.body)}`);
}

/**
 * signInWith puts a token where the UI keeps it (sessionStorage) before
 * any page script runs: the scenarios that are not about signing in skip
 * the form. The sign-in scenario uses the form itself.
 */
export async function signInWith(page: Page, token: string): Promise<void> {
  await page.addInitScript((t) => {
    if (!sessionStorage.getItem("kronos.token")) sessionStorage.setItem("kronos.token", t);
  }, token);
}

export const test = base.extend<{ owner: Api; viewer: Api; target: Target }, { e2e: Env }>({
  e2e: [async ({}, use) => use(env()), { scope: "worker" }],
  baseURL: async ({ e2e }, use) => use(e2e.url),
  owner: async ({ e2e }, use) => use(new Api(e2e.url, e2e.ownerToken)),
  viewer: async ({ e2e }, use) => use(new Api(e2e.url, e2e.viewerToken)),
  target: async ({ e2e }, use) => use(new Target(e2e.target)),
  page: async ({ page, e2e }, use, testInfo) => {
    const consoleLines: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") consoleLines.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (err) => consoleLines.push(`pageerror: ${err.message}`));
    page.on("requestfailed", (r) => consoleLines.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ""}`));
    await use(page);
    if (testInfo.status === testInfo.expectedStatus) return;
    // What the page said when the test failed, next to Playwright's
    // screenshot, trace and aria snapshot: its URL, the browser console and
    // the server's log in a note the reporter prints (it cuts a text at 300
    // characters), and the page's whole text in a file it names.
    let text = "";
    try {
      text = await page.locator("body").innerText({ timeout: 2000 });
    } catch (err) {
      text = `(no text: ${String(err)})`;
    }
    const file = testInfo.outputPath("page-text.txt");
    await writeFile(file, [`URL: ${page.url()}`, "", text, "", "browser console:", ...consoleLines].join("\n"));
    await testInfo.attach("page text", { path: file, contentType: "text/plain" });
    const note = [
      `URL: ${page.url()}`,
      `kronos log: ${path.relative(process.cwd(), e2e.log)}`,
      `console: ${consoleLines.length ? consoleLines.slice(0, 2).join(" | ") : "no errors or warnings"}`,
    ].join("\n");
    await testInfo.attach("at failure", { body: note, contentType: "text/plain" });
  },
});
