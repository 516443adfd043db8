import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { ApiError, asProblem, fieldMessages, problem, roleIn, type Namespace, type Problem } from "../api/client";
import type { components } from "../api/schema";
import { Confirm } from "../components/admin/Confirm";
import { lines, wholeNumber } from "../components/admin/format";
import { useAction } from "../components/admin/hooks";
import { QuotaList, quotaRows, usageOf, type Usage } from "../components/admin/NamespaceFacts";
import { formatInstant } from "../components/admin/time";
import { Field, ProblemBanner, problemMessage } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/messages";
import { Link, navigate, useLocation } from "../lib/router";
import { usePrincipal, useSession } from "../lib/session";

type NamespaceInput = components["schemas"]["NamespaceInput"];
type Wasm = components["schemas"]["WasmSettingsBody"];
type Quotas = components["schemas"]["QuotaSettingsBody"];

const wasmFields: { key: keyof Wasm; label: MessageKey; hint?: MessageKey; duration?: boolean }[] = [
  { key: "memory_pages", label: "ns.f.memoryPages", hint: "ns.f.memoryPagesHint" },
  { key: "max_timeout", label: "ns.f.maxTimeout", hint: "ns.f.maxTimeoutHint", duration: true },
  { key: "max_output_bytes", label: "ns.f.maxOutput" },
  { key: "max_log_bytes", label: "ns.f.maxLog", hint: "ns.f.maxLogHint" },
  { key: "max_http_response_bytes", label: "ns.f.maxHttp" },
  { key: "max_kv_value_bytes", label: "ns.f.maxKv" },
];

/** The form's values, as typed. */
interface FormState {
  description: string;
  wasm: Record<string, string>;
  allowedHosts: string;
  allowPrivate: boolean;
  allowAddrs: string;
  quotas: Record<string, string>;
}

function formOf(ns: Namespace): FormState {
  const w = (ns.settings?.wasm ?? {}) as Record<string, unknown>;
  const q = (ns.settings?.quotas ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null || v === 0 ? "" : String(v));
  return {
    description: ns.description ?? "",
    wasm: Object.fromEntries(wasmFields.map((f) => [f.key, str(w[f.key])])),
    allowedHosts: (ns.settings?.network?.allowed_hosts ?? []).join("\n"),
    allowPrivate: !!ns.settings?.network?.allow_private,
    allowAddrs: (ns.settings?.network?.allow_addrs ?? []).join("\n"),
    quotas: Object.fromEntries(quotaRows.map((r) => [r.key, str(q[r.key])])),
  };
}

/**
 * inputOf builds replace-namespace's body from the form: the settings as
 * read with the form's fields laid over them (so a setting this page does
 * not know is kept), and the quotas as read unless the editor is an owner.
 * It returns the field keys whose values are not whole numbers instead.
 */
function inputOf(ns: Namespace, f: FormState, owner: boolean): NamespaceInput | string[] {
  const bad: string[] = [];
  const wasm: Record<string, unknown> = { ...(ns.settings?.wasm ?? {}) };
  for (const field of wasmFields) {
    const raw = f.wasm[field.key] ?? "";
    if (field.duration) {
      if (raw.trim()) wasm[field.key] = raw.trim();
      else delete wasm[field.key];
      continue;
    }
    const v = wholeNumber(raw);
    if (v === undefined) delete wasm[field.key];
    else if (Number.isNaN(v)) bad.push(`settings.wasm.${field.key}`);
    else wasm[field.key] = v;
  }
  const quotas: Record<string, unknown> = { ...(ns.settings?.quotas ?? {}) };
  if (owner) {
    for (const row of quotaRows) {
      const v = wholeNumber(f.quotas[row.key] ?? "");
      if (v === undefined) delete quotas[row.key];
      else if (Number.isNaN(v)) bad.push(`settings.quotas.${row.key}`);
      else quotas[row.key] = v;
    }
  }
  if (bad.length) return bad;
  return {
    description: f.description.trim(),
    settings: {
      ...ns.settings,
      wasm: wasm as Wasm,
      network: {
        ...(ns.settings?.network ?? {}),
        allowed_hosts: lines(f.allowedHosts),
        allow_private: f.allowPrivate,
        allow_addrs: lines(f.allowAddrs),
      },
      quotas: quotas as Quotas,
    },
  };
}

/**
 * NamespaceDetail is one namespace: its quotas and usage, and its settings
 * as a form that admins save with replace-namespace under If-Match (a
 * change made meanwhile is a 409, shown as such); quotas only owners
 * change. Owners delete it here, with a second step that names what goes
 * when it is not empty.
 */
