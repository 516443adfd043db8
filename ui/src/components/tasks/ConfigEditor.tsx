import { useState, type KeyboardEvent, type ReactNode } from "react";

import { fieldMessages, type Problem } from "../../api/client";
import { Field } from "../Problem";
import { useI18n } from "../../i18n/i18n";
import { KeyValueEditor } from "./KeyValueEditor";
import {
  coerceItem,
  display,
  fieldId,
  fieldKeyOf,
  getPath,
  isObj,
  missingRequired,
  setPath,
  unknownKeys,
  type FieldSpec,
  type FormSpec,
  type Obj,
} from "./schemaForm";

/** The config being edited: as a form over value, or as JSON text. */
export interface ConfigState {
  mode: "form" | "json";
  value: Obj;
  text: string;
  /** Text of the per-property JSON boxes, by field key (config.x). */
  drafts: Record<string, string>;
  /** Per-property JSON boxes whose text does not parse, with the parser's message. */
  bad: Record<string, string>;
  /** The user picked the mode (the schema arriving later does not switch it). */
  chosen: boolean;
}

export function configState(value: Obj, mode: "form" | "json" = "json"): ConfigState {
  return { mode, value, text: JSON.stringify(value, null, 2), drafts: {}, bad: {}, chosen: false };
}

/** toForm switches to the form; it returns an error message (and no state) when the JSON does not parse into an object. */
export function toForm(s: ConfigState): { state?: ConfigState; error?: "invalid" | "object"; detail?: string } {
  if (s.mode === "form") return { state: s };
  let v: unknown;
  try {
    v = s.text.trim() === "" ? {} : JSON.parse(s.text);
  } catch (err) {
    return { error: "invalid", detail: err instanceof Error ? err.message : String(err) };
  }
  if (!isObj(v)) return { error: "object" };
  return { state: { ...s, mode: "form", value: v, drafts: {}, bad: {} } };
}

export function toJson(s: ConfigState): ConfigState {
  if (s.mode === "json") return s;
  return { ...s, mode: "json", text: JSON.stringify(s.value, null, 2), drafts: {}, bad: {} };
}

/**
 * readConfig returns the config to send, or why it cannot be sent: JSON
 * that does not parse, not an object, a JSON box that does not parse, or
 * required fields left empty (their paths).
 */
export function readConfig(
  s: ConfigState,
  spec: FormSpec | null,
):
  | { ok: true; value: Obj }
  | { ok: false; kind: "invalid"; detail: string }
  | { ok: false; kind: "object" }
  | { ok: false; kind: "bad"; keys: string[] }
  | { ok: false; kind: "missing"; paths: string[][] } {
  if (s.mode === "json") {
    let v: unknown;
    try {
      v = s.text.trim() === "" ? {} : JSON.parse(s.text);
    } catch (err) {
      return { ok: false, kind: "invalid", detail: err instanceof Error ? err.message : String(err) };
    }
    if (!isObj(v)) return { ok: false, kind: "object" };
    return { ok: true, value: v };
  }
  const bad = Object.keys(s.bad);
  if (bad.length) return { ok: false, kind: "bad", keys: bad };
  if (spec) {
    const missing = missingRequired(spec, s.value);
    if (missing.length) return { ok: false, kind: "missing", paths: missing };
  }
  return { ok: true, value: s.value };
}

/** The keys under config that a form field shows (for the leftovers list and the banner). */
function claimedKeys(fields: FieldSpec[]): { exact: string[]; nested: string[] } {
  const exact: string[] = [];
  const nested: string[] = [];
  for (const f of fields) {
    const k = fieldKeyOf(f.path);
    exact.push(k);
    if (f.kind === "object") {
      const inner = claimedKeys(f.fields);
      exact.push(...inner.exact);
      nested.push(...inner.nested);
    } else if (f.kind === "list" || f.kind === "map" || f.kind === "json") {
      nested.push(k);
    }
  }
  return { exact, nested };
}

/** configLeftovers returns the problem's config messages that no form field shows, prefixed by their sub-path. */
export function configLeftovers(problem: Problem | null | undefined, spec: FormSpec): string[] {
  if (!problem) return [];
  const { exact, nested } = claimedKeys(spec.fields);
  const out: string[] = [...(problem.fields["config"] ?? [])];
  for (const [k, msgs] of Object.entries(problem.fields)) {
    if (!k.startsWith("config.") && !k.startsWith("config[")) continue;
    if (exact.includes(k) || nested.some((n) => k.startsWith(n + ".") || k.startsWith(n + "["))) continue;
    for (const m of msgs) out.push(`${k.slice("config.".length)}: ${m}`);
  }
  return out;
}

