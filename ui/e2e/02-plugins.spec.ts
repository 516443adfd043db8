// The plugins page as an editor (the owner) uses it: upload a custom
// plugin and see it listed; upload a file that is not WebAssembly and see
// the server's refusal at the file field.
import { readFile } from "node:fs/promises";

import { helloWasm } from "./env";
import { expect, signInWith, test } from "./fixtures";

test.beforeEach(async ({ page, e2e }) => {
  await signInWith(page, e2e.ownerToken);
  await page.goto("/plugins");
  await expect(page.getByRole("heading", { level: 1, name: "Plugins" })).toBeVisible();
});

test("uploads go-hello.wasm as the plugin hello and lists it", async ({ page, owner }) => {
  test.setTimeout(90_000);
  const form = page.getByRole("form", { name: "Upload plugin" });
  await form.getByLabel("Module (.wasm)").setInputFiles(helloWasm);
  // The name is suggested from the file's; this one is given.
  await expect(form.getByLabel("Name", { exact: true })).toHaveValue("go-hello");
  await form.getByLabel("Name", { exact: true }).fill("hello");
  await form.getByRole("button", { name: "Upload", exact: true }).click();

  // The server compiles the module before it answers: seconds on a busy machine.
  await expect(form.getByRole("status").filter({ hasText: /^Plugin hello uploaded/ })).toBeVisible({ timeout: 60_000 });
  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: /^hello\b/ }) });
  await expect(row).toBeVisible();
  await expect(row).toContainText("uploaded");
  const size = (await readFile(helloWasm)).length;
  const listed = await owner.call<{ plugins: { name: string; size?: number; builtin?: boolean }[] }>(
    "GET",
    "/api/v1/plugins?namespace=default",
  );
  const hello = listed.body.plugins.find((p) => p.name === "hello");
  expect(hello?.size).toBe(size);
  expect(hello?.builtin ?? false).toBe(false);
});

test("refuses a file that is not WebAssembly, saying why", async ({ page, owner, e2e }) => {
  const notWasm = { name: "notes.wasm", mimeType: "application/wasm", buffer: Buffer.from("these are notes, not a module\n") };
  const form = page.getByRole("form", { name: "Upload plugin" });
  const file = form.getByLabel("Module (.wasm)");
  await file.setInputFiles(notWasm);
  await form.getByLabel("Name", { exact: true }).fill("notes");
  await form.getByRole("button", { name: "Upload", exact: true }).click();

  await expect(file).toHaveAttribute("aria-invalid", "true");
  const errorId = ((await file.getAttribute("aria-describedby")) ?? "").split(" ").find((id) => id.endsWith("-error"));
  expect(errorId, "the file field points at its error list").toBeTruthy();
  const error = page.locator(`[id="${errorId}"]`);
  await expect(error).toBeVisible();

  // The message is the server's own: the same upload through the API says it.
  const fd = new FormData();
  fd.append("file", new Blob([notWasm.buffer]), notWasm.name);
  const r = await fetch(`${e2e.url}/api/v1/plugins/notes?namespace=default`, {
    method: "PUT",
    headers: { authorization: `Bearer ${e2e.ownerToken}` },
    body: fd,
  });
  const problem = (await r.json()) as { detail?: string; title?: string };
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  await expect(error).toContainText((problem.detail || problem.title)!);

  // And nothing was stored.
  await expect(page.getByRole("rowheader", { name: /^notes\b/ })).toHaveCount(0);
  const listed = await owner.call<{ plugins: { name: string }[] }>("GET", "/api/v1/plugins?namespace=default");
  expect(listed.body.plugins.map((p) => p.name)).not.toContain("notes");
});