export function NamespaceDetail({ name }: { name: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { query } = useLocation();
  const [created] = useState(() => query.has("created"));
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (query.has("created")) navigate(`/namespaces/${encodeURIComponent(name)}`, { replace: true });
  }, [query, name]);

  const ns = useQuery({
    queryKey: ["namespace", name],
    queryFn: async () => {
      const { data, error, response } = await api.GET("/api/v1/namespaces/{namespace}", {
        params: { path: { namespace: name } },
      });
      if (!response.ok || !data) throw new ApiError(problem(error, response.status));
      return { ns: data, etag: response.headers.get("ETag") ?? `"${data.version}"` };
    },
    staleTime: 0,
    // A refetch on focus would reset a form being edited.
    refetchOnWindowFocus: false,
  });

  const role = roleIn(principal, name);
  const canAdmin = role === "admin";
  const owner = !!principal.owner;

  return (
    <section aria-labelledby="nsd-title" className="admin-page">
      <p className="admin-crumbs">
        <Link to="/namespaces">{t("ns.title")}</Link>
      </p>
      <div className="page-head">
        <h1 id="nsd-title">
          {t("ns.detailTitle", { name })}
          {role && <span className="badge">{t(`role.${owner ? "owner" : role}`)}</span>}
        </h1>
      </div>
      {created && (
        <p className="notice" role="status">
          {t("ns.created", { name })}
        </p>
      )}
      {ns.error ? (
        <ProblemBanner
          problem={asProblem(ns.error)}
          action={
            <button type="button" className="button-quiet" onClick={() => void ns.refetch()}>
              {t("app.retry")}
            </button>
          }
        />
      ) : ns.isPending ? (
        <p aria-live="polite">{t("app.loading")}</p>
      ) : (
        <>
          <p className="muted">
            {t("ns.versionLine", {
              version: ns.data.ns.version,
              created: formatInstant(ns.data.ns.created_at, lang),
              updated: formatInstant(ns.data.ns.updated_at, lang),
            })}
          </p>
          <section className="card" aria-labelledby="nsd-quotas">
            <h2 id="nsd-quotas">{t("ns.quotas")}</h2>
            <QuotaList ns={ns.data.ns} />
          </section>
          {saved && (
            <p className="notice" role="status">
              {t("ns.saved")}
            </p>
          )}
          <NamespaceForm
            key={ns.data.etag}
            ns={ns.data.ns}
            etag={ns.data.etag}
            canAdmin={canAdmin}
            owner={owner}
            reload={() => {
              setSaved(false);
              void ns.refetch();
            }}
            onSaved={() => setSaved(true)}
            onEdit={() => setSaved(false)}
          />
          {owner && name !== "default" && <DeleteNamespace name={name} usage={usageOf(ns.data.ns)} />}
        </>
      )}
    </section>
  );
}