function ListEditor({
  id,
  spec,
  items,
  onChange,
  describedBy,
  invalid,
}: {
  id: string;
  spec: Extract<FieldSpec, { kind: "list" }>;
  items: unknown[];
  onChange: (v: unknown[] | undefined) => void;
  describedBy?: string | undefined;
  invalid: boolean;
}) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const add = () => {
    const v = spec.itemEnum ? (spec.itemEnum.find((x) => String(x) === text) ?? null) : coerceItem(text, spec.itemTypes);
    if (v === null) {
      setError(text.trim() === "" ? t("configForm.itemEmpty") : t("configForm.itemInvalid", { types: spec.itemTypes.join(" | ") }));
      return;
    }
    setError("");
    onChange([...items, v]);
    setText("");
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      add();
    }
  };
  const describe = [describedBy, error ? `${id}-item-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className="tk-list-editor">
      {items.length > 0 && (
        <ul className="labels tk-kv-chips">
          {items.map((item, i) => (
            <li key={i} className="tk-kv-chip">
              <span className="mono">{typeof item === "string" ? item : JSON.stringify(item)}</span>
              <button
                type="button"
                className="tk-kv-remove"
                aria-label={t("kv.remove", { item: String(item) })}
                title={t("kv.remove", { item: String(item) })}
                onClick={() => {
                  const next = items.filter((_, j) => j !== i);
                  onChange(next.length ? next : undefined);
                  document.getElementById(id)?.focus();
                }}
              >
                <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="tk-kv-add">
        {spec.itemEnum ? (
          <select id={id} value={text} onChange={(e) => setText(e.target.value)} aria-describedby={describe} aria-invalid={invalid || undefined}>
            <option value="">{t("configForm.choose")}</option>
            {spec.itemEnum.map((o) => (
              <option key={String(o)} value={String(o)}>
                {String(o)}
              </option>
            ))}
          </select>
        ) : (
          <input
            id={id}
            value={text}
            spellCheck={false}
            autoComplete="off"
            placeholder={items.length === 0 && spec.default !== undefined ? display(spec.default) : ""}
            aria-describedby={describe}
            aria-invalid={invalid || error ? true : undefined}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
          />
        )}
        <button type="button" onClick={add}>
          {t("kv.add")}
        </button>
      </div>
      {error && (
        <p className="field-error" id={`${id}-item-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

function hintOf(f: FieldSpec, t: ReturnType<typeof useI18n>["t"]): ReactNode {
  const parts: string[] = [];
  if (f.description) parts.push(f.description);
  if (f.default !== undefined && f.kind !== "boolean") {
    const d = display(f.default);
    parts.push(d === "" ? t("configForm.defaultEmpty") : t("configForm.default", { value: d }));
  }
  if (f.examples?.length && f.kind !== "map" && f.kind !== "json") parts.push(t("configForm.example", { value: display(f.examples[0]) }));
  return parts.length ? parts.join(" ") : undefined;
}

function FormField({
  f,
  state,
  onChange,
  problem,
  missing,
}: {
  f: FieldSpec;
  state: ConfigState;
  onChange: (s: ConfigState) => void;
  problem: Problem | null | undefined;
  missing: string[];
}) {
  const { t } = useI18n();
  const id = fieldId(f.path);
  const key = fieldKeyOf(f.path);
  const value = getPath(state.value, f.path);
  const set = (v: unknown) => onChange({ ...state, value: setPath(state.value, f.path, v) });
  const nested = f.kind === "list" || f.kind === "map" || f.kind === "json";
  const messages = [...(missing.includes(key) ? [t("configForm.required")] : []), ...fieldMessages(problem, key, nested)];
  const label = (
    <>
      {f.title}
      {f.title !== f.key && <span className="muted mono"> ({f.key})</span>}
      {f.required && <span className="tk-required"> {t("configForm.requiredMark")}</span>}
    </>
  );
  const hint = hintOf(f, t);

  switch (f.kind) {
    case "object":
      return (
        <fieldset className="tk-config-object" id={id}>
          <legend>{label}</legend>
          {f.description && <p className="field-hint">{f.description}</p>}
          {f.fields.map((sub) => (
            <FormField key={sub.key} f={sub} state={state} onChange={onChange} problem={problem} missing={missing} />
          ))}
          {messages.length > 0 && (
            <ul className="field-error">
              {messages.map((m, i) => (
                <li key={i}>{m}</li>
              ))}
            </ul>
          )}
        </fieldset>
      );
    case "map":
      return (
        <KeyValueEditor
          id={id}
          legend={f.title}
          {...(typeof hint === "string" ? { hint } : {})}
          value={isObj(value) ? (Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) as Record<string, string>) : {}}
          onChange={(m) => set(Object.keys(m).length ? m : undefined)}
          messages={messages}
        />
      );
    case "boolean": {
      const checked = typeof value === "boolean" ? value : f.default === true;
      return (
        <Field id={id} label={label} hint={hint} messages={messages}>
          {(p) => (
            <span className="checkbox">
              <input {...p} type="checkbox" checked={checked} onChange={(e) => set(e.target.checked)} />
              <span className="muted">
                {typeof value === "boolean" ? "" : f.default !== undefined ? t("configForm.defaultBool", { value: String(f.default) }) : ""}
              </span>
            </span>
          )}
        </Field>
      );
    }
    case "enum":
      return (
        <Field id={id} label={label} hint={hint} messages={messages}>
          {(p) => (
            <select
              {...p}
              value={value === undefined ? "" : String(value)}
              onChange={(e) => set(e.target.value === "" ? undefined : f.options.find((o) => String(o) === e.target.value))}
            >
              <option value="">
                {f.default !== undefined ? t("configForm.defaultOption", { value: display(f.default) }) : t("configForm.choose")}
              </option>
              {f.options.map((o) => (
                <option key={String(o)} value={String(o)}>
                  {String(o)}
                </option>
              ))}
            </select>
          )}
        </Field>
      );
    case "number":
      return (
        <Field id={id} label={label} hint={hint} messages={messages}>
          {(p) => (
            <input
              {...p}
              type="number"
              inputMode={f.integer ? "numeric" : "decimal"}
              step={f.integer ? 1 : "any"}
              {...(f.minimum !== undefined ? { min: f.minimum } : {})}
              {...(f.maximum !== undefined ? { max: f.maximum } : {})}
              placeholder={f.default !== undefined ? display(f.default) : ""}
              value={typeof value === "number" ? String(value) : ""}
              onChange={(e) => {
                const n = e.target.value === "" ? undefined : Number(e.target.value);
                set(n === undefined || !Number.isFinite(n) ? undefined : n);
              }}
            />
          )}
        </Field>
      );
    case "string":
      return (
        <Field id={id} label={label} hint={hint} messages={messages}>
          {(p) =>
            f.multiline ? (
              <textarea
                {...p}
                rows={4}
                spellCheck={false}
                className="mono"
                placeholder={f.default !== undefined ? display(f.default) : ""}
                value={typeof value === "string" ? value : ""}
                onChange={(e) => set(e.target.value === "" ? undefined : e.target.value)}
              />
            ) : (
              <input
                {...p}
                type={f.format === "uri" || f.format === "url" ? "url" : "text"}
                spellCheck={false}
                autoComplete="off"
                {...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {})}
                placeholder={f.default !== undefined ? display(f.default) : ""}
                value={typeof value === "string" ? value : value === undefined ? "" : String(value)}
                onChange={(e) => set(e.target.value === "" ? undefined : e.target.value)}
              />
            )
          }
        </Field>
      );
    case "list":
      return (
        <Field id={id} label={label} hint={hint} messages={messages}>
          {(p) => (
            <ListEditor
              id={id}
              spec={f}
              items={Array.isArray(value) ? value : []}
              onChange={set}
              describedBy={p["aria-describedby"]}
              invalid={messages.length > 0}
            />
          )}
        </Field>
      );
    case "json": {
      const draft = state.drafts[key] ?? (value === undefined ? "" : JSON.stringify(value, null, 2));
      const bad = state.bad[key];
      return (
        <Field
          id={id}
          label={
            <>
              {label} <span className="muted">{t("configForm.asJson")}</span>
            </>
          }
          hint={hint}
          messages={[...(bad ? [t("newTask.configInvalid", { error: bad })] : []), ...messages]}
        >
          {(p) => (
            <textarea
              {...p}
              rows={3}
              spellCheck={false}
              className="mono"
              placeholder={f.default !== undefined ? JSON.stringify(f.default) : ""}
              value={draft}
              onChange={(e) => {
                const text = e.target.value;
                const drafts = { ...state.drafts, [key]: text };
                const badNext = { ...state.bad };
                delete badNext[key];
                let v: unknown;
                if (text.trim() === "") v = undefined;
                else {
                  try {
                    v = JSON.parse(text);
                  } catch (err) {
                    badNext[key] = err instanceof Error ? err.message : String(err);
                    onChange({ ...state, drafts, bad: badNext });
                    return;
                  }
                }
                onChange({ ...state, drafts, bad: badNext, value: setPath(state.value, f.path, v) });
              }}
            />
          )}
        </Field>
      );
    }
  }
}

