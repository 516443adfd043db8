// Screenshots of the main pages, 1280 px wide (tasks also 390 px, and in
// Chinese), into e2e/screenshots/ (gitignored) for a person to look at.
// Each page is checked to have its content before the picture is taken.
import { mkdirSync } from "node:fs";
import path from "node:path";

import type { Page } from "@playwright/test";

import { screenshotDir } from "./env";
import { ensureTask, expect, seedTask, signInWith, test, type Api } from "./fixtures";

mkdirSync(screenshotDir, { recursive: true });

async function shoot(page: Page, name: string): Promise<void> {
  // Nothing still loading in the picture.
  await expect(page.getByText("Loading…", { exact: true })).toHaveCount(0);
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true, animations: "disabled" });
}

/** lastExecution returns daily_backup's newest finished execution, running it first when there is none. */
async function lastExecution(owner: Api): Promise<string> {
  const list = () =>
    owner.call<{ executions: { id: string; status: string }[] }>(
      "GET",
      `/api/v1/tasks/${seedTask.name}/executions?namespace=default&limit=10`,
    );
  const done = (s: string) => !["pending", "running"].includes(s);
  let found = (await list()).body.executions?.find((x) => done(x.status));
  if (!found) {
    const ran = await owner.call<{ id: string }>("POST", `/api/v1/tasks/${seedTask.name}/trigger?namespace=default`);
    expect(ran.status).toBeLessThan(300);
    await expect
      .poll(async () => (found = (await list()).body.executions?.find((x) => x.id === ran.body.id && done(x.status))), {
        timeout: 20_000,
      })
      .toBeTruthy();
  }
  return found!.id;
}

test.describe("screenshots at 1280 px", () => {
  test.beforeEach(async ({ owner, target }) => {
    await ensureTask(owner, target.url);
  });

  test("sign-in", async ({ page }) => {
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Sign in to Kronos" })).toBeVisible();
    await shoot(page, "signin");
  });

  test("tasks, task detail, new task", async ({ page, e2e }) => {
    await signInWith(page, e2e.ownerToken);
    await page.goto("/tasks");
    await expect(page.getByRole("link", { name: seedTask.name, exact: true })).toBeVisible();
    await shoot(page, "tasks");

    await page.goto(`/tasks/${seedTask.name}`);
    await expect(page.locator(".tk-cron-next time")).toHaveCount(5);
    await shoot(page, "task-detail");

    await page.goto("/tasks/new");
    await page.getByLabel("Name", { exact: true }).fill("weekly_report");
    await page.getByLabel("Schedule", { exact: true }).fill("30 9 * * 1-5");
    await page.getByLabel("Time zone", { exact: true }).fill("Europe/Berlin");
    await expect(page.getByTestId("cron-preview").locator("ol time")).toHaveCount(5);
    await expect(page.getByRole("textbox", { name: /^url\b/ }).or(page.getByLabel("Config (JSON)", { exact: true }))).toBeVisible();
    await shoot(page, "new-task");
  });

  test("execution with its log", async ({ page, e2e, owner }) => {
    const id = await lastExecution(owner);
    await signInWith(page, e2e.ownerToken);
    await page.goto(`/executions/${id}`);
    await expect(page.getByRole("log", { name: "Log" })).toContainText("response status=200");
    await shoot(page, "execution");
  });

  test("plugins", async ({ page, e2e }) => {
    await signInWith(page, e2e.ownerToken);
    await page.goto("/plugins");
    await expect(page.getByRole("rowheader", { name: /^http\b/ })).toBeVisible();
    await shoot(page, "plugins");
  });

  test("nodes", async ({ page, e2e }) => {
    await signInWith(page, e2e.ownerToken);
    await page.goto("/nodes");
    await expect(page.getByRole("heading", { level: 1, name: "Nodes" })).toBeVisible();
    await shoot(page, "nodes");
  });

  test("dashboard", async ({ page, e2e }) => {
    await signInWith(page, e2e.ownerToken);
    await page.goto("/tasks");
    await expect(page.getByRole("heading", { level: 1, name: "Tasks" })).toBeVisible();
    const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" });
    test.skip((await link.count()) === 0, "dashboard page not built yet (no Dashboard link in the header)");
    await link.click();
    await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
    await shoot(page, "dashboard");
  });
});

test.describe("tasks at 390 px", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

  test("tasks", async ({ page, e2e, owner, target }) => {
    await ensureTask(owner, target.url);
    await signInWith(page, e2e.ownerToken);
    await page.goto("/tasks");
    await expect(page.getByRole("link", { name: seedTask.name, exact: true })).toBeVisible();
    await shoot(page, "tasks-390");
  });

  // The header's nav wraps at phone width; nothing may make the page
  // scroll sideways (a failure names the elements too wide).
  test("the tasks page fits 390 px: no sideways scrolling", async ({ page, e2e }) => {
    await signInWith(page, e2e.ownerToken);
    await page.goto("/tasks");
    await expect(page.getByRole("heading", { level: 1, name: "Tasks" })).toBeVisible();
    const wide = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const out: string[] = [];
      for (const el of document.querySelectorAll("body *")) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.right > width + 0.5) {
          out.push(`<${el.tagName.toLowerCase()}${el.className ? ` class="${el.className}"` : ""}> ends at ${Math.round(r.right)} px`);
        }
      }
      return { overflow: document.documentElement.scrollWidth - width, out: out.slice(0, 8) };
    });
    expect(wide.overflow, `the page scrolls sideways by ${wide.overflow} px; too wide:\n${wide.out.join("\n")}`).toBeLessThanOrEqual(0);
  });
});

test.describe("in Chinese", () => {
  test("tasks", async ({ page, e2e, owner, target }) => {
    await ensureTask(owner, target.url);
    await page.addInitScript(() => localStorage.setItem("kronos.lang", "zh"));
    await signInWith(page, e2e.ownerToken);
    await page.goto("/tasks");
    await expect(page.getByRole("heading", { level: 1, name: "任务" })).toBeVisible();
    await expect(page.locator("html")).toHaveAttribute("lang", /^zh/);
    await shoot(page, "tasks-zh");
  });
});