function NamespaceForm({
  ns,
  etag,
  canAdmin,
  owner,
  reload,
  onSaved,
  onEdit,
}: {
  ns: Namespace;
  etag: string;
  canAdmin: boolean;
  owner: boolean;
  reload: () => void;
  onSaved: () => void;
  onEdit: () => void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const qc = useQueryClient();
  const [form, setForm] = useState<FormState>(() => formOf(ns));
  const [local, setLocal] = useState<string[]>([]);
  const edit = (f: (s: FormState) => FormState) => {
    setForm(f);
    onEdit();
  };

  const save = useAction(async (body: NamespaceInput) => {
    const { data, error, response } = await api.PUT("/api/v1/namespaces/{namespace}", {
      params: { path: { namespace: ns.name }, header: { "If-Match": etag } },
      body,
    });
    if (!response.ok || !data) throw new ApiError(problem(error, response.status));
    return { ns: data, etag: response.headers.get("ETag") ?? `"${data.version}"` };
  });

  const p: Problem | null = save.problem;
  const conflict = p?.status === 409;
  // A refused save is said at the top of the form: bring it into view (and to screen readers' focus).
  const problemRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (p) problemRef.current?.focus();
  }, [p]);
  const msgs = (key: string) => [...(local.includes(key) ? [t("ns.wholeNumber")] : []), ...fieldMessages(p, key)];
  const shown = [
    "description",
    ...wasmFields.map((f) => `settings.wasm.${f.key}`),
    "settings.network.allowed_hosts",
    "settings.network.allow_private",
    "settings.network.allow_addrs",
    ...quotaRows.map((r) => `settings.quotas.${r.key}`),
  ];

  return (
    <form
      className="card ns-form"
      aria-labelledby="nsd-settings"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const body = inputOf(ns, form, owner);
        if (Array.isArray(body)) {
          setLocal(body);
          return;
        }
        setLocal([]);
        const r = await save.run(body);
        if (r.ok) {
          qc.setQueryData(["namespace", ns.name], r.value);
          void qc.invalidateQueries({ queryKey: ["namespaces"] });
          onSaved();
        }
      }}
    >
      <h2 id="nsd-settings">{t("ns.settings")}</h2>
      {!canAdmin && <p className="notice notice-info">{t("ns.readOnly")}</p>}
      <div ref={problemRef} tabIndex={-1} className="problem-anchor">
        {conflict ? (
          <div className="problem" role="alert">
            <p className="problem-message">{t("ns.conflict", { name: ns.name })}</p>
            <p className="muted">{problemMessage(p, t)}</p>
            <button type="button" onClick={reload}>
              {t("ns.reload")}
            </button>
          </div>
        ) : (
          <ProblemBanner problem={p} shown={shown} />
        )}
      </div>
      <fieldset disabled={!canAdmin} className="plain">
        <Field id="nsd-description" label={t("ns.description")} messages={msgs("description")}>
          {(props) => (
            <input {...props} value={form.description} onChange={(e) => edit((s) => ({ ...s, description: e.target.value }))} />
          )}
        </Field>
        <fieldset className="group">
          <legend>{t("ns.wasm")}</legend>
          <p className="field-hint">{t("ns.wasmHint")}</p>
          <div className="grid-fields">
            {wasmFields.map((f) => (
              <Field
                key={f.key}
                id={`nsd-wasm-${f.key}`}
                label={t(f.label)}
                hint={f.hint ? t(f.hint) : undefined}
                messages={msgs(`settings.wasm.${f.key}`)}
              >
                {(props) => (
                  <input
                    {...props}
                    inputMode={f.duration ? "text" : "numeric"}
                    placeholder={t("ns.default")}
                    spellCheck={false}
                    value={form.wasm[f.key] ?? ""}
                    onChange={(e) => edit((s) => ({ ...s, wasm: { ...s.wasm, [f.key]: e.target.value } }))}
                  />
                )}
              </Field>
            ))}
          </div>
        </fieldset>
        <fieldset className="group">
          <legend>{t("ns.network")}</legend>
          <Field
            id="nsd-hosts"
            label={t("ns.f.allowedHosts")}
            hint={t("ns.f.allowedHostsHint")}
            messages={msgs("settings.network.allowed_hosts")}
          >
            {(props) => (
              <textarea
                {...props}
                rows={3}
                spellCheck={false}
                value={form.allowedHosts}
                onChange={(e) => edit((s) => ({ ...s, allowedHosts: e.target.value }))}
              />
            )}
          </Field>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={form.allowPrivate}
              onChange={(e) => edit((s) => ({ ...s, allowPrivate: e.target.checked }))}
            />
            {t("ns.f.allowPrivate")}
          </label>
          <Field
            id="nsd-addrs"
            label={t("ns.f.allowAddrs")}
            hint={t("ns.f.allowAddrsHint")}
            messages={msgs("settings.network.allow_addrs")}
          >
            {(props) => (
              <textarea
                {...props}
                rows={2}
                spellCheck={false}
                value={form.allowAddrs}
                onChange={(e) => edit((s) => ({ ...s, allowAddrs: e.target.value }))}
              />
            )}
          </Field>
        </fieldset>
        <fieldset className="group" disabled={!owner}>
          <legend>{t("ns.quotas")}</legend>
          <p className="field-hint">{owner ? t("ns.quotasHint") : t("ns.quotasOwnerOnly")}</p>
          <div className="grid-fields">
            {quotaRows.map((r) => (
              <Field
                key={r.key}
                id={`nsd-quota-${r.key}`}
                label={t(r.label)}
                hint={r.bytes ? t("ns.f.bytes") : undefined}
                messages={msgs(`settings.quotas.${r.key}`)}
              >
                {(props) => (
                  <input
                    {...props}
                    inputMode="numeric"
                    placeholder={t("ns.noQuota")}
                    value={form.quotas[r.key] ?? ""}
                    onChange={(e) => edit((s) => ({ ...s, quotas: { ...s.quotas, [r.key]: e.target.value } }))}
                  />
                )}
              </Field>
            ))}
          </div>
        </fieldset>
      </fieldset>
      {canAdmin && (
        <div className="actions">
          <button type="submit" className="button-primary" disabled={save.busy}>
            {save.busy ? t("admin.saving") : t("ns.save")}
          </button>
          <button type="button" onClick={() => edit(() => formOf(ns))} disabled={save.busy}>
            {t("ns.revert")}
          </button>
        </div>
      )}
    </form>
  );
}