/**
 * ConfigEditor edits an executor's config: a form from the plugin's
 * schema, with a toggle to the raw JSON; only the JSON when the plugin has
 * no schema, or one the form cannot render. Server messages under config
 * show next to their field (config.url under url); those no field takes
 * show at the top of the section.
 */
export function ConfigEditor({
  spec,
  schemaStatus,
  pluginDescription,
  state,
  onChange,
  problem,
  missing = [],
  jsonError = "",
}: {
  spec: FormSpec | null;
  schemaStatus: "loading" | "ready" | "none" | "unrenderable" | "error";
  pluginDescription?: string | undefined;
  state: ConfigState;
  onChange: (s: ConfigState) => void;
  problem: Problem | null | undefined;
  /** Required fields found empty on submit, as field keys (config.url). */
  missing?: string[];
  /** Why the JSON cannot be used (does not parse, not an object). */
  jsonError?: string;
}) {
  const { t } = useI18n();
  const [switchError, setSwitchError] = useState("");
  const canForm = spec !== null;
  const formMode = canForm && state.mode === "form";

  const toggle = () => {
    if (state.mode === "form") {
      setSwitchError("");
      onChange({ ...toJson(state), chosen: true });
      return;
    }
    const r = toForm(state);
    if (r.state) {
      setSwitchError("");
      onChange({ ...r.state, chosen: true });
    } else {
      setSwitchError(r.error === "object" ? t("newTask.configObject") : t("newTask.configInvalid", { error: r.detail ?? "" }));
      document.getElementById("config")?.focus();
    }
  };

  const note =
    schemaStatus === "loading"
      ? t("configForm.schemaLoading")
      : schemaStatus === "none"
        ? t("configForm.noSchema")
        : schemaStatus === "unrenderable"
          ? t("configForm.unrenderable")
          : schemaStatus === "error"
            ? t("configForm.schemaError")
            : "";

  const leftovers = formMode && spec ? configLeftovers(problem, spec) : [];
  const extra = formMode && spec ? unknownKeys(spec, state.value) : [];

  return (
    <section className="tk-config-editor" aria-labelledby="config-title">
      <div className="tk-config-head">
        <h2 id="config-title" className="tk-section-title">
          {t("taskForm.config")}
        </h2>
        {canForm && (
          <button type="button" className="button-quiet" aria-pressed={state.mode === "json"} onClick={toggle}>
            {t("configForm.jsonToggle")}
          </button>
        )}
      </div>
      {(spec?.description ?? pluginDescription) && <p className="field-hint">{spec?.description ?? pluginDescription}</p>}
      {note && <p className="muted tk-config-note">{note}</p>}
      {formMode && spec ? (
        <div className="tk-config-form">
          {leftovers.length > 0 && (
            <ul className="field-error tk-config-leftovers" role="alert">
              {leftovers.map((m, i) => (
                <li key={i}>{m}</li>
              ))}
            </ul>
          )}
          {spec.fields.map((f) => (
            <FormField key={f.key} f={f} state={state} onChange={onChange} problem={problem} missing={missing} />
          ))}
          {extra.length > 0 && <p className="field-hint">{t("configForm.extraKeys", { keys: extra.join(", ") })}</p>}
        </div>
      ) : (
        <Field
          id="config"
          label={t("newTask.config")}
          hint={t("newTask.configHint")}
          messages={[...(switchError ? [switchError] : []), ...(jsonError ? [jsonError] : []), ...fieldMessages(problem, "config", true)]}
        >
          {(p) => (
            <textarea
              {...p}
              rows={10}
              spellCheck={false}
              className="mono"
              value={state.text}
              onChange={(e) => onChange({ ...state, mode: "json", text: e.target.value })}
            />
          )}
        </Field>
      )}
    </section>
  );
}

// Re-exported for the form's focus and banner logic.
export { claimedKeys };
