import { fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import type { Problem } from "../../api/client";
import { I18nProvider } from "../../i18n/i18n";
import { ConfigEditor, configState, readConfig } from "./ConfigEditor";
import { fieldKeyOf, formSpec, type Obj } from "./schemaForm";
import { httpSchema } from "./testkit";

function Harness({
  schema,
  initial = {},
  problem = null,
  onRead,
}: {
  schema: unknown;
  initial?: Obj;
  problem?: Problem | null;
  onRead: (v: Obj) => void;
}) {
  const spec = formSpec(schema);
  const [state, setState] = useState(() => configState(initial, spec ? "form" : "json"));
  const [missing, setMissing] = useState<string[]>([]);
  return (
    <I18nProvider initial="en">
      <ConfigEditor
        spec={spec}
        schemaStatus={spec ? "ready" : "unrenderable"}
        state={state}
        onChange={setState}
        problem={problem}
        missing={missing}
      />
      <button
        type="button"
        onClick={() => {
          const r = readConfig(state, state.mode === "form" ? spec : null);
          if (r.ok) {
            setMissing([]);
            onRead(r.value);
          } else if (r.kind === "missing") setMissing(r.paths.map(fieldKeyOf));
        }}
      >
        Read
      </button>
    </I18nProvider>
  );
}

const errorOf = (el: HTMLElement) => {
  const id = (el.getAttribute("aria-describedby") ?? "").split(" ").find((x) => x.endsWith("-error"));
  return id ? document.getElementById(id)?.textContent : undefined;
};

describe("the config form from a plugin's JSON Schema", () => {
  it("renders a control per property, with defaults, hints and required marks", () => {
    render(<Harness schema={httpSchema} onRead={() => {}} />);
    const url = screen.getByLabelText("url (required)") as HTMLInputElement;
    expect(url.type).toBe("url");
    expect(screen.getByText("The URL to call.")).toBeTruthy();
    const method = screen.getByLabelText("method") as HTMLSelectElement;
    expect([...method.options].map((o) => o.textContent)).toEqual(["Default (GET)", "GET", "HEAD", "POST", "PUT"]);
    expect((screen.getByLabelText("capture_response") as HTMLInputElement).checked).toBe(true); // its default
    const max = screen.getByLabelText("max_response_bytes") as HTMLInputElement;
    expect(max.type).toBe("number");
    expect(max.placeholder).toBe("65536");
    expect(max.max).toBe("1048576");
    expect(screen.getByRole("group", { name: "headers" })).toBeTruthy(); // a map: key-value chips
    expect(screen.getByLabelText("expected_status")).toBeTruthy(); // a list of scalars
    const auth = screen.getByRole("group", { name: "auth" }); // an object one level down
    expect(within(auth).getByLabelText("user (required)")).toBeTruthy();
    expect(within(auth).getByLabelText("password")).toBeTruthy();
    expect(screen.getByLabelText("extra (JSON)").tagName).toBe("TEXTAREA"); // a shape the form does not know
    expect(screen.getByRole("button", { name: "Edit as JSON" })).toBeTruthy();
  });

  it("builds the config JSON from the fields, and shows it in the JSON editor", () => {
    let read: Obj | undefined;
    render(<Harness schema={httpSchema} onRead={(v) => (read = v)} />);
    fireEvent.change(screen.getByLabelText("url (required)"), { target: { value: "https://example.com/hook" } });
    fireEvent.change(screen.getByLabelText("method"), { target: { value: "POST" } });
    const headers = screen.getByRole("group", { name: "headers" });
    fireEvent.change(within(headers).getByLabelText("Key"), { target: { value: "Authorization" } });
    fireEvent.change(within(headers).getByLabelText("Value"), { target: { value: '{{ secret "hook" }}' } });
    fireEvent.click(within(headers).getByRole("button", { name: "Add" }));
    const statuses = screen.getByLabelText("expected_status");
    for (const s of ["2xx", "304"]) {
      fireEvent.change(statuses, { target: { value: s } });
      fireEvent.keyDown(statuses, { key: "Enter" });
    }
    fireEvent.click(screen.getByLabelText("capture_response"));
    fireEvent.change(screen.getByLabelText("max_response_bytes"), { target: { value: "1024" } });
    fireEvent.change(screen.getByLabelText("extra (JSON)"), { target: { value: '[{"a": 1}]' } });
    fireEvent.click(screen.getByRole("button", { name: "Read" }));

    const want = {
      url: "https://example.com/hook",
      method: "POST",
      headers: { Authorization: '{{ secret "hook" }}' },
      expected_status: ["2xx", 304],
      capture_response: false,
      max_response_bytes: 1024,
      extra: [{ a: 1 }],
    };
    expect(read).toEqual(want);

    // Emptying a field drops its key: the plugin's default applies.
    fireEvent.change(screen.getByLabelText("method"), { target: { value: "" } });
    fireEvent.click(screen.getByRole("button", { name: "Edit as JSON" }));
    const json = screen.getByLabelText("Config (JSON)") as HTMLTextAreaElement;
    const { method: _, ...rest } = want;
    expect(JSON.parse(json.value)).toEqual(rest);

    // Back to the form with what the JSON says.
    fireEvent.change(json, { target: { value: '{"url": "https://other.example"}' } });
    fireEvent.click(screen.getByRole("button", { name: "Edit as JSON" }));
    expect((screen.getByLabelText("url (required)") as HTMLInputElement).value).toBe("https://other.example");
  });

  it("refuses to send without the required fields and says which", () => {
    let read: Obj | undefined;
    render(<Harness schema={httpSchema} onRead={(v) => (read = v)} />);
    fireEvent.click(screen.getByRole("button", { name: "Read" }));
    expect(read).toBeUndefined();
    const url = screen.getByLabelText("url (required)");
    expect(url.getAttribute("aria-invalid")).toBe("true");
    expect(errorOf(url)).toBe("Required.");
    // auth is optional, but once given its user is required.
    expect(errorOf(screen.getByLabelText("user (required)"))).toBeUndefined();
    fireEvent.change(screen.getByLabelText("password"), { target: { value: "pw" } });
    fireEvent.change(url, { target: { value: "https://example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Read" }));
    expect(read).toBeUndefined();
    expect(errorOf(screen.getByLabelText("user (required)"))).toBe("Required.");
    fireEvent.change(screen.getByLabelText("user (required)"), { target: { value: "me" } });
    fireEvent.click(screen.getByRole("button", { name: "Read" }));
    expect(read).toEqual({ url: "https://example.com", auth: { user: "me", password: "pw" } });
  });

  it("shows the server's messages next to their fields, and the rest above the form", () => {
    const problem: Problem = {
      status: 422,
      message: "invalid task",
      fields: {
        config: ["missing property 'url'"],
        "config.url": ["is not a valid uri"],
        "config.expected_status.1": ["must be >= 100"],
        "config.surprise": ["additional property not allowed"],
      },
      other: [],
    };
    render(<Harness schema={httpSchema} problem={problem} initial={{ url: "nope" }} onRead={() => {}} />);
    expect(errorOf(screen.getByLabelText("url (required)"))).toBe("is not a valid uri");
    expect(errorOf(screen.getByLabelText("expected_status"))).toBe("1: must be >= 100");
    const top = screen.getByRole("alert");
    expect(top.textContent).toContain("missing property 'url'");
    expect(top.textContent).toContain("surprise: additional property not allowed");
  });

  it("falls back to the JSON editor for a schema the form cannot render", () => {
    let read: Obj | undefined;
    render(
      <Harness
        schema={{ type: "object", oneOf: [{ required: ["a"] }, { required: ["b"] }] }}
        initial={{ a: 1 }}
        onRead={(v) => (read = v)}
      />,
    );
    expect(screen.queryByRole("button", { name: "Edit as JSON" })).toBeNull();
    expect(screen.getByText(/beyond the form/)).toBeTruthy();
    const json = screen.getByLabelText("Config (JSON)") as HTMLTextAreaElement;
    fireEvent.change(json, { target: { value: '{"b": 2}' } });
    fireEvent.click(screen.getByRole("button", { name: "Read" }));
    expect(read).toEqual({ b: 2 });
  });
});

describe("formSpec", () => {
  it("is null for schemas that are not objects of properties", () => {
    expect(formSpec(undefined)).toBeNull();
    expect(formSpec({ type: "string" })).toBeNull();
    expect(formSpec({ type: "object" })).toBeNull();
    expect(formSpec({ $ref: "#/defs/x" })).toBeNull();
    expect(formSpec({ properties: { a: { type: "string" } } })?.fields[0]?.kind).toBe("string");
  });
});
