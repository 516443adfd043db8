import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";

import { ApiError, asProblem, fieldMessages, problem, roleIn, unwrap } from "../api/client";
import { Confirm } from "../components/admin/Confirm";
import { useAction, useNow } from "../components/admin/hooks";
import { Modal } from "../components/admin/Modal";
import { RelativeTime } from "../components/admin/RelativeTime";
import { Field, ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { useNamespace } from "../lib/namespace";
import { usePrincipal, useSession } from "../lib/session";

/**
 * Secrets lists the namespace's secrets by name (list-secrets; admins
 * only): never a value, which no read returns. A value is typed into a
 * password field the page does not control (React never holds it in
 * state nor writes it into the DOM), sent with put-secret and cleared.
 */
export function Secrets() {
  const { t } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { namespace } = useNamespace();
  const qc = useQueryClient();
  const now = useNow(30_000);
  const isAdmin = roleIn(principal, namespace) === "admin";
  // null: closed; "": a new secret; a name: rotate that one.
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [done, setDone] = useState<{ what: "set" | "deleted"; name: string } | null>(null);

  const list = useQuery({
    queryKey: ["secrets", namespace],
    queryFn: () => unwrap(api.GET("/api/v1/secrets", { params: { query: { namespace } } })),
    enabled: isAdmin && namespace !== "",
  });

  const del = useAction(async (name: string) => {
    const { error, response } = await api.DELETE("/api/v1/secrets/{name}", {
      params: { path: { name }, query: { namespace } },
    });
    if (!response.ok) throw new ApiError(problem(error, response.status));
    return name;
  });

  if (!isAdmin) {
    return (
      <section aria-labelledby="secrets-title" className="admin-page">
        <h1 id="secrets-title">{t("secrets.title")}</h1>
        <p className="notice notice-info">{t("secrets.adminOnly", { namespace })}</p>
      </section>
    );
  }

  const rows = list.data?.secrets ?? [];
  return (
    <section aria-labelledby="secrets-title" className="admin-page">
      <div className="page-head">
        <h1 id="secrets-title">{t("secrets.title")}</h1>
        <button type="button" className="button-primary" onClick={() => setEditing("")}>
          {t("secrets.new")}
        </button>
      </div>
      <p className="muted">{t("secrets.lead", { namespace })}</p>
      {done && (
        <p className="notice" role="status">
          {t(done.what === "set" ? "secrets.saved" : "secrets.deleted", { name: done.name })}
        </p>
      )}
      {list.error ? (
        <ProblemBanner problem={asProblem(list.error)} />
      ) : list.isPending ? (
        <p aria-live="polite">{t("app.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="empty">{t("secrets.empty")}</p>
      ) : (
        <div className="table-wrap admin-scroll" tabIndex={0} role="region" aria-labelledby="secrets-caption">
          <table className="admin-table">
            <caption id="secrets-caption" className="visually-hidden">
              {t("secrets.caption", { namespace })}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("secrets.col.name")}</th>
                <th scope="col">{t("secrets.col.reference")}</th>
                <th scope="col">{t("secrets.col.created")}</th>
                <th scope="col">{t("secrets.col.updated")}</th>
                <th scope="col">{t("secrets.col.key")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("admin.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.name}>
                  <th scope="row" data-label={t("secrets.col.name")}>
                    <span className="task-name">{s.name}</span>
                  </th>
                  <td data-label={t("secrets.col.reference")}>
                    <code>{`{{ secret "${s.name}" }}`}</code>
                  </td>
                  <td data-label={t("secrets.col.created")}>
                    <RelativeTime iso={s.created_at} now={now} />
                  </td>
                  <td data-label={t("secrets.col.updated")}>
                    <RelativeTime iso={s.updated_at} now={now} />
                  </td>
                  <td data-label={t("secrets.col.key")}>
                    <code>{s.key_id}</code>
                  </td>
                  <td className="row-actions">
                    <button type="button" className="button-quiet" onClick={() => setEditing(s.name)}>
                      {t("secrets.rotate")}
                      <span className="visually-hidden"> {s.name}</span>
                    </button>
                    <button
                      type="button"
                      className="button-quiet admin-danger-text"
                      onClick={() => {
                        del.reset();
                        setDeleting(s.name);
                      }}
                    >
                      {t("secrets.delete")}
                      <span className="visually-hidden"> {s.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing !== null && (
        <SecretForm
          namespace={namespace}
          name={editing}
          onClose={() => setEditing(null)}
          onSaved={(name) => {
            setEditing(null);
            setDone({ what: "set", name });
            void qc.invalidateQueries({ queryKey: ["secrets", namespace] });
          }}
        />
      )}
      {deleting !== null && (
        <Confirm
          title={t("secrets.deleteTitle", { name: deleting })}
          confirmLabel={t("secrets.delete")}
          busy={del.busy}
          problem={del.problem}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            const r = await del.run(deleting);
            if (r.ok) {
              setDeleting(null);
              setDone({ what: "deleted", name: r.value });
              void qc.invalidateQueries({ queryKey: ["secrets", namespace] });
            }
          }}
        >
          <p>{t("secrets.deleteLead", { name: deleting })}</p>
        </Confirm>
      )}
    </section>
  );
}

/** SecretForm creates a secret (name given) or rotates one (name fixed); the value field is uncontrolled and emptied after each submit. */
function SecretForm({
  namespace,
  name: fixed,
  onClose,
  onSaved,
}: {
  namespace: string;
  name: string;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const [name, setName] = useState(fixed);
  const [empty, setEmpty] = useState(false);
  const valueRef = useRef<HTMLInputElement>(null);
  const put = useAction(async (n: string, value: string) => {
    const { data, error, response } = await api.PUT("/api/v1/secrets/{name}", {
      params: { path: { name: n }, query: { namespace } },
      body: { value },
    });
    if (!response.ok || !data) throw new ApiError(problem(error, response.status));
    return data.name;
  });
  const p = put.problem;
  const rotate = fixed !== "";
  return (
    <Modal title={rotate ? t("secrets.rotateTitle", { name: fixed }) : t("secrets.new")} onClose={onClose}>
      <form
        className="modal-body"
        noValidate
        autoComplete="off"
        onSubmit={async (e) => {
          e.preventDefault();
          const el = valueRef.current;
          const value = el?.value ?? "";
          if (el) el.value = "";
          if (value === "") {
            setEmpty(true);
            return;
          }
          setEmpty(false);
          const r = await put.run(name.trim(), value);
          if (r.ok) onSaved(r.value);
        }}
      >
        <ProblemBanner problem={p} shown={["name", "value"]} />
        {rotate ? (
          <p>
            {t("secrets.rotateLead", { name: fixed })}
          </p>
        ) : (
          <Field id="secret-name" label={t("secrets.f.name")} hint={t("secrets.f.nameHint")} messages={fieldMessages(p, "name")}>
            {(props) => (
              <input {...props} autoComplete="off" spellCheck={false} value={name} onChange={(e) => setName(e.target.value)} />
            )}
          </Field>
        )}
        <Field
          id="secret-value"
          label={t("secrets.f.value")}
          hint={t("secrets.f.valueHint")}
          messages={[...(empty ? [t("secrets.f.valueEmpty")] : []), ...fieldMessages(p, "value")]}
        >
          {(props) => (
            <input {...props} ref={valueRef} type="password" autoComplete="new-password" spellCheck={false} defaultValue="" />
          )}
        </Field>
        <div className="actions modal-actions">
          <button type="button" onClick={onClose}>
            {t("admin.cancel")}
          </button>
          <button type="submit" className="button-primary" disabled={put.busy || name.trim() === ""}>
            {put.busy ? t("admin.saving") : rotate ? t("secrets.rotate") : t("secrets.create")}
          </button>
        </div>
      </form>
    </Modal>
  );
}
