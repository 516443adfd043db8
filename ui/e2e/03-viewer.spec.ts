// A viewer reads and changes nothing: no New task, Edit, Pause, Trigger
// now, Delete or upload, and the editing pages reached by their URL say
// the role cannot, without a form to fill.
import { ensureTask, expect, seedTask, test } from "./fixtures";

test("a viewer signs in and sees no edit controls", async ({ page, e2e, owner, target }) => {
  await ensureTask(owner, target.url);
  // At least one execution, for the execution page's controls.
  const ran = await owner.call<{ id: string }>("POST", `/api/v1/tasks/${seedTask.name}/trigger?namespace=default`);
  expect(ran.status).toBeLessThan(300);

  await page.goto("/");
  await page.getByLabel("API token").fill(e2e.viewerToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  const header = page.getByRole("banner");
  await expect(header).toContainText("e2e-viewer");
  await expect(header.getByText("viewer", { exact: true })).toBeVisible();

  // Tasks: the list, no New task.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tasks", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Tasks" })).toBeVisible();
  await expect(page.getByRole("link", { name: seedTask.name, exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "New task" })).toHaveCount(0);

  // A task: read, but no actions.
  await page.getByRole("link", { name: seedTask.name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(seedTask.name);
  await expect(page.getByText("Next 5 fire times (Asia/Shanghai)")).toBeVisible();
  await expect(page.getByRole("group", { name: "Task actions" })).toHaveCount(0);
  for (const name of ["Trigger now", "Pause", "Resume", "Delete"]) {
    await expect(page.getByRole("button", { name, exact: true }), name).toHaveCount(0);
  }
  await expect(page.getByRole("link", { name: "Edit", exact: true })).toHaveCount(0);

  // An execution: no Cancel or Retry.
  await page.goto(`/executions/${ran.body.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`Execution of ${seedTask.name}`);
  await expect(page.getByRole("button", { name: /Cancel execution|Retry execution/ })).toHaveCount(0);

  // Plugins: listed, no upload and no delete.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Plugins" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Plugins" })).toBeVisible();
  await expect(page.getByRole("rowheader", { name: /^http\b/ })).toBeVisible();
  await expect(page.getByRole("link", { name: "Upload plugin" })).toHaveCount(0);
  await expect(page.getByRole("form", { name: "Upload plugin" })).toHaveCount(0);
  await expect(page.locator('input[type="file"]')).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Delete\b/ })).toHaveCount(0);
});

test("a viewer who opens the editing pages by URL is told the role cannot", async ({ page, e2e }) => {
  await page.goto("/");
  await page.getByLabel("API token").fill(e2e.viewerToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("banner")).toContainText("e2e-viewer");

  // The token stays in the tab (sessionStorage) across these loads.
  await page.goto("/tasks/new");
  await expect(page.getByRole("heading", { level: 1, name: "New task" })).toBeVisible();
  await expect(page.getByText("Your role in namespace default cannot create tasks.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Create task" })).toHaveCount(0);
  await expect(page.getByLabel("Schedule", { exact: true })).toHaveCount(0);

  await page.goto(`/tasks/${seedTask.name}/edit`);
  await expect(page.getByText("Your role in namespace default cannot change tasks.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Save changes" })).toHaveCount(0);
});

test("the API refuses what the viewer's UI does not offer", async ({ viewer, owner, target }) => {
  await ensureTask(owner, target.url);
  // The UI hides the controls; the server is what denies (403), whatever a client sends.
  const trigger = await viewer.call("POST", `/api/v1/tasks/${seedTask.name}/trigger?namespace=default`);
  expect(trigger.status).toBe(403);
  const create = await viewer.call("POST", "/api/v1/tasks?namespace=default", {
    name: "viewer_task",
    schedule: "@daily",
    executor: "http",
    config: { url: "http://127.0.0.1:1/" },
  });
  expect(create.status).toBe(403);
});
