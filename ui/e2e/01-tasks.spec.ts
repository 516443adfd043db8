// The owner's way through tasks: sign in, create the seed's daily_backup
// through the form (watching its next fire times while typing), trigger it
// from its page, follow its log live, and see the target get the request.
// Serial: each step builds on the one before.
import { ensureTask, expect, seedConfig, seedTask, signInWith, test } from "./fixtures";

test.describe.configure({ mode: "serial" });

test("signs in with the owner token", async ({ page, e2e }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Sign in to Kronos" })).toBeVisible();

  // A token the server refuses: its message at the token field.
  const token = page.getByLabel("API token");
  await token.fill("kro_not-a-real-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(token).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#token-error")).not.toBeEmpty();

  await token.fill(e2e.ownerToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  const header = page.getByRole("banner");
  await expect(header).toContainText("bootstrap-owner");
  await expect(header.getByText("owner", { exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Sign in to Kronos" })).toHaveCount(0);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tasks", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Tasks" })).toBeVisible();
  await expect(page).toHaveURL(/\/tasks$/);
  await expect(page.getByRole("link", { name: "New task" })).toBeVisible();
});

test("creates daily_backup through the form, its next 5 fire times shown while typing", async ({ page, e2e, owner, target }) => {
  await signInWith(page, e2e.ownerToken);
  await page.goto("/tasks");
  await page.getByRole("link", { name: "New task" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New task" })).toBeVisible();
  await expect(page).toHaveURL(/\/tasks\/new$/);

  await page.getByLabel("Name", { exact: true }).fill(seedTask.name);
  await page.getByLabel("Description", { exact: true }).fill(seedTask.description);

  // Typed key by key, as a person would: the preview follows the input.
  const schedule = page.getByLabel("Schedule", { exact: true });
  await schedule.pressSequentially(seedTask.schedule, { delay: 30 });
  const preview = page.getByTestId("cron-preview");
  await expect(preview).toContainText("Next 5 fire times (UTC)");
  await page.getByLabel("Time zone", { exact: true }).pressSequentially(seedTask.timezone, { delay: 10 });
  await expect(preview).toContainText("Next 5 fire times (Asia/Shanghai)");
  const times = preview.locator("ol time");
  await expect(times).toHaveCount(5);
  // 02:00 in Asia/Shanghai (UTC+8, no DST) is 18:00 UTC, on 5 days in a row.
  const instants = await times.evaluateAll((els) => els.map((e) => e.getAttribute("datetime") ?? ""));
  let prev = 0;
  for (const iso of instants) {
    const d = new Date(iso);
    expect(d.getUTCHours(), iso).toBe(18);
    expect(d.getUTCMinutes(), iso).toBe(0);
    expect(d.getTime(), iso).toBeGreaterThan(Date.now());
    if (prev) expect(d.getTime() - prev, iso).toBe(24 * 3600_000);
    prev = d.getTime();
  }

  // The executor's config: the form its plugin's schema makes when get-plugin
  // returns one, else the JSON box (the built-in http's get-plugin returns
  // no config_schema today, so the form shows "publishes no config schema").
  await page.getByLabel("Executor", { exact: true }).selectOption(seedTask.executor);
  const config = seedConfig(target.url);
  const urlField = page.getByRole("textbox", { name: /^url\b/ });
  const jsonField = page.getByLabel("Config (JSON)", { exact: true });
  await expect(urlField.or(jsonField)).toBeVisible();
  if (await urlField.isVisible()) {
    await urlField.fill(config.url);
    await page.getByRole("combobox", { name: /^method\b/ }).selectOption(config.method);
  } else {
    await expect(page.getByText("This executor publishes no config schema")).toBeVisible();
    await jsonField.fill(JSON.stringify(config, null, 2));
  }

  await page.getByRole("button", { name: "Create task" }).click();
  await expect(page).toHaveURL(/\/tasks\/daily_backup$/);
  await expect(page.getByRole("status").filter({ hasText: "Task daily_backup created." })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(seedTask.name);

  // What the server stored is what the form said.
  const got = await owner.call<{ schedule: string; timezone: string; executor: string; config: unknown; description: string }>(
    "GET",
    `/api/v1/tasks/${seedTask.name}?namespace=default`,
  );
  expect(got.status).toBe(200);
  expect(got.body).toMatchObject({ ...seedTask, config });
});

test("triggers daily_backup from its page and follows the execution's log live", async ({ page, e2e, owner, target }) => {
  await ensureTask(owner, target.url);
  await signInWith(page, e2e.ownerToken);
  await page.goto("/tasks");
  await page.getByRole("link", { name: seedTask.name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(seedTask.name);
  await expect(page.getByText("Next 5 fire times (Asia/Shanghai)")).toBeVisible();
  await expect(page.locator(".tk-cron-next time")).toHaveCount(5);

  // The target holds the request until the log has been seen live.
  const before = (await target.requests()).length;
  await target.hold();
  try {
    await page.getByRole("button", { name: "Trigger now" }).click();
    const started = page.getByRole("status").filter({ hasText: "Started execution" });
    await expect(started).toBeVisible();
    await started.getByRole("link").click();

    await expect(page).toHaveURL(/\/executions\/[0-9a-f-]+$/);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(`Execution of ${seedTask.name}`);
    const log = page.getByRole("log", { name: "Log" });
    await expect(page.getByText("Following live")).toBeVisible();
    await expect(log).toContainText("sending request method=POST");
    await expect(log).not.toContainText("response status=");

    // The request is at the target, waiting.
    await expect.poll(async () => (await target.requests()).length).toBe(before + 1);
  } finally {
    await target.release();
  }

  // Let go: the last line arrives on the open stream, and the execution ends.
  const log = page.getByRole("log", { name: "Log" });
  await expect(log).toContainText("response status=200");
  await expect(page.getByText("Execution ended")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Succeeded");

  const got = (await target.requests()).at(-1)!;
  expect(got.method).toBe("POST");
  expect(got.path).toBe("/backup");
});
