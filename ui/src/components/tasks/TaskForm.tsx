import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState, type FormEvent } from "react";

import { asProblem, fieldMessages, unwrap, type Problem, type Task, type TaskInput } from "../../api/client";
import { Field, ProblemBanner } from "../Problem";
import { useI18n } from "../../i18n/i18n";
import { useNamespace } from "../../lib/namespace";
import { Link, navigate } from "../../lib/router";
import { useSession } from "../../lib/session";
import { taskKey, taskPath, usePlugin, usePlugins } from "./api";
import { ConfigEditor, configState, readConfig, toForm, toJson, type ConfigState } from "./ConfigEditor";
import { CronField, useSchedulePreview } from "./CronField";
import { KeyValueEditor } from "./KeyValueEditor";
import { fieldKeyOf, formSpec, isObj, type Obj } from "./schemaForm";
import "./tasks.css";

const retryKeys = ["max_attempts", "initial_backoff", "max_backoff", "multiplier", "jitter"] as const;
type RetryKey = (typeof retryKeys)[number];

interface FormState {
  name: string;
  description: string;
  schedule: string;
  timezone: string;
  executor: string;
  labels: Record<string, string>;
  paused: boolean;
  timeout: string;
  retry: Record<RetryKey, string>;
  misfire: string;
  concurrency: string;
  catch_up_limit: string;
  start_at: string;
  end_at: string;
}

/** The problem keys the form shows next to a field; the banner lists the rest. */
const shown = [
  "name", "description", "schedule", "cron", "timezone", "executor", "type", "config", "labels", "paused",
  "timeout", "retry", ...retryKeys.map((k) => `retry.${k}`), "misfire", "concurrency", "catch_up_limit", "start_at", "end_at",
];
const nested = ["config", "labels", "retry"];

function fromTask(task: Task | undefined): FormState {
  const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));
  return {
    name: task?.name ?? "",
    description: task?.description ?? "",
    schedule: task?.schedule ?? "",
    timezone: task?.timezone ?? "",
    executor: task?.executor ?? "http",
    labels: { ...(task?.labels ?? {}) },
    paused: task?.paused ?? false,
    timeout: str(task?.timeout),
    retry: {
      max_attempts: str(task?.retry?.max_attempts),
      initial_backoff: str(task?.retry?.initial_backoff),
      max_backoff: str(task?.retry?.max_backoff),
      multiplier: str(task?.retry?.multiplier),
      jitter: str(task?.retry?.jitter),
    },
    misfire: task?.misfire ?? "",
    concurrency: task?.concurrency ?? "",
    catch_up_limit: task ? str(task.catch_up_limit) : "",
    start_at: task?.start_at ?? "",
    end_at: task?.end_at ?? "",
  };
}

function zones(): string[] {
  const f = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf;
  try {
    return f ? f("timeZone") : [];
  } catch {
    return [];
  }
}

/** focusKey focuses the control of a problem key (config.url → #config-url), trying its parents when it has none. */
export function focusKey(key: string): boolean {
  const alias: Record<string, string> = { cron: "schedule", type: "executor" };
  const parts = key.split(/[.[\]]+/).filter(Boolean);
  if (parts[0] && alias[parts[0]]) parts[0] = alias[parts[0]]!;
  while (parts.length) {
    const id = parts.join("-").replace(/[^A-Za-z0-9_-]/g, "_");
    for (const cand of [id, `${id}-key`]) {
      const el = document.getElementById(cand);
      if (el && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(el.tagName)) {
        el.focus();
        return true;
      }
    }
    parts.pop();
  }
  return false;
}

/**
 * TaskForm creates (create-task) or edits (replace-task, If-Match with the
 * ETag read) a task. Edit sends every field, as replace-task wants; a 409
 * means the task changed since it was read and is shown as such, with a
 * Reload. Every field message of a problem shows under its field.
 */