/**
 * DeleteNamespace asks once; when the namespace is not empty (409), it
 * names what it holds and asks again, with the name typed, before deleting
 * with force.
 */
function DeleteNamespace({ name, usage }: { name: string; usage: Usage | undefined }) {
  const { t } = useI18n();
  const { api } = useSession();
  const qc = useQueryClient();
  const [stage, setStage] = useState<"idle" | "confirm" | "force">("idle");
  const [notEmpty, setNotEmpty] = useState<Problem | null>(null);
  const [typed, setTyped] = useState("");

  const del = useAction(async (force: boolean) => {
    const { error, response } = await api.DELETE("/api/v1/namespaces/{namespace}", {
      params: { path: { namespace: name }, query: force ? { force: true } : {} },
    });
    if (!response.ok) throw new ApiError(problem(error, response.status));
    return true;
  });

  const contents = useQuery({
    queryKey: ["namespace-contents", name],
    enabled: stage === "force",
    staleTime: 0,
    queryFn: async () => {
      const [tasks, plugins] = await Promise.all([
        api.GET("/api/v1/tasks", { params: { query: { namespace: name, limit: 100 } } }),
        api.GET("/api/v1/plugins", { params: { query: { namespace: name } } }),
      ]);
      return {
        tasks: (tasks.data?.tasks ?? []).map((x) => x.name),
        moreTasks: !!tasks.data?.next_cursor,
        plugins: (plugins.data?.plugins ?? []).filter((x) => !x.builtin).map((x) => x.name),
      };
    },
  });

  const done = async () => {
    qc.removeQueries({ queryKey: ["namespace", name] });
    await qc.invalidateQueries({ queryKey: ["namespaces"] });
    navigate(`/namespaces?deleted=${encodeURIComponent(name)}`);
  };

  const close = () => {
    setStage("idle");
    setTyped("");
    setNotEmpty(null);
    del.reset();
  };

  const list = (names: string[], more: boolean) =>
    names.slice(0, 12).join(", ") + (names.length > 12 || more ? t("admin.andMore") : "");

  return (
    <section className="card danger-zone" aria-labelledby="nsd-delete">
      <h2 id="nsd-delete">{t("ns.deleteTitle")}</h2>
      <p>{t("ns.deleteLead")}</p>
      <button type="button" className="admin-danger" onClick={() => setStage("confirm")}>
        {t("ns.delete")}
      </button>
      {stage === "confirm" && (
        <Confirm
          title={t("ns.deleteConfirmTitle", { name })}
          confirmLabel={t("ns.delete")}
          busy={del.busy}
          problem={del.problem}
          onCancel={close}
          onConfirm={async () => {
            const r = await del.run(false);
            if (r.ok) await done();
            else if (r.problem.status === 409) {
              setNotEmpty(r.problem);
              del.reset();
              setStage("force");
            }
          }}
        >
          <p>{t("ns.deleteConfirm", { name })}</p>
        </Confirm>
      )}
      {stage === "force" && (
        <Confirm
          title={t("ns.forceTitle", { name })}
          confirmLabel={t("ns.forceDelete", { name })}
          busy={del.busy}
          problem={del.problem}
          disabled={typed !== name}
          onCancel={close}
          onConfirm={async () => {
            const r = await del.run(true);
            if (r.ok) await done();
          }}
        >
          {notEmpty && <p className="notice notice-warn">{problemMessage(notEmpty, t)}</p>}
          <p>{t("ns.forceLead")}</p>
          {contents.isPending ? (
            <p aria-live="polite">{t("app.loading")}</p>
          ) : (
            <ul className="what-goes">
              {contents.data && contents.data.tasks.length > 0 && (
                <li>
                  {t("ns.goes.tasks", {
                    n: usage?.tasks ?? contents.data.tasks.length + (contents.data.moreTasks ? "+" : ""),
                    names: list(contents.data.tasks, contents.data.moreTasks),
                  })}
                </li>
              )}
              {contents.data && contents.data.plugins.length > 0 && (
                <li>
                  {t("ns.goes.plugins", { n: usage?.plugins ?? contents.data.plugins.length, names: list(contents.data.plugins, false) })}
                </li>
              )}
              <li>{t("ns.goes.executions")}</li>
              <li>{t("ns.goes.secrets")}</li>
            </ul>
          )}
          <p className="muted">{t("ns.goes.stays")}</p>
          <Field id="nsd-force-name" label={t("ns.typeName", { name })}>
            {(props) => (
              <input {...props} autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />
            )}
          </Field>
        </Confirm>
      )}
    </section>
  );
}
