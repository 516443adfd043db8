import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import { editor, fakeServer, namespacesOf, viewer, type FakeCall, type FakeHandler } from "../components/executions/testkit";

const tokens: Record<string, typeof viewer> = { kro_view: viewer, kro_edit: editor };
const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

const reporter = {
  name: "reporter",
  namespace: "default",
  version: "1.2.0",
  description: "Posts a report",
  sha256: sha,
  size: 1536 * 1024,
  uploader: "deploy",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-02T00:00:00Z",
};

function server(extra: FakeHandler = () => undefined): FakeHandler {
  return async (c: FakeCall) => {
    const p = tokens[c.auth?.replace(/^Bearer /, "") ?? ""];
    if (!p) return { status: 401, body: { title: "Unauthorized", status: 401, detail: "invalid token" } };
    if (c.path === "/api/v1/whoami") return { status: 200, body: p };
    if (c.path === "/api/v1/namespaces") return { status: 200, body: namespacesOf(p) };
    const r = await extra(c);
    if (r) return r;
    if (c.method === "GET" && c.path === "/api/v1/plugins")
      return { status: 200, body: { plugins: [{ name: "http", builtin: true }, { ...reporter, config_schema: undefined }] } };
    if (c.method === "GET" && c.path === "/api/v1/plugins/reporter")
      return {
        status: 200,
        body: { ...reporter, config_schema: { type: "object", properties: { url: { type: "string" } }, required: ["url"] } },
      };
    return undefined;
  };
}

const errorOf = (el: HTMLElement) => {
  const id = (el.getAttribute("aria-describedby") ?? "").split(" ").find((x) => x.endsWith("-error"));
  return id ? document.getElementById(id)?.textContent : undefined;
};

describe("the plugins page", () => {
  it("lists plugins, opens a config schema, and shows a viewer no upload or delete", async () => {
    sessionStorage.setItem("kronos.token", "kro_view");
    window.history.replaceState(null, "", "/plugins");
    const { api } = fakeServer(server());
    render(<App api={api} />);
    const table = await screen.findByRole("table");
    const row = within(table).getByText("reporter", { selector: ".pname" }).closest("tr")!;
    expect(within(row).getByText("1.2.0")).toBeTruthy();
    expect(within(row).getByText("9f86d081884c").getAttribute("title")).toBe(sha);
    expect(within(row).getByText("1.5 MiB")).toBeTruthy();
    expect(within(row).getByText("deploy")).toBeTruthy();
    expect(within(row).getByText("uploaded")).toBeTruthy();
    expect(within(table).getByText("built-in")).toBeTruthy();

    const show = within(row).getByRole("button", { name: "Schema reporter" });
    expect(show.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(show);
    expect(await screen.findByText(/"required": \[/)).toBeTruthy();
    expect(show.getAttribute("aria-expanded")).toBe("true");

    expect(screen.queryByRole("button", { name: /^Delete/ })).toBeNull();
    expect(screen.queryByRole("button", { name: "Upload" })).toBeNull();
    expect(screen.queryByLabelText("Module (.wasm)")).toBeNull();
  });

  it("uploads a module as multipart and shows a refusal's message next to the file field", async () => {
    sessionStorage.setItem("kronos.token", "kro_edit");
    window.history.replaceState(null, "", "/plugins");
    const { api, calls } = fakeServer(
      server((c) =>
        c.method === "PUT"
          ? {
              status: 422,
              body: {
                title: "Unprocessable Entity",
                status: 422,
                detail: 'upload plugin "bad-mod": the module was refused (no_execute)',
                errors: [{ location: "body.file", message: "the module exports no function execute: export one" }],
              },
            }
          : undefined,
      ),
    );
    render(<App api={api} />);
    const fileInput = (await screen.findByLabelText("Module (.wasm)")) as HTMLInputElement;
    const file = new File([new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])], "Bad Mod.wasm", { type: "application/wasm" });
    fireEvent.change(fileInput, { target: { files: [file] } });
    // The name comes from the file's.
    const name = screen.getByLabelText("Name") as HTMLInputElement;
    expect(name.value).toBe("bad-mod");
    fireEvent.click(screen.getByRole("button", { name: "Upload" }));

    await waitFor(() => expect(fileInput.getAttribute("aria-invalid")).toBe("true"));
    const msg = errorOf(fileInput) ?? "";
    expect(msg).toContain('upload plugin "bad-mod": the module was refused (no_execute)');
    expect(msg).toContain("the module exports no function execute: export one");
    expect(name.getAttribute("aria-invalid")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();

    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.path).toBe("/api/v1/plugins/bad-mod");
    expect(put.query.get("namespace")).toBe("default");
    expect(put.auth).toBe("Bearer kro_edit");
    expect(put.contentType).toMatch(/^multipart\/form-data; boundary=/);
    if (put.body instanceof FormData) expect((put.body.get("file") as File).size).toBe(8);
  });

  it("puts a bad name's message at the name field", async () => {
    sessionStorage.setItem("kronos.token", "kro_edit");
    window.history.replaceState(null, "", "/plugins");
    const { api } = fakeServer(
      server((c) =>
        c.method === "PUT"
          ? {
              status: 422,
              body: {
                title: "Unprocessable Entity",
                status: 422,
                detail: "plugin is invalid",
                errors: [{ location: "path.name", message: "must start with a letter or digit" }],
              },
            }
          : undefined,
      ),
    );
    render(<App api={api} />);
    const fileInput = await screen.findByLabelText("Module (.wasm)");
    fireEvent.change(fileInput, { target: { files: [new File([new Uint8Array(8)], "x.wasm")] } });
    const name = screen.getByLabelText("Name");
    fireEvent.change(name, { target: { value: "_x" } });
    fireEvent.click(screen.getByRole("button", { name: "Upload" }));
    await waitFor(() => expect(errorOf(name)).toBe("must start with a letter or digit"));
    expect((await screen.findByRole("alert")).textContent).toContain("plugin is invalid");
    expect(fileInput.getAttribute("aria-invalid")).toBeNull();
  });

  it("asks before deleting, and shows a 409's message naming the tasks", async () => {
    sessionStorage.setItem("kronos.token", "kro_edit");
    window.history.replaceState(null, "", "/plugins");
    const { api, calls } = fakeServer(
      server((c) =>
        c.method === "DELETE"
          ? {
              status: 409,
              body: {
                title: "Conflict",
                status: 409,
                detail: 'delete plugin "reporter": tasks nightly, weekly use it as their executor: delete them or change their executor first',
              },
            }
          : undefined,
      ),
    );
    render(<App api={api} />);
    fireEvent.click(await screen.findByRole("button", { name: "Delete reporter" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    const confirm = screen.getByRole("group", { name: "Delete plugin reporter?" });
    const yes = within(confirm).getByRole("button", { name: "Delete" });
    expect(document.activeElement).toBe(yes);
    fireEvent.click(yes);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("tasks nightly, weekly use it");
    expect(calls.find((c) => c.method === "DELETE")!.path).toBe("/api/v1/plugins/reporter");
  });

  it("speaks Chinese", async () => {
    sessionStorage.setItem("kronos.token", "kro_edit");
    window.history.replaceState(null, "", "/plugins");
    const { api } = fakeServer(server());
    render(<App api={api} lang="zh" />);
    expect(await screen.findByRole("heading", { name: "插件" })).toBeTruthy();
    expect(await screen.findByRole("button", { name: "上传" })).toBeTruthy();
    expect(await screen.findByText("内置")).toBeTruthy();
  });
});