export function TaskForm({
  mode,
  task,
  etag,
  onReload,
}: {
  mode: "create" | "edit";
  task?: Task;
  etag?: string;
  onReload?: () => void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const { namespace } = useNamespace();
  const client = useQueryClient();
  const [form, setForm] = useState<FormState>(() => fromTask(task));
  const [config, setConfig] = useState<ConfigState>(() => configState(isObj(task?.config) ? (task!.config as Obj) : {}));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [conflict, setConflict] = useState<Problem | null>(null);
  const [local, setLocal] = useState<{ config?: string; missing?: string[]; numbers?: Record<string, string> }>({});
  const [busy, setBusy] = useState(false);
  const zoneList = useMemo(zones, []);

  const plugins = usePlugins();
  const plugin = usePlugin(form.executor);
  const spec = useMemo(() => formSpec(plugin.data?.config_schema), [plugin.data]);
  const schemaStatus = plugin.isPending
    ? "loading"
    : plugin.error
      ? "error"
      : plugin.data?.config_schema === undefined || plugin.data?.config_schema === null
        ? "none"
        : spec
          ? "ready"
          : "unrenderable";

  // The form when the executor has a schema it can render, unless the user chose JSON.
  useEffect(() => {
    setConfig((c) => {
      if (spec && c.mode === "json" && !c.chosen) return toForm(c).state ?? c;
      if (!spec && c.mode === "form") return toJson(c);
      return c;
    });
  }, [spec]);

  const preview = useSchedulePreview(form.schedule, form.timezone);

  const executors = (plugins.data?.plugins ?? []).map((p) => p.name);
  if (!executors.includes(form.executor)) executors.unshift(form.executor);

  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setForm((f) => ({ ...f, [k]: v }));

  const changeExecutor = (name: string) => {
    set("executor", name);
    // Another executor takes another config: start over (or back to the task's own).
    const back = mode === "edit" && task && name === task.executor && isObj(task.config) ? (task.config as Obj) : {};
    setConfig((c) => ({ ...configState(back, c.mode), chosen: c.chosen }));
    setLocal((l) => ({ ...l, config: "", missing: [] }));
  };

  const number = (key: string, text: string, integer: boolean, errs: Record<string, string>): number | undefined => {
    const s = text.trim();
    if (s === "") return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      errs[key] = integer ? t("taskForm.notInteger") : t("taskForm.notNumber");
      return undefined;
    }
    return n;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const numbers: Record<string, string> = {};
    const retry: NonNullable<TaskInput["retry"]> = {};
    const attempts = number("retry.max_attempts", form.retry.max_attempts, true, numbers);
    if (attempts !== undefined) retry.max_attempts = attempts;
    const mult = number("retry.multiplier", form.retry.multiplier, false, numbers);
    if (mult !== undefined) retry.multiplier = mult;
    const jitter = number("retry.jitter", form.retry.jitter, false, numbers);
    if (jitter !== undefined) retry.jitter = jitter;
    if (form.retry.initial_backoff.trim()) retry.initial_backoff = form.retry.initial_backoff.trim();
    if (form.retry.max_backoff.trim()) retry.max_backoff = form.retry.max_backoff.trim();
    const catchUp = number("catch_up_limit", form.catch_up_limit, true, numbers);

    const cfg = readConfig(config, config.mode === "form" ? spec : null);
    const next: typeof local = { numbers };
    if (!cfg.ok) {
      if (cfg.kind === "invalid") next.config = t("newTask.configInvalid", { error: cfg.detail });
      else if (cfg.kind === "object") next.config = t("newTask.configObject");
      else if (cfg.kind === "missing") next.missing = cfg.paths.map(fieldKeyOf);
      else next.config = t("configForm.fixJson");
    }
    setLocal(next);
    if (!cfg.ok || Object.keys(numbers).length) {
      const first = !cfg.ok
        ? cfg.kind === "missing"
          ? fieldKeyOf(cfg.paths[0]!)
          : cfg.kind === "bad"
            ? cfg.keys[0]!
            : "config"
        : Object.keys(numbers)[0]!;
      focusKey(first);
      return;
    }

    const body: TaskInput = {
      ...(mode === "create" ? { name: form.name.trim() } : {}),
      schedule: form.schedule.trim(),
      executor: form.executor,
      config: cfg.value,
      paused: form.paused,
      ...(form.description.trim() ? { description: form.description.trim() } : {}),
      ...(form.timezone.trim() ? { timezone: form.timezone.trim() } : {}),
      ...(Object.keys(form.labels).length ? { labels: form.labels } : {}),
      ...(form.timeout.trim() ? { timeout: form.timeout.trim() } : {}),
      ...(Object.keys(retry).length ? { retry } : {}),
      ...(form.misfire ? { misfire: form.misfire as NonNullable<TaskInput["misfire"]> } : {}),
      ...(form.concurrency ? { concurrency: form.concurrency as NonNullable<TaskInput["concurrency"]> } : {}),
      ...(catchUp !== undefined ? { catch_up_limit: catchUp } : {}),
      ...(form.start_at.trim() ? { start_at: form.start_at.trim() } : {}),
      ...(form.end_at.trim() ? { end_at: form.end_at.trim() } : {}),
    };
    setBusy(true);
    try {
      const saved =
        mode === "create"
          ? await unwrap(api.POST("/api/v1/tasks", { params: { query: { namespace } }, body }))
          : await unwrap(
              api.PUT("/api/v1/tasks/{name}", {
                params: {
                  path: { name: task!.name },
                  query: { namespace },
                  header: { "If-Match": etag ?? `"${task!.version}"` },
                },
                body,
              }),
            );
      client.setQueryData(taskKey(namespace, saved.name), { task: saved, etag: `"${saved.version}"` });
      await client.invalidateQueries({ queryKey: ["tasks", namespace] });
      void client.invalidateQueries({ queryKey: ["task-preview", namespace, saved.name] });
      navigate(taskPath(saved.name, mode === "create" ? "?created=1" : "?saved=1"));
    } catch (err) {
      const p = asProblem(err);
      if (mode === "edit" && (p.status === 409 || p.status === 412)) {
        setConflict(p);
        document.getElementById("conflict-reload")?.focus();
        return;
      }
      setProblem(p);
      const first = shown.find((k) => fieldMessages(p, k, nested.includes(k)).length > 0);
      if (first) {
        const inner = Object.keys(p.fields).find((k) => k === first || k.startsWith(first + "."));
        focusKey(inner ?? first);
      }
    } finally {
      setBusy(false);
    }
  };

  const messages = (k: string, alias?: string) => [
    ...(local.numbers?.[k] ? [local.numbers[k]!] : []),
    ...fieldMessages(problem, k, nested.includes(k)),
    ...(alias ? fieldMessages(problem, alias) : []),
  ];

  return (
    <form className="card form tk-task-form" onSubmit={submit} noValidate>
      {conflict && (
        <div className="problem tk-conflict" role="alert">
          <p className="problem-message">{t("taskForm.conflict")}</p>
          <p className="muted">{conflict.message}</p>
          <div className="actions">
            <button type="button" id="conflict-reload" className="button-primary" onClick={() => onReload?.()}>
              {t("taskForm.reload")}
            </button>
            <Link to={taskPath(task?.name ?? "")} className="button" target="_blank" rel="noopener">
              {t("taskForm.openCurrent")}
            </Link>
          </div>
        </div>
      )}
      <ProblemBanner problem={problem} shown={shown} nested={nested} />

      <h2 className="tk-section-title">{t("taskForm.basics")}</h2>
      {mode === "create" && (
        <Field id="name" label={t("newTask.name")} hint={t("newTask.nameHint")} messages={messages("name")}>
          {(p) => (
            <input
              {...p}
              required
              autoComplete="off"
              spellCheck={false}
              value={form.name}
              onChange={(e) => set("name", e.target.value)}
            />
          )}
        </Field>
      )}
      <Field id="description" label={t("newTask.description")} messages={messages("description")}>
        {(p) => <input {...p} value={form.description} onChange={(e) => set("description", e.target.value)} />}
      </Field>
      <KeyValueEditor
        id="labels"
        legend={t("taskForm.labels")}
        hint={t("taskForm.labelsHint")}
        value={form.labels}
        onChange={(v) => set("labels", v)}
        messages={fieldMessages(problem, "labels", true)}
        labels
      />

      <h2 className="tk-section-title">{t("taskForm.scheduleSection")}</h2>
      <div className="tk-form-grid">
        <CronField
          value={form.schedule}
          onChange={(v) => set("schedule", v)}
          timezone={form.timezone}
          preview={preview}
          messages={messages("schedule", "cron")}
        />
        <Field
          id="timezone"
          label={t("newTask.timezone")}
          hint={t("newTask.timezoneHint")}
          messages={[...new Set([...messages("timezone"), ...preview.timezoneMessages])]}
        >
          {(p) => (
            <>
              <input
                {...p}
                list="timezones"
                autoComplete="off"
                spellCheck={false}
                placeholder="UTC"
                value={form.timezone}
                onChange={(e) => set("timezone", e.target.value)}
              />
              {zoneList.length > 0 && (
                <datalist id="timezones">
                  {zoneList.map((z) => (
                    <option key={z} value={z} />
                  ))}
                </datalist>
              )}
            </>
          )}
        </Field>
      </div>
      <div className="tk-form-grid">
        <Field id="start_at" label={t("taskForm.startAt")} hint={t("taskForm.windowHint")} messages={messages("start_at")}>
          {(p) => (
            <input
              {...p}
              className="mono"
              spellCheck={false}
              placeholder="2026-12-01T00:00:00Z"
              value={form.start_at}
              onChange={(e) => set("start_at", e.target.value)}
            />
          )}
        </Field>
        <Field id="end_at" label={t("taskForm.endAt")} messages={messages("end_at")}>
          {(p) => (
            <input
              {...p}
              className="mono"
              spellCheck={false}
              placeholder="2027-01-01T00:00:00Z"
              value={form.end_at}
              onChange={(e) => set("end_at", e.target.value)}
            />
          )}
        </Field>
      </div>
      <div className={messages("paused").length ? "field field-invalid" : "field"}>
        <label className="checkbox">
          <input id="paused" type="checkbox" checked={form.paused} onChange={(e) => set("paused", e.target.checked)} />
          {mode === "create" ? t("newTask.paused") : t("taskForm.pausedEdit")}
        </label>
        {messages("paused").length > 0 && (
          <ul className="field-error">
            {messages("paused").map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        )}
      </div>

      <h2 className="tk-section-title">{t("taskForm.executorSection")}</h2>
      <Field id="executor" label={t("newTask.executor")} messages={messages("executor", "type")}>
        {(p) => (
          <select {...p} value={form.executor} onChange={(e) => changeExecutor(e.target.value)}>
            {executors.map((name) => (
              <option key={name} value={name}>
                {name}
                {plugins.data?.plugins?.find((x) => x.name === name)?.builtin ? ` (${t("taskForm.builtin")})` : ""}
              </option>
            ))}
          </select>
        )}
      </Field>
      <ConfigEditor
        spec={spec}
        schemaStatus={schemaStatus}
        pluginDescription={plugin.data?.description}
        state={config}
        onChange={(s) => {
          setConfig(s);
          if (local.config || local.missing?.length) setLocal((l) => ({ ...l, config: "" }));
        }}
        problem={problem}
        missing={local.missing ?? []}
        jsonError={local.config ?? ""}
      />

      <h2 className="tk-section-title">{t("taskForm.policies")}</h2>
      <div className="tk-form-grid">
        <Field id="timeout" label={t("taskForm.timeout")} hint={t("taskForm.timeoutHint")} messages={messages("timeout")}>
          {(p) => (
            <input
              {...p}
              className="mono"
              spellCheck={false}
              placeholder="5m"
              value={form.timeout}
              onChange={(e) => set("timeout", e.target.value)}
            />
          )}
        </Field>
        <Field id="concurrency" label={t("taskForm.concurrency")} hint={t("taskForm.concurrencyHint")} messages={messages("concurrency")}>
          {(p) => (
            <select {...p} value={form.concurrency} onChange={(e) => set("concurrency", e.target.value)}>
              {mode === "create" && <option value="">{t("taskForm.defaultOption", { value: t("policy.concurrency.allow") })}</option>}
              <option value="allow">{t("policy.concurrency.allow")}</option>
              <option value="forbid">{t("policy.concurrency.forbid")}</option>
              <option value="replace">{t("policy.concurrency.replace")}</option>
            </select>
          )}
        </Field>
        <Field id="misfire" label={t("taskForm.misfire")} hint={t("taskForm.misfireHint")} messages={messages("misfire")}>
          {(p) => (
            <select {...p} value={form.misfire} onChange={(e) => set("misfire", e.target.value)}>
              {mode === "create" && <option value="">{t("taskForm.defaultOption", { value: t("policy.misfire.run_once") })}</option>}
              <option value="skip">{t("policy.misfire.skip")}</option>
              <option value="run_once">{t("policy.misfire.run_once")}</option>
              <option value="catch_up">{t("policy.misfire.catch_up")}</option>
            </select>
          )}
        </Field>
        <Field id="catch_up_limit" label={t("taskForm.catchUpLimit")} hint={t("taskForm.catchUpLimitHint")} messages={messages("catch_up_limit")}>
          {(p) => (
            <input
              {...p}
              type="number"
              min={1}
              max={1000}
              step={1}
              placeholder="10"
              value={form.catch_up_limit}
              onChange={(e) => set("catch_up_limit", e.target.value)}
            />
          )}
        </Field>
      </div>
      <fieldset className="tk-retry">
        <legend>{t("taskForm.retry")}</legend>
        {fieldMessages(problem, "retry").length > 0 && (
          <ul className="field-error">
            {fieldMessages(problem, "retry").map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        )}
        <div className="tk-form-grid tk-form-grid-3">
          {retryKeys.map((k) => (
            <Field
              key={k}
              id={`retry-${k}`}
              label={t(`taskForm.retry.${k}`)}
              hint={t(`taskForm.retry.${k}.hint`)}
              messages={[...(local.numbers?.[`retry.${k}`] ? [local.numbers[`retry.${k}`]!] : []), ...fieldMessages(problem, `retry.${k}`)]}
            >
              {(p) => (
                <input
                  {...p}
                  {...(k === "max_attempts" || k === "multiplier" || k === "jitter"
                    ? { type: "number", step: k === "max_attempts" ? 1 : "any", min: k === "jitter" ? 0 : 1, max: k === "jitter" ? 1 : k === "multiplier" ? 10 : 100 }
                    : { className: "mono", spellCheck: false })}
                  placeholder={{ max_attempts: "1", initial_backoff: "1s", max_backoff: "5m", multiplier: "2", jitter: "0.2" }[k]}
                  value={form.retry[k]}
                  onChange={(e) => setForm((f) => ({ ...f, retry: { ...f.retry, [k]: e.target.value } }))}
                />
              )}
            </Field>
          ))}
        </div>
      </fieldset>

      <div className="actions tk-form-actions">
        <button type="submit" className="button-primary" disabled={busy}>
          {mode === "create"
            ? busy
              ? t("newTask.submitting")
              : t("newTask.submit")
            : busy
              ? t("taskForm.saving")
              : t("taskForm.save")}
        </button>
        <Link to={mode === "create" ? "/tasks" : taskPath(task?.name ?? "")} className="button">
          {t("newTask.cancel")}
        </Link>
      </div>
    </form>
  );
}
