import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";

import { ApiError, asProblem, fieldMessages, problem, roleIn, unwrap, type Principal, type Role } from "../api/client";
import type { components } from "../api/schema";
import { Confirm } from "../components/admin/Confirm";
import { CopyButton } from "../components/admin/CopyButton";
import { useAction, useNow } from "../components/admin/hooks";
import { Modal } from "../components/admin/Modal";
import { RelativeTime } from "../components/admin/RelativeTime";
import { Field, ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { useNamespace } from "../lib/namespace";
import { usePrincipal, useSession } from "../lib/session";

type Token = components["schemas"]["Token"];
type TokenInput = components["schemas"]["TokenInput"];

const roles: Role[] = ["viewer", "editor", "admin"];

/** Expiry choices, as create-token's expires_in (Go durations); "" never expires. */
const expiries = [
  { value: "24h", label: "tokens.exp.1d" },
  { value: "168h", label: "tokens.exp.7d" },
  { value: "720h", label: "tokens.exp.30d" },
  { value: "2160h", label: "tokens.exp.90d" },
  { value: "8760h", label: "tokens.exp.1y" },
  { value: "", label: "tokens.exp.never" },
  { value: "custom", label: "tokens.exp.custom" },
] as const;

/** grantable lists the namespaces the principal may grant roles in: those it is admin of (every one for an owner). */
export function grantable(p: Principal, visible: string[]): string[] {
  return visible.filter((ns) => roleIn(p, ns) === "admin");
}

/**
 * canRevoke mirrors revoke-token's rule: admin in every namespace the token
 * holds a role in, and an owner to revoke an owner; a revoked one is done.
 */
export function canRevoke(p: Principal, tok: Token): boolean {
  if (tok.revoked_at) return false;
  if (tok.owner && !p.owner) return false;
  return Object.keys(tok.roles ?? {}).every((ns) => roleIn(p, ns) === "admin");
}

/**
 * Tokens lists the tokens and certificate bindings that act in the
 * namespace (list-tokens; admins only), creates one (the token is shown
 * once, in a dialog that forgets it when closed) and revokes them.
 */
export function Tokens() {
  const { t } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { namespace, namespaces } = useNamespace();
  const qc = useQueryClient();
  const now = useNow(30_000);
  const isAdmin = roleIn(principal, namespace) === "admin";
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<{ name: string; token: string } | null>(null);
  const [bound, setBound] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);

  const list = useQuery({
    queryKey: ["tokens", namespace],
    queryFn: () => unwrap(api.GET("/api/v1/tokens", { params: { query: { namespace } } })),
    enabled: isAdmin && namespace !== "",
  });

  const revoke = useAction(async (id: string) =>
    unwrap(api.DELETE("/api/v1/tokens/{id}", { params: { path: { id }, query: { namespace } } })),
  );

  if (!isAdmin) {
    return (
      <section aria-labelledby="tokens-title" className="admin-page">
        <h1 id="tokens-title">{t("tokens.title")}</h1>
        <p className="notice notice-info">{t("tokens.adminOnly", { namespace })}</p>
      </section>
    );
  }

  const rows = list.data?.tokens ?? [];
  return (
    <section aria-labelledby="tokens-title" className="admin-page">
      <div className="page-head">
        <h1 id="tokens-title">{t("tokens.title")}</h1>
        <button type="button" className="button-primary" onClick={() => setCreating(true)}>
          {t("tokens.new")}
        </button>
      </div>
      <p className="muted">{t("tokens.lead", { namespace })}</p>
      {bound && (
        <p className="notice" role="status">
          {t("tokens.bound", { name: bound })}
        </p>
      )}
      {list.error ? (
        <ProblemBanner problem={asProblem(list.error)} />
      ) : list.isPending ? (
        <p aria-live="polite">{t("app.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="empty">{t("tokens.empty")}</p>
      ) : (
        <div className="table-wrap admin-scroll" tabIndex={0} role="region" aria-labelledby="tokens-caption">
          <table className="admin-table">
            <caption id="tokens-caption" className="visually-hidden">
              {t("tokens.caption", { namespace })}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("tokens.col.name")}</th>
                <th scope="col">{t("tokens.col.credential")}</th>
                <th scope="col">{t("tokens.col.roles")}</th>
                <th scope="col">{t("tokens.col.created")}</th>
                <th scope="col">{t("tokens.col.expires")}</th>
                <th scope="col">{t("tokens.col.lastUsed")}</th>
                <th scope="col">{t("tokens.col.status")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("admin.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((tok) => {
                const expired = !!tok.expires_at && new Date(tok.expires_at).getTime() <= now;
                const status = tok.revoked_at ? "revoked" : expired ? "expired" : "active";
                return (
                  <tr key={tok.id} className={status !== "active" ? "row-dim" : undefined}>
                    <th scope="row" data-label={t("tokens.col.name")}>
                      <span className="task-name">{tok.name}</span>
                      {tok.owner && <span className="badge badge-strong">{t("role.owner")}</span>}
                      {tok.id === principal.id && <span className="badge">{t("tokens.you")}</span>}
                      <span className="muted small">{t("tokens.defaultNs", { namespace: tok.namespace })}</span>
                    </th>
                    <td data-label={t("tokens.col.credential")}>
                      {tok.subject ? (
                        <>
                          <span className="muted small">{t("tokens.certificate")} </span>
                          <code>{tok.subject}</code>
                        </>
                      ) : (
                        <code title={t("tokens.prefixHint")}>{tok.display ? `${tok.display}…` : "—"}</code>
                      )}
                    </td>
                    <td data-label={t("tokens.col.roles")}>
                      <ul className="chips">
                        {tok.owner && <li className="chip">{t("tokens.allNamespaces")}</li>}
                        {Object.entries(tok.roles ?? {})
                          .sort(([a], [b]) => a.localeCompare(b))
                          .map(([ns, r]) => (
                            <li key={ns} className="chip">
                              {ns}: {roles.includes(r as Role) ? t(`role.${r as Role}`) : r}
                            </li>
                          ))}
                      </ul>
                    </td>
                    <td data-label={t("tokens.col.created")}>
                      <RelativeTime iso={tok.created_at} now={now} />
                    </td>
                    <td data-label={t("tokens.col.expires")}>
                      <RelativeTime iso={tok.expires_at} now={now} empty={t("tokens.never")} />
                    </td>
                    <td data-label={t("tokens.col.lastUsed")}>
                      <RelativeTime iso={tok.last_used_at} now={now} empty={t("tokens.neverUsed")} />
                    </td>
                    <td data-label={t("tokens.col.status")}>
                      <span className={`status status-${status}`}>{t(`tokens.status.${status}`)}</span>
                      {tok.revoked_at && (
                        <span className="muted small">
                          {" "}
                          <RelativeTime iso={tok.revoked_at} now={now} />
                        </span>
                      )}
                    </td>
                    <td className="row-actions">
                      {canRevoke(principal, tok) && (
                        <button
                          type="button"
                          className="button-quiet admin-danger-text"
                          onClick={() => {
                            revoke.reset();
                            setRevoking(tok);
                          }}
                        >
                          {t("tokens.revoke")}
                          <span className="visually-hidden"> {tok.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <CreateToken
          namespace={namespace}
          grantable={grantable(principal, namespaces)}
          owner={!!principal.owner}
          onClose={() => setCreating(false)}
          onCreated={(name, token) => {
            setCreating(false);
            void qc.invalidateQueries({ queryKey: ["tokens", namespace] });
            if (token) {
              setBound(null);
              setShown({ name, token });
            } else setBound(name);
          }}
        />
      )}
      {shown && <TokenOnce name={shown.name} token={shown.token} onClose={() => setShown(null)} />}
      {revoking && (
        <Confirm
          title={t("tokens.revokeTitle", { name: revoking.name })}
          confirmLabel={t("tokens.revoke")}
          busy={revoke.busy}
          problem={revoke.problem}
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            const r = await revoke.run(revoking.id);
            if (r.ok) {
              setRevoking(null);
              void qc.invalidateQueries({ queryKey: ["tokens", namespace] });
            }
          }}
        >
          <p>{t("tokens.revokeLead", { name: revoking.name })}</p>
          {revoking.id === principal.id && <p className="notice notice-warn">{t("tokens.revokeSelf")}</p>}
        </Confirm>
      )}
    </section>
  );
}

/** TokenOnce shows a new token's secret, once: closing the dialog drops it. */
export function TokenOnce({ name, token, onClose }: { name: string; token: string; onClose: () => void }) {
  const { t } = useI18n();
  const codeRef = useRef<HTMLElement>(null);
  return (
    <Modal title={t("tokens.onceTitle", { name })} onClose={onClose} closeLabel={null}>
      <div className="modal-body">
        <p className="notice notice-warn" role="alert">
          {t("tokens.onceWarning")}
        </p>
        <p className="secret-token-wrap">
          <code ref={codeRef} className="secret-token" tabIndex={0} aria-label={t("tokens.onceLabel")}>
            {token}
          </code>
        </p>
        <div className="actions">
          <CopyButton text={token} target={() => codeRef.current} />
        </div>
        <p className="muted small">{t("tokens.onceUse")}</p>
        <div className="actions modal-actions">
          <button type="button" className="button-primary" onClick={onClose}>
            {t("tokens.onceDone")}
          </button>
        </div>
      </div>
    </Modal>
  );
}

function CreateToken({
  namespace,
  grantable,
  owner,
  onClose,
  onCreated,
}: {
  namespace: string;
  grantable: string[];
  owner: boolean;
  onClose: () => void;
  onCreated: (name: string, token: string) => void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"bearer" | "certificate">("bearer");
  const [subject, setSubject] = useState("");
  const [grants, setGrants] = useState<Record<string, string>>(() => ({ [namespace]: "viewer" }));
  const [makeOwner, setMakeOwner] = useState(false);
  const [expiry, setExpiry] = useState<string>("2160h");
  const [custom, setCustom] = useState("");

  const create = useAction(async (body: TokenInput) => {
    const { data, error, response } = await api.POST("/api/v1/tokens", { params: { query: { namespace } }, body });
    if (!response.ok || !data) throw new ApiError(problem(error, response.status));
    return data;
  });
  const p = create.problem;
  const chosen = Object.fromEntries(Object.entries(grants).filter(([, r]) => r !== ""));
  const roleMessages = [...fieldMessages(p, "role"), ...fieldMessages(p, "roles", true)];

  return (
    <Modal title={t("tokens.new")} onClose={onClose}>
      <form
        className="modal-body"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const expiresIn = expiry === "custom" ? custom.trim() : expiry;
          const body: TokenInput = {
            name: name.trim(),
            roles: chosen,
            ...(makeOwner ? { owner: true } : {}),
            ...(expiresIn ? { expires_in: expiresIn } : {}),
            ...(kind === "certificate" ? { subject: subject.trim() } : {}),
          };
          const r = await create.run(body);
          if (r.ok) onCreated(r.value.detail.name, r.value.token ?? "");
        }}
      >
        <ProblemBanner problem={p} shown={["name", "role", "expires_in", "subject", "owner"]} nested={["roles"]} />
        <Field id="tok-name" label={t("tokens.f.name")} hint={t("tokens.f.nameHint")} messages={fieldMessages(p, "name")}>
          {(props) => <input {...props} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <fieldset className="group">
          <legend>{t("tokens.f.kind")}</legend>
          <label className="checkbox">
            <input type="radio" name="tok-kind" checked={kind === "bearer"} onChange={() => setKind("bearer")} />
            {t("tokens.f.kindBearer")}
          </label>
          <label className="checkbox">
            <input type="radio" name="tok-kind" checked={kind === "certificate"} onChange={() => setKind("certificate")} />
            {t("tokens.f.kindCert")}
          </label>
        </fieldset>
        {kind === "certificate" && (
          <Field id="tok-subject" label={t("tokens.f.subject")} hint={t("tokens.f.subjectHint")} messages={fieldMessages(p, "subject")}>
            {(props) => (
              <input
                {...props}
                autoComplete="off"
                spellCheck={false}
                placeholder="CN=ci.team-a"
                value={subject}
                onChange={(e) => setSubject(e.target.value)}
              />
            )}
          </Field>
        )}
        <fieldset className="group" aria-describedby="tok-roles-hint">
          <legend>{t("tokens.f.roles")}</legend>
          <p className="field-hint" id="tok-roles-hint">
            {t("tokens.f.rolesHint", { namespace })}
          </p>
          <div className="grant-list">
            {grantable.map((ns) => (
              <label key={ns} className="inline-field grant">
                <span>{ns}</span>
                <select value={grants[ns] ?? ""} onChange={(e) => setGrants((g) => ({ ...g, [ns]: e.target.value }))}>
                  <option value="">{t("tokens.f.noRole")}</option>
                  {roles.map((r) => (
                    <option key={r} value={r}>
                      {t(`role.${r}`)}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
          {roleMessages.length > 0 && (
            <ul className="field-error">
              {roleMessages.map((m, i) => (
                <li key={i}>{m}</li>
              ))}
            </ul>
          )}
        </fieldset>
        {owner && (
          <label className="checkbox">
            <input type="checkbox" checked={makeOwner} onChange={(e) => setMakeOwner(e.target.checked)} />
            {t("tokens.f.owner")}
          </label>
        )}
        <Field id="tok-expiry" label={t("tokens.f.expiry")} messages={expiry === "custom" ? [] : fieldMessages(p, "expires_in")}>
          {(props) => (
            <select {...props} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
              {expiries.map((x) => (
                <option key={x.value} value={x.value}>
                  {t(x.label)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {expiry === "custom" && (
          <Field id="tok-expiry-custom" label={t("tokens.f.customExpiry")} hint={t("tokens.f.customHint")} messages={fieldMessages(p, "expires_in")}>
            {(props) => (
              <input {...props} spellCheck={false} placeholder="720h" value={custom} onChange={(e) => setCustom(e.target.value)} />
            )}
          </Field>
        )}
        <div className="actions modal-actions">
          <button type="button" onClick={onClose}>
            {t("admin.cancel")}
          </button>
          <button
            type="submit"
            className="button-primary"
            disabled={create.busy || name.trim() === "" || (Object.keys(chosen).length === 0 && !makeOwner)}
          >
            {create.busy ? t("admin.working") : t("tokens.create")}
          </button>
        </div>
      </form>
    </Modal>
  );
}
