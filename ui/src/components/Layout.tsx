import type { ReactNode } from "react";

import { roleIn } from "../api/client";
import { NavGroup } from "./admin/NavGroup";
import { useI18n } from "../i18n/i18n";
import { languages, type Lang, type MessageKey } from "../i18n/messages";
import { useNamespace } from "../lib/namespace";
import { Link, useLocation } from "../lib/router";
import { usePrincipal, useSession } from "../lib/session";
import { useTheme } from "../lib/theme";

/**
 * The pages of the UI. Those not built yet are listed with ready: false and
 * are not shown (nor routed): no page pretends to work before it does.
 */
export const nav: {
  path: string;
  label: MessageKey;
  ready: boolean;
  /** Folded under the header's "Admin" disclosure (components/admin/NavGroup.tsx). */
  group?: "admin";
  /** Shown only to admins of the namespace in effect (and owners); the API refuses the rest. */
  adminOnly?: boolean;
}[] = [
  { path: "/dashboard", label: "nav.dashboard", ready: true },
  { path: "/tasks", label: "nav.tasks", ready: true },
  { path: "/executions", label: "nav.executions", ready: true },
  { path: "/plugins", label: "nav.plugins", ready: true },
  { path: "/namespaces", label: "nav.namespaces", ready: true, group: "admin" },
  { path: "/nodes", label: "nav.nodes", ready: true, group: "admin" },
  { path: "/tokens", label: "nav.tokens", ready: true, group: "admin", adminOnly: true },
  { path: "/secrets", label: "nav.secrets", ready: true, group: "admin", adminOnly: true },
  { path: "/mq-connections", label: "nav.mq", ready: true, group: "admin" },
  { path: "/audit", label: "nav.audit", ready: true, group: "admin", adminOnly: true },
];

export function Layout({ children }: { children: ReactNode }) {
  const { t, lang, setLang } = useI18n();
  const { signOut } = useSession();
  const principal = usePrincipal();
  const { namespace, namespaces, setNamespace } = useNamespace();
  const { path } = useLocation();
  const [theme, toggleTheme] = useTheme();
  const role = principal.owner ? "owner" : roleIn(principal, namespace);

  return (
    <>
      <a className="skip" href="#main">
        {t("app.skip")}
      </a>
      <header className="header">
        <Link to="/tasks" className="brand">
          <svg aria-hidden="true" viewBox="0 0 32 32" width="22" height="22">
            <circle cx="16" cy="16" r="13" fill="none" stroke="currentColor" strokeWidth="3" />
            <path d="M16 8v8l5 4" fill="none" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
          </svg>
          {t("app.name")}
        </Link>
        <nav aria-label={t("nav.label")} className="nav">
          {nav
            .filter((n) => n.ready && !n.group)
            .map((n) => (
              <Link key={n.path} to={n.path} aria-current={path.startsWith(n.path) ? "page" : undefined}>
                {t(n.label)}
              </Link>
            ))}
          <NavGroup
            label={t("nav.admin")}
            path={path}
            entries={nav
              .filter((n) => n.ready && n.group === "admin" && (!n.adminOnly || role === "owner" || role === "admin"))
              .map((n) => ({ path: n.path, label: t(n.label) }))}
          />
        </nav>
        <div className="header-tools">
          <label className="inline-field">
            <span>{t("header.namespace")}</span>
            <select
              value={namespace}
              onChange={(e) => setNamespace(e.target.value)}
              disabled={namespaces.length === 0}
            >
              {namespaces.map((ns) => (
                <option key={ns} value={ns}>
                  {ns}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span className="visually-hidden">{t("header.language")}</span>
            <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t("header.language")}>
              {Object.entries(languages).map(([code, name]) => (
                <option key={code} value={code}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="icon-button"
            onClick={toggleTheme}
            aria-pressed={theme === "dark"}
            title={t("header.theme.toDark")}
          >
            <span aria-hidden="true">{theme === "dark" ? "☀" : "☾"}</span>
            <span className="visually-hidden">{t("header.theme.toDark")}</span>
          </button>
          <span className="who" title={t("header.signedInAs", { name: principal.name })}>
            {principal.name}
            {role && <span className="badge">{t(`role.${role}`)}</span>}
          </span>
          <button type="button" className="button-quiet" onClick={() => signOut()}>
            {t("header.signOut")}
          </button>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {namespaces.length === 0 ? <p className="notice">{t("header.noNamespaces")}</p> : children}
      </main>
    </>
  );
}
