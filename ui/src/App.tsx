import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";

import { ApiError, type Api } from "./api/client";
import { Layout } from "./components/Layout";
import { I18nProvider, useI18n } from "./i18n/i18n";
import type { Lang } from "./i18n/messages";
import { NamespaceProvider } from "./lib/namespace";
import { matchPath, navigate, useLocation } from "./lib/router";
import { SessionProvider, useSession } from "./lib/session";
import { NotFound } from "./pages/NotFound";
import { SignIn } from "./pages/SignIn";

// Each page is its own chunk, loaded when first shown: the first load
// fetches React, the shell and one page, not every page.
const Audit = lazy(() => import("./pages/Audit").then((m) => ({ default: m.Audit })));
const Dashboard = lazy(() => import("./pages/Dashboard").then((m) => ({ default: m.Dashboard })));
const ExecutionDetail = lazy(() => import("./pages/ExecutionDetail").then((m) => ({ default: m.ExecutionDetail })));
const Executions = lazy(() => import("./pages/Executions").then((m) => ({ default: m.Executions })));
const NamespaceDetail = lazy(() => import("./pages/NamespaceDetail").then((m) => ({ default: m.NamespaceDetail })));
const MQConnections = lazy(() => import("./pages/MQConnections").then((m) => ({ default: m.MQConnections })));
const Namespaces = lazy(() => import("./pages/Namespaces").then((m) => ({ default: m.Namespaces })));
const NewTask = lazy(() => import("./pages/NewTask").then((m) => ({ default: m.NewTask })));
const Nodes = lazy(() => import("./pages/Nodes").then((m) => ({ default: m.Nodes })));
const Plugins = lazy(() => import("./pages/Plugins").then((m) => ({ default: m.Plugins })));
const Secrets = lazy(() => import("./pages/Secrets").then((m) => ({ default: m.Secrets })));
const TaskDetail = lazy(() => import("./pages/TaskDetail").then((m) => ({ default: m.TaskDetail })));
const TaskEdit = lazy(() => import("./pages/TaskEdit").then((m) => ({ default: m.TaskEdit })));
const Tasks = lazy(() => import("./pages/Tasks").then((m) => ({ default: m.Tasks })));
const Tokens = lazy(() => import("./pages/Tokens").then((m) => ({ default: m.Tokens })));

/**
 * routes maps path patterns (see matchPath) to pages, first match first;
 * paths matching none are not found. Each area adds its own lines.
 */
const routes: { pattern: string; page: (params: Record<string, string>) => ReactNode }[] = [
  { pattern: "/", page: () => <Dashboard /> },
  { pattern: "/index.html", page: () => <Dashboard /> },
  { pattern: "/dashboard", page: () => <Dashboard /> },
  { pattern: "/tasks", page: () => <Tasks /> },
  { pattern: "/tasks/new", page: () => <NewTask /> },
  { pattern: "/tasks/:name", page: (p) => <TaskDetail key={p.name} name={p.name!} /> },
  { pattern: "/tasks/:name/edit", page: (p) => <TaskEdit key={p.name} name={p.name!} /> },
  { pattern: "/executions", page: () => <Executions /> },
  { pattern: "/executions/:id", page: (p) => <ExecutionDetail key={p.id} id={p.id!} /> },
  { pattern: "/plugins", page: () => <Plugins /> },
  { pattern: "/nodes", page: () => <Nodes /> },
  { pattern: "/namespaces", page: () => <Namespaces /> },
  { pattern: "/namespaces/:name", page: (p) => <NamespaceDetail key={p.name} name={p.name!} /> },
  { pattern: "/tokens", page: () => <Tokens /> },
  { pattern: "/secrets", page: () => <Secrets /> },
  { pattern: "/mq-connections", page: () => <MQConnections /> },
  { pattern: "/audit", page: () => <Audit /> },
];

function Routes() {
  const { path } = useLocation();
  useEffect(() => {
    if (path === "/" || path === "/index.html") navigate("/dashboard" + window.location.search, { replace: true });
  }, [path]);
  const { t } = useI18n();
  for (const r of routes) {
    const params = matchPath(r.pattern, path);
    if (params) {
      return (
        <Suspense fallback={<p aria-live="polite">{t("app.loading")}</p>}>
          {r.page(params)}
        </Suspense>
      );
    }
  }
  return <NotFound path={path} />;
}

/** Shell shows the sign-in page until whoami accepts a credential, then the pages. */
function Shell() {
  const { state, signOut } = useSession();
  const { t } = useI18n();
  const [client] = useState(
    () =>
      new QueryClient({
        queryCache: new QueryCache({
          // A token revoked or expired mid-session: back to sign-in, saying why.
          onError: (err) => {
            if (err instanceof ApiError && err.status === 401) signOut("expired");
          },
        }),
        defaultOptions: {
          queries: {
            staleTime: 10_000,
            // Retry what may pass on a second try (no answer, 5xx), never a 4xx.
            retry: (count, err) => count < 2 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
          },
        },
      }),
  );
  // Nothing cached for one credential is shown to the next.
  useEffect(() => {
    if (state.status !== "signedIn") client.clear();
  }, [state.status, client]);

  useEffect(() => {
    document.title = t("app.name");
  }, [t]);

  if (state.status === "checking") {
    return (
      <main id="main" className="signin">
        <p aria-live="polite">{t("app.loading")}</p>
      </main>
    );
  }
  if (state.status === "signedOut") return <SignIn />;
  return (
    <QueryClientProvider client={client}>
      <NamespaceProvider principal={state.principal}>
        <Layout>
          <Routes />
        </Layout>
      </NamespaceProvider>
    </QueryClientProvider>
  );
}

/** App is the whole UI; api and lang are for tests. */
export function App({ api, lang, children }: { api?: Api; lang?: Lang; children?: ReactNode }) {
  return (
    <I18nProvider {...(lang ? { initial: lang } : {})}>
      <SessionProvider {...(api ? { api } : {})}>{children ?? <Shell />}</SessionProvider>
    </I18nProvider>
  );
}
