import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Fragment, useEffect, useState } from "react";

import { asProblem, roleIn, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { compact, topLevelDiff } from "../components/admin/diff";
import { formatInstant, fromLocalInput, relativeTime, toLocalInput } from "../components/admin/time";
import { ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/messages";
import { useNamespace } from "../lib/namespace";
import { navigate, useLocation, withQuery } from "../lib/router";
import { usePrincipal, useSession } from "../lib/session";

type AuditEvent = components["schemas"]["AuditEvent"];

/** The kinds list-audit-events filters by. */
const kinds = ["namespace", "task", "execution", "plugin", "secret", "token"] as const;
type Kind = (typeof kinds)[number];

/** The operations that change something (the audited ones), offered as suggestions for the action filter. */
const actions = [
  "create-namespace",
  "replace-namespace",
  "delete-namespace",
  "create-task",
  "replace-task",
  "patch-task",
  "delete-task",
  "pause-task",
  "resume-task",
  "trigger-task",
  "cancel-execution",
  "upload-plugin",
  "delete-plugin",
  "put-secret",
  "delete-secret",
  "create-token",
  "revoke-token",
];

const pageSizes = [50, 100, 200] as const;

interface Filters {
  actor: string;
  action: string;
  kind: string;
  target: string;
  since: string;
  until: string;
}

/**
 * Audit lists the namespace's changes (list-audit-events; admins only),
 * newest first, filtered by actor, action, kind, target and time (kept in
 * the URL), a page at a time by before_id. Each row opens to show what
 * changed at the top level and the object before and after, side by side.
 */
export function Audit() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { namespace } = useNamespace();
  const { query } = useLocation();
  const isAdmin = roleIn(principal, namespace) === "admin";

  const applied: Filters = {
    actor: query.get("actor") ?? "",
    action: query.get("action") ?? "",
    kind: query.get("kind") ?? "",
    target: query.get("target") ?? "",
    since: query.get("since") ?? "",
    until: query.get("until") ?? "",
  };
  const limitParam = Number(query.get("limit"));
  const limit = (pageSizes as readonly number[]).includes(limitParam) ? limitParam : 100;
  const appliedKey = JSON.stringify(applied);

  // The form's values until applied.
  const [draft, setDraft] = useState<Filters>(() => ({
    ...applied,
    since: toLocalInput(applied.since),
    until: toLocalInput(applied.until),
  }));
  useEffect(() => {
    const a = JSON.parse(appliedKey) as Filters;
    setDraft({ ...a, since: toLocalInput(a.since), until: toLocalInput(a.until) });
  }, [appliedKey]);

  // go applies filters whose times are RFC 3339; apply, the form's (datetime-local).
  const go = (f: Filters, l = limit) => navigate(withQuery("/audit", { ...f, limit: l === 100 ? "" : l }), { replace: true });
  const apply = (f: Filters) => go({ ...f, since: fromLocalInput(f.since), until: fromLocalInput(f.until) });

  const filterKey = [namespace, appliedKey, limit].join("\u0000");
  const [pages, setPages] = useState<{ key: string; cursors: number[] }>({ key: filterKey, cursors: [0] });
  const cursors = pages.key === filterKey ? pages.cursors : [0];
  const beforeId = cursors[cursors.length - 1] ?? 0;
  const [open, setOpen] = useState<Set<number>>(() => new Set());

  const events = useQuery({
    queryKey: ["audit", namespace, applied, limit, beforeId],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/audit", {
          params: {
            query: {
              namespace,
              ...(applied.actor ? { actor: applied.actor } : {}),
              ...(applied.action ? { action: applied.action } : {}),
              ...(applied.kind ? { kind: applied.kind as Kind } : {}),
              ...(applied.target ? { target: applied.target } : {}),
              ...(applied.since ? { since: applied.since } : {}),
              ...(applied.until ? { until: applied.until } : {}),
              ...(beforeId ? { before_id: beforeId } : {}),
              limit,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    enabled: isAdmin && namespace !== "",
  });

  if (!isAdmin) {
    return (
      <section aria-labelledby="audit-title" className="admin-page">
        <h1 id="audit-title">{t("audit.title")}</h1>
        <p className="notice notice-info">{t("audit.adminOnly", { namespace })}</p>
      </section>
    );
  }

  const rows: AuditEvent[] = events.data?.events ?? [];
  const next = events.data?.next_before_id;
  const filtered = Object.values(applied).some(Boolean);
  const now = Date.now();
  const toggle = (id: number) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));

  return (
    <section aria-labelledby="audit-title" className="admin-page">
      <div className="page-head">
        <h1 id="audit-title">{t("audit.title")}</h1>
      </div>
      <p className="muted">{t("audit.lead", { namespace })}</p>
      <form
        className="filters audit-filters"
        role="search"
        aria-label={t("audit.filters")}
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <label className="field">
          <span>{t("audit.actor")}</span>
          <input type="search" value={draft.actor} spellCheck={false} placeholder={t("audit.actorPlaceholder")} onChange={set("actor")} />
        </label>
        <label className="field">
          <span>{t("audit.action")}</span>
          <input type="search" list="audit-actions" value={draft.action} spellCheck={false} placeholder="replace-task" onChange={set("action")} />
          <datalist id="audit-actions">
            {actions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>{t("audit.kind")}</span>
          <select value={draft.kind} onChange={set("kind")}>
            <option value="">{t("audit.kind.all")}</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {t(`audit.kind.${k}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("audit.target")}</span>
          <input type="search" value={draft.target} spellCheck={false} onChange={set("target")} />
        </label>
        <label className="field">
          <span>{t("audit.since")}</span>
          <input type="datetime-local" value={draft.since} onChange={set("since")} />
        </label>
        <label className="field">
          <span>{t("audit.until")}</span>
          <input type="datetime-local" value={draft.until} onChange={set("until")} />
        </label>
        <label className="field">
          <span>{t("tasks.pageSize")}</span>
          <select value={limit} onChange={(e) => go(applied, Number(e.target.value))}>
            {pageSizes.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <div className="actions filter-actions">
          <button type="submit" className="button-primary">
            {t("audit.apply")}
          </button>
          {filtered && (
            <button type="button" onClick={() => go({ actor: "", action: "", kind: "", target: "", since: "", until: "" })}>
              {t("audit.clear")}
            </button>
          )}
        </div>
      </form>

      {events.error ? (
        <ProblemBanner
          problem={asProblem(events.error)}
          shown={[]}
          action={
            <button type="button" className="button-quiet" onClick={() => void events.refetch()}>
              {t("app.retry")}
            </button>
          }
        />
      ) : events.isPending ? (
        <p aria-live="polite">{t("app.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="empty">{filtered ? t("audit.emptyFiltered") : t("audit.empty")}</p>
      ) : (
        <div className="table-wrap admin-scroll" tabIndex={0} role="region" aria-labelledby="audit-caption" aria-busy={events.isFetching}>
          <table className="admin-table audit-table">
            <caption id="audit-caption" className="visually-hidden">
              {t("audit.caption", { namespace })}
            </caption>
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">{t("audit.details")}</span>
                </th>
                <th scope="col">{t("audit.col.at")}</th>
                <th scope="col">{t("audit.col.actor")}</th>
                <th scope="col">{t("audit.col.action")}</th>
                <th scope="col">{t("audit.col.target")}</th>
                <th scope="col">{t("audit.col.status")}</th>
                <th scope="col">{t("audit.col.remote")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((ev) => {
                const isOpen = open.has(ev.id);
                const detailId = `audit-detail-${ev.id}`;
                return (
                  <Fragment key={ev.id}>
                    <tr className={isOpen ? "row-open" : undefined}>
                      <td className="row-toggle">
                        <button
                          type="button"
                          className="icon-button"
                          aria-expanded={isOpen}
                          aria-controls={isOpen ? detailId : undefined}
                          onClick={() => toggle(ev.id)}
                        >
                          <span aria-hidden="true">{isOpen ? "▾" : "▸"}</span>
                          <span className="visually-hidden">{t("audit.toggle", { id: ev.id })}</span>
                        </button>
                      </td>
                      <td data-label={t("audit.col.at")}>
                        <time dateTime={ev.at} title={relativeTime(ev.at, now, lang)}>
                          {formatInstant(ev.at, lang)}
                        </time>
                      </td>
                      <td data-label={t("audit.col.actor")}>
                        <button
                          type="button"
                          className="link-button"
                          title={t("audit.onlyActor")}
                          onClick={() => go({ ...applied, actor: ev.actor })}
                        >
                          {ev.actor}
                        </button>
                      </td>
                      <td data-label={t("audit.col.action")}>
                        <code>{ev.action}</code>
                      </td>
                      <td data-label={t("audit.col.target")}>
                        <span className="muted">{kinds.includes(ev.kind as Kind) ? t(`audit.kind.${ev.kind as Kind}`) : ev.kind}</span>{" "}
                        {ev.target && <code>{ev.target}</code>}
                      </td>
                      <td data-label={t("audit.col.status")}>{ev.status}</td>
                      <td data-label={t("audit.col.remote")}>{ev.remote ?? ""}</td>
                    </tr>
                    {isOpen && (
                      <tr className="audit-detail-row">
                        <td colSpan={7} id={detailId}>
                          <AuditDetail ev={ev} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {(cursors.length > 1 || next) && (
        <nav className="pager" aria-label={t("tasks.page", { n: cursors.length })}>
          <button
            type="button"
            disabled={cursors.length <= 1 || events.isFetching}
            onClick={() => setPages({ key: filterKey, cursors: cursors.slice(0, -1) })}
          >
            {t("tasks.prev")}
          </button>
          <span>{t("tasks.page", { n: cursors.length })}</span>
          <button
            type="button"
            disabled={!next || events.isFetching}
            onClick={() => next && setPages({ key: filterKey, cursors: [...cursors, next] })}
          >
            {t("tasks.next")}
          </button>
        </nav>
      )}
    </section>
  );
}

function json(v: unknown): string {
  return v === undefined || v === null ? "" : JSON.stringify(v, null, 2);
}

/** AuditDetail is an event's top-level changes and its object before and after, side by side. */
export function AuditDetail({ ev }: { ev: AuditEvent }) {
  const { t } = useI18n();
  const changes = topLevelDiff(ev.before, ev.after);
  return (
    <div className="audit-detail">
      {changes.length > 0 ? (
        <table className="diff-table">
          <caption>{t("audit.changes")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("audit.key")}</th>
              <th scope="col">{t("audit.before")}</th>
              <th scope="col">{t("audit.after")}</th>
            </tr>
          </thead>
          <tbody>
            {changes.map((c) => (
              <tr key={c.key} className={`diff-${c.kind}`}>
                <th scope="row">
                  <code>{c.key || t("audit.value")}</code> <span className="muted small">{t(`audit.diff.${c.kind}`)}</span>
                </th>
                <td>
                  <code>{compact(c.before)}</code>
                </td>
                <td>
                  <code>{compact(c.after)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">{t("audit.noChanges")}</p>
      )}
      <div className="json-pair">
        <figure>
          <figcaption>{t("audit.before")}</figcaption>
          {ev.before === undefined || ev.before === null ? (
            <p className="muted">{t("audit.noBefore")}</p>
          ) : (
            <pre tabIndex={0}>{json(ev.before)}</pre>
          )}
        </figure>
        <figure>
          <figcaption>{t("audit.after")}</figcaption>
          {ev.after === undefined || ev.after === null ? (
            <p className="muted">{t("audit.noAfter")}</p>
          ) : (
            <pre tabIndex={0}>{json(ev.after)}</pre>
          )}
        </figure>
      </div>
    </div>
  );
}
