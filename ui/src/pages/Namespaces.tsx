import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { asProblem, fieldMessages, roleIn, unwrap } from "../api/client";
import { useAction } from "../components/admin/hooks";
import { Modal } from "../components/admin/Modal";
import { QuotaList, settingsSummary } from "../components/admin/NamespaceFacts";
import { Field, ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { Link, navigate, useLocation } from "../lib/router";
import { usePrincipal, useSession } from "../lib/session";

/**
 * Namespaces lists the namespaces the credential sees (list-namespaces,
 * the same query as the header's switcher), each with its description,
 * settings, quotas and usage. Owners create namespaces here; each name
 * opens the namespace's page (settings, delete).
 */
export function Namespaces() {
  const { t } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { query } = useLocation();
  const [deleted] = useState(() => query.get("deleted"));
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    if (query.has("deleted")) navigate("/namespaces", { replace: true });
  }, [query]);

  const list = useQuery({
    queryKey: ["namespaces"],
    queryFn: () => unwrap(api.GET("/api/v1/namespaces")),
  });
  const rows = list.data?.namespaces ?? [];

  return (
    <section aria-labelledby="ns-title" className="admin-page">
      <div className="page-head">
        <h1 id="ns-title">{t("ns.title")}</h1>
        {principal.owner && (
          <button type="button" className="button-primary" onClick={() => setCreating(true)}>
            {t("ns.new")}
          </button>
        )}
      </div>
      {deleted && (
        <p className="notice" role="status">
          {t("ns.deleted", { name: deleted })}
        </p>
      )}
      {list.error ? (
        <ProblemBanner
          problem={asProblem(list.error)}
          action={
            <button type="button" className="button-quiet" onClick={() => void list.refetch()}>
              {t("app.retry")}
            </button>
          }
        />
      ) : list.isPending ? (
        <p aria-live="polite">{t("app.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="empty">{t("ns.empty")}</p>
      ) : (
        <ul className="ns-cards">
          {rows.map((ns) => {
            const role = principal.owner ? "owner" : roleIn(principal, ns.name);
            const summary = settingsSummary(ns.settings, t);
            return (
              <li key={ns.name} className="card ns-card">
                <div className="ns-card-head">
                  <h2>
                    <Link to={`/namespaces/${encodeURIComponent(ns.name)}`}>{ns.name}</Link>
                  </h2>
                  {role && <span className="badge">{t(`role.${role}`)}</span>}
                </div>
                {ns.description ? <p>{ns.description}</p> : <p className="muted">{t("ns.noDescription")}</p>}
                <h3 className="ns-sub">{t("ns.settings")}</h3>
                {summary.length ? (
                  <ul className="chips">
                    {summary.map((s) => (
                      <li key={s} className="chip">
                        {s}
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p className="muted">{t("ns.defaults")}</p>
                )}
                <h3 className="ns-sub">{t("ns.quotas")}</h3>
                <QuotaList ns={ns} />
              </li>
            );
          })}
        </ul>
      )}
      {creating && <CreateNamespace onClose={() => setCreating(false)} />}
    </section>
  );
}

/** CreateNamespace is the owner's dialog for create-namespace: a name and a description; settings come after, on its page. */
function CreateNamespace({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useAction(async () => {
    const ns = await unwrap(api.POST("/api/v1/namespaces", { body: { name: name.trim(), description: description.trim() } }));
    await qc.invalidateQueries({ queryKey: ["namespaces"] });
    return ns;
  });
  const p = create.problem;
  return (
    <Modal title={t("ns.new")} onClose={onClose}>
      <form
        className="modal-body"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await create.run();
          if (r.ok) {
            onClose();
            navigate(`/namespaces/${encodeURIComponent(r.value.name)}?created=1`);
          }
        }}
      >
        <ProblemBanner problem={p} shown={["name", "description"]} />
        <Field id="ns-new-name" label={t("ns.name")} hint={t("ns.nameHint")} messages={fieldMessages(p, "name")}>
          {(props) => (
            <input
              {...props}
              required
              autoComplete="off"
              spellCheck={false}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field id="ns-new-description" label={t("ns.description")} messages={fieldMessages(p, "description")}>
          {(props) => <input {...props} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <div className="actions modal-actions">
          <button type="button" onClick={onClose}>
            {t("admin.cancel")}
          </button>
          <button type="submit" className="button-primary" disabled={create.busy || name.trim() === ""}>
            {create.busy ? t("admin.working") : t("ns.create")}
          </button>
        </div>
      </form>
    </Modal>
  );
}
