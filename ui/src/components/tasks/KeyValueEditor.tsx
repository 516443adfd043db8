import { useState, type KeyboardEvent } from "react";

import { useI18n } from "../../i18n/i18n";

// The rules of core/validation.go for label keys and values.
const labelKey = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$/;
export const maxLabels = 32;

/**
 * KeyValueEditor edits a string map as chips (key=value, each with a
 * remove button) and a key and value input with an Add button; Enter in
 * either input adds too. labels turns on the label rules (key and value
 * syntax, 63 characters, 32 labels); otherwise any non-empty key is taken
 * (a config map such as headers).
 */
export function KeyValueEditor({
  id,
  legend,
  hint,
  value,
  onChange,
  messages = [],
  labels = false,
}: {
  id: string;
  legend: string;
  hint?: string;
  value: Record<string, string>;
  onChange: (v: Record<string, string>) => void;
  /** The server's messages for the map (and its keys). */
  messages?: string[];
  labels?: boolean;
}) {
  const { t } = useI18n();
  const [key, setKey] = useState("");
  const [val, setVal] = useState("");
  const [error, setError] = useState<{ field: "key" | "value"; message: string } | null>(null);
  const entries = Object.entries(value);

  const add = () => {
    const k = key.trim();
    const v = val.trim();
    let err: typeof error = null;
    if (k === "") err = { field: "key", message: t("kv.keyRequired") };
    else if (k in value) err = { field: "key", message: t("kv.duplicate", { key: k }) };
    else if (labels && (k.length > 63 || !labelKey.test(k))) err = { field: "key", message: t("kv.labelKeyInvalid", { key: k }) };
    else if (labels && (v.length > 63 || !labelValue.test(v))) err = { field: "value", message: t("kv.labelValueInvalid", { value: v }) };
    else if (labels && entries.length >= maxLabels) err = { field: "key", message: t("kv.tooMany", { n: maxLabels }) };
    setError(err);
    if (err) {
      document.getElementById(`${id}-${err.field}`)?.focus();
      return;
    }
    onChange({ ...value, [k]: v });
    setKey("");
    setVal("");
    document.getElementById(`${id}-key`)?.focus();
  };

  const remove = (k: string) => {
    const next = { ...value };
    delete next[k];
    onChange(next);
    // Focus stays in the editor: the key input.
    document.getElementById(`${id}-key`)?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault(); // not the form's submit
      add();
    }
  };

  const errors = [...(error ? [error.message] : []), ...messages];
  const describedBy = [hint ? `${id}-hint` : "", errors.length ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;

  return (
    <fieldset className={errors.length ? "field tk-kv field-invalid" : "field tk-kv"} id={id}>
      <legend>{legend}</legend>
      {entries.length > 0 ? (
        <ul className="labels tk-kv-chips" aria-label={legend}>
          {entries.map(([k, v]) => (
            <li key={k} className="tk-kv-chip">
              <span className="mono">{labels && v === "" ? k : `${k}=${v}`}</span>
              <button
                type="button"
                className="tk-kv-remove"
                aria-label={t("kv.remove", { item: `${k}=${v}` })}
                title={t("kv.remove", { item: `${k}=${v}` })}
                onClick={() => remove(k)}
              >
                <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted tk-kv-empty">{t("kv.none")}</p>
      )}
      <div className="tk-kv-add">
        <label className="tk-kv-input">
          <span>{labels ? t("kv.labelKey") : t("kv.key", { field: legend })}</span>
          <input
            id={`${id}-key`}
            value={key}
            spellCheck={false}
            autoComplete="off"
            placeholder={labels ? "team" : ""}
            aria-invalid={error?.field === "key" || messages.length > 0 ? true : undefined}
            aria-describedby={describedBy}
            onChange={(e) => setKey(e.target.value)}
            onKeyDown={onKeyDown}
          />
        </label>
        <label className="tk-kv-input">
          <span>{labels ? t("kv.labelValue") : t("kv.value", { field: legend })}</span>
          <input
            id={`${id}-value`}
            value={val}
            spellCheck={false}
            autoComplete="off"
            placeholder={labels ? "ops" : ""}
            aria-invalid={error?.field === "value" ? true : undefined}
            aria-describedby={describedBy}
            onChange={(e) => setVal(e.target.value)}
            onKeyDown={onKeyDown}
          />
        </label>
        <button type="button" onClick={add}>
          {labels ? t("kv.addLabel") : t("kv.add")}
        </button>
      </div>
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {errors.length > 0 && (
        <ul className="field-error" id={`${id}-error`} aria-live="polite">
          {errors.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
