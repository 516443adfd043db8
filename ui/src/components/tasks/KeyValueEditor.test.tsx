import { fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import { I18nProvider } from "../../i18n/i18n";
import { KeyValueEditor } from "./KeyValueEditor";

let last: Record<string, string> = {};

function Labels({ initial = {}, messages = [] }: { initial?: Record<string, string>; messages?: string[] }) {
  const [v, setV] = useState(initial);
  last = v;
  return (
    <I18nProvider initial="en">
      <KeyValueEditor
        id="labels"
        legend="Labels"
        value={v}
        onChange={(n) => {
          last = n;
          setV(n);
        }}
        messages={messages}
        labels
      />
    </I18nProvider>
  );
}

const errorText = () => document.getElementById("labels-error")?.textContent ?? "";

describe("the labels editor", () => {
  it("adds labels as chips with the button and with Enter, and removes them", () => {
    render(<Labels />);
    expect(screen.getByText("None")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Label key"), { target: { value: "team" } });
    fireEvent.change(screen.getByLabelText("Label value"), { target: { value: "ops" } });
    fireEvent.click(screen.getByRole("button", { name: "Add label" }));
    expect(last).toEqual({ team: "ops" });
    expect((screen.getByLabelText("Label key") as HTMLInputElement).value).toBe("");
    expect(document.activeElement).toBe(screen.getByLabelText("Label key"));

    fireEvent.change(screen.getByLabelText("Label key"), { target: { value: "example.com/env" } });
    fireEvent.change(screen.getByLabelText("Label value"), { target: { value: "prod" } });
    fireEvent.keyDown(screen.getByLabelText("Label value"), { key: "Enter" });
    expect(last).toEqual({ team: "ops", "example.com/env": "prod" });

    const chips = within(screen.getByRole("list", { name: "Labels" })).getAllByRole("listitem");
    expect(chips.map((c) => c.textContent?.replace("×", ""))).toEqual(["team=ops", "example.com/env=prod"]);
    fireEvent.click(screen.getByRole("button", { name: "Remove team=ops" }));
    expect(last).toEqual({ "example.com/env": "prod" });
  });

  it("says what is wrong with a key or value, and adds nothing", () => {
    render(<Labels initial={{ team: "ops" }} />);
    const key = screen.getByLabelText("Label key");
    const value = screen.getByLabelText("Label value");

    fireEvent.click(screen.getByRole("button", { name: "Add label" }));
    expect(errorText()).toBe("Enter a key.");

    fireEvent.change(key, { target: { value: "bad key" } });
    fireEvent.click(screen.getByRole("button", { name: "Add label" }));
    expect(errorText()).toContain("Label key bad key is invalid");
    expect(key.getAttribute("aria-invalid")).toBe("true");
    expect(key.getAttribute("aria-describedby")).toContain("labels-error");

    fireEvent.change(key, { target: { value: "team" } });
    fireEvent.click(screen.getByRole("button", { name: "Add label" }));
    expect(errorText()).toContain("team is already set");

    fireEvent.change(key, { target: { value: "env" } });
    fireEvent.change(value, { target: { value: "-prod-" } });
    fireEvent.click(screen.getByRole("button", { name: "Add label" }));
    expect(errorText()).toContain("Label value -prod- is invalid");
    expect(value.getAttribute("aria-invalid")).toBe("true");
    expect(last).toEqual({ team: "ops" });

    fireEvent.change(value, { target: { value: "prod" } });
    fireEvent.click(screen.getByRole("button", { name: "Add label" }));
    expect(errorText()).toBe("");
    expect(last).toEqual({ team: "ops", env: "prod" });
  });

  it("shows the server's messages for the labels", () => {
    render(<Labels initial={{ team: "ops" }} messages={['team: label value "ops!" is invalid']} />);
    expect(errorText()).toBe('team: label value "ops!" is invalid');
  });
});
