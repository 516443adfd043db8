// The MQ connections page as an admin (the owner) uses it, against the
// machine's Redis (KRONOS_TEST_REDIS_URL, or redis://127.0.0.1:6379/0, as
// the Go tests; the server runs with --allow-private-networks): a URL with a
// password is refused at its field; the connection is created (a password
// in KRONOS_TEST_REDIS_URL becomes a secret chosen in the form), tested by
// publishing one message (ok, with the stream entry's ID) and deleted.
// Without a Redis that test skips, saying so, except under CI=true where it
// fails. The stream it writes has a key of its own ("kronos-test:<hex>:…"),
// deleted afterwards (never FLUSHDB). Screenshots at 1280 and 390 px go to
// e2e/screenshots/.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";

import type { Page } from "@playwright/test";

import { screenshotDir } from "./env";
import { expect, signInWith, test, type Api } from "./fixtures";

mkdirSync(screenshotDir, { recursive: true });

const redisURL = new URL(process.env.KRONOS_TEST_REDIS_URL || "redis://127.0.0.1:6379/0");
const redis = {
  host: redisURL.hostname,
  port: Number(redisURL.port || 6379),
  username: decodeURIComponent(redisURL.username),
  password: decodeURIComponent(redisURL.password),
  db: redisURL.pathname.replace(/^\//, ""),
};
/** The URL the connection is given: the test Redis's, without its credentials. */
const connectionURL = `${redisURL.protocol}//${redis.host}:${redis.port}${redis.db ? `/${redis.db}` : ""}`;
const name = "e2e-redis";
const topic = `kronos-test:${randomBytes(6).toString("hex")}:e2e-mq`;

/**
 * redisCommand sends one command to the test Redis (RESP, after AUTH and
 * SELECT as its URL says) and returns the command's reply line: the
 * commands used here all answer one line (+PONG, :1, -ERR …).
 */
function redisCommand(...args: string[]): Promise<string> {
  const commands: string[][] = [];
  if (redis.password) commands.push(redis.username ? ["AUTH", redis.username, redis.password] : ["AUTH", redis.password]);
  if (redis.db) commands.push(["SELECT", redis.db]);
  commands.push(args);
  const wire = commands.map((c) => `*${c.length}\r\n` + c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")).join("");
  return new Promise((resolve, reject) => {
    let got = "";
    const s = net.connect({ host: redis.host, port: redis.port }, () => s.write(wire));
    s.setTimeout(3000, () => s.destroy(new Error("no answer within 3s")));
    s.on("data", (d) => {
      got += d.toString("utf8");
      const lines = got.split("\r\n").slice(0, -1);
      if (lines.length >= commands.length) {
        s.end();
        resolve(lines[commands.length - 1]!);
      }
    });
    s.once("error", reject);
  });
}

/** needRedis skips the test when the test Redis does not answer PING (fails under CI=true). */
async function needRedis(): Promise<void> {
  const pong = await redisCommand("PING").catch((err: unknown) => `no answer (${err instanceof Error ? err.message : String(err)})`);
  if (pong === "+PONG") return;
  const why = `Redis at ${redis.host}:${redis.port} answered PING with ${pong}; set KRONOS_TEST_REDIS_URL`;
  if (process.env.CI === "true") throw new Error(`${why} (CI=true: a missing service is a failure)`);
  test.skip(true, why);
}

async function shoot(page: Page, file: string): Promise<void> {
  await expect(page.getByText("Loading…", { exact: true })).toHaveCount(0);
  await page.screenshot({ path: path.join(screenshotDir, `${file}.png`), fullPage: true, animations: "disabled" });
}

async function removeConnection(owner: Api, n: string): Promise<void> {
  await owner.call("DELETE", `/api/v1/mq-connections/${n}?namespace=default&force=true`);
}

test.afterAll(async () => {
  await redisCommand("DEL", topic).catch(() => "");
});

test("creates a Redis connection, publishes a test message through it, and deletes it", async ({ page, e2e, owner }) => {
  test.setTimeout(90_000);
  await needRedis();
  await removeConnection(owner, name);
  const secret = `${name}-pass`;
  if (redis.password) {
    const put = await owner.call("PUT", `/api/v1/secrets/${secret}?namespace=default`, { value: redis.password });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
  }
  await signInWith(page, e2e.ownerToken);
  await page.goto("/tasks");
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByText("Admin", { exact: true }).click();
  await nav.getByRole("link", { name: "MQ connections" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "MQ connections" })).toBeVisible();
  await expect(page).toHaveURL(/\/mq-connections$/);

  // A URL carrying a password is refused, the server's message at the URL field.
  await page.getByRole("button", { name: "New connection" }).click();
  const form = page.getByRole("dialog", { name: "New connection" });
  await form.getByLabel("Name", { exact: true }).fill(name);
  const url = form.getByLabel("URL", { exact: true });
  await url.fill("redis://:hunter2@127.0.0.1:6379");
  await expect(form.getByText("Broker: Redis")).toBeVisible();
  await expect(form.getByLabel("Stream cap (MAXLEN ~)")).toBeVisible();
  await expect(form.getByLabel("Exchange", { exact: true })).toHaveCount(0);
  await form.getByRole("button", { name: "Create connection" }).click();
  await expect(url).toHaveAttribute("aria-invalid", "true");
  const errorId = ((await url.getAttribute("aria-describedby")) ?? "").split(" ").find((id) => id.endsWith("-error"));
  expect(errorId, "the URL field points at its error list").toBeTruthy();
  await expect(page.locator(`[id="${errorId}"]`)).toContainText("password");

  await url.fill(connectionURL);
  await form.getByLabel("Description", { exact: true }).fill("The e2e Redis");
  if (redis.username) await form.getByLabel("Username", { exact: true }).fill(redis.username);
  if (redis.password) await form.getByLabel("Password secret", { exact: true }).selectOption(secret);
  await form.getByLabel("Stream cap (MAXLEN ~)").fill("100");
  await form.getByRole("button", { name: "Create connection" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Connection ${name} saved.` })).toBeVisible();
  await expect(form).toHaveCount(0);
  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: new RegExp(`^${name}\\b`) }) });
  await expect(row).toContainText("Redis");
  await expect(row).toContainText(connectionURL);
  const stored = await owner.call<{ broker: string; max_len?: number }>("GET", `/api/v1/mq-connections/${name}?namespace=default`);
  expect(stored.status).toBe(200);
  expect(stored.body).toMatchObject({ broker: "redis", max_len: 100 });
  await shoot(page, "mq-connections");

  // Test: publish one message to a stream of this run's own.
  await row.getByRole("button", { name: `Test ${name}` }).click();
  const panel = page.getByRole("dialog", { name: `Test connection ${name}` });
  await panel.getByLabel("Topic", { exact: true }).fill(topic);
  await panel.getByLabel("Payload", { exact: true }).fill('{"hello":"e2e"}');
  await panel.getByRole("button", { name: "Publish" }).click();
  const result = panel.getByTestId("mq-test-result");
  await expect(result).toBeVisible({ timeout: 20_000 });
  await expect(result.getByText("ok", { exact: true })).toBeVisible();
  await expect(result).toContainText("The broker took the message.");
  await expect(result).toContainText(/\d+-\d+/);
  expect(await redisCommand("XLEN", topic)).toBe(":1");
  await shoot(page, "mq-test");
  await panel.getByRole("button", { name: "Close", exact: true }).click();
  await expect(panel).toHaveCount(0);

  // Delete, confirmed.
  await row.getByRole("button", { name: `Delete ${name}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete connection ${name}?` });
  await confirm.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: `Connection ${name} deleted.` })).toBeVisible();
  await expect(page.getByRole("rowheader", { name: new RegExp(`^${name}\\b`) })).toHaveCount(0);
  expect((await owner.call("GET", `/api/v1/mq-connections/${name}?namespace=default`)).status).toBe(404);
});

test.describe("at 390 px", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

  // Nothing may make the page scroll sideways, the list nor the form.
  test("the list and the form fit: no sideways scrolling", async ({ page, e2e, owner }) => {
    const made = await owner.call("PUT", `/api/v1/mq-connections/${name}-390?namespace=default`, {
      url: "rediss://cache.internal:6380/0",
      description: "A connection whose URL is long enough to wrap at phone width",
    });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    try {
      await signInWith(page, e2e.ownerToken);
      await page.goto("/mq-connections");
      await expect(page.getByRole("rowheader", { name: new RegExp(`^${name}-390\\b`) })).toBeVisible();
      await expectNoSidewaysScroll(page);
      await shoot(page, "mq-connections-390");

      await page.getByRole("button", { name: "New connection" }).click();
      const form = page.getByRole("dialog", { name: "New connection" });
      await form.getByLabel("URL", { exact: true }).fill("amqps://rabbit.internal:5671/");
      await expect(form.getByLabel("Exchange", { exact: true })).toBeVisible();
      await form.getByLabel("Skip certificate verification").check();
      await expectNoSidewaysScroll(page);
      await shoot(page, "mq-form-390");
    } finally {
      await removeConnection(owner, `${name}-390`);
    }
  });
});

async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const wide = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of document.querySelectorAll("body *")) {
      // What scrolls inside its own box (the table's region) may be wider.
      if (el.parentElement?.closest(".admin-scroll")) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > width + 0.5) {
        out.push(`<${el.tagName.toLowerCase()}${el.className ? ` class="${el.className}"` : ""}> ends at ${Math.round(r.right)} px`);
      }
    }
    return { overflow: document.documentElement.scrollWidth - width, out: out.slice(0, 8) };
  });
  expect(wide.overflow, `the page scrolls sideways by ${wide.overflow} px; too wide:\n${wide.out.join("\n")}`).toBeLessThanOrEqual(0);
}
