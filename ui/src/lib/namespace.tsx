// The namespace the pages act in: one of those the credential can see
// (list-namespaces lists the ones it holds a role in, every one for an
// owner), remembered for the tab in sessionStorage.
import { useQuery } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

import { unwrap, type Principal } from "../api/client";
import { useSession } from "./session";

const storageKey = "kronos.namespace";

interface NamespaceState {
  /** The namespace in effect; "" when the credential sees none. */
  namespace: string;
  /** The namespaces the credential sees, by name. */
  namespaces: string[];
  setNamespace: (ns: string) => void;
  loading: boolean;
  error: unknown;
}

const NamespaceContext = createContext<NamespaceState | null>(null);

/** visibleFromPrincipal is what whoami alone tells: its default namespace and those it holds a role in. */
export function visibleFromPrincipal(p: Principal): string[] {
  const set = new Set<string>(Object.keys(p.roles ?? {}));
  if (p.owner || p.roles?.[p.namespace]) set.add(p.namespace);
  return [...set].sort();
}

/** pickNamespace chooses the namespace in effect: the wanted one if visible, else the principal's default, else the first. */
export function pickNamespace(wanted: string | null, visible: string[], fallback: string): string {
  if (wanted && visible.includes(wanted)) return wanted;
  if (visible.includes(fallback)) return fallback;
  return visible[0] ?? "";
}

export function NamespaceProvider({ principal, children }: { principal: Principal; children: ReactNode }) {
  const { api } = useSession();
  const list = useQuery({
    queryKey: ["namespaces"],
    queryFn: () => unwrap(api.GET("/api/v1/namespaces")),
    staleTime: 60_000,
  });
  const [wanted, setWanted] = useState<string | null>(() => {
    const fromUrl = new URLSearchParams(window.location.search).get("namespace");
    if (fromUrl) return fromUrl;
    try {
      return sessionStorage.getItem(storageKey);
    } catch {
      return null;
    }
  });
  const namespaces = useMemo(
    () => (list.data ? (list.data.namespaces ?? []).map((n) => n.name) : visibleFromPrincipal(principal)),
    [list.data, principal],
  );
  const namespace = pickNamespace(wanted, namespaces, principal.namespace);
  const setNamespace = useCallback((ns: string) => {
    setWanted(ns);
    try {
      sessionStorage.setItem(storageKey, ns);
    } catch {
      // Not remembered for the tab; it still holds for this page.
    }
  }, []);
  const value = useMemo<NamespaceState>(
    () => ({ namespace, namespaces, setNamespace, loading: list.isPending, error: list.error }),
    [namespace, namespaces, setNamespace, list.isPending, list.error],
  );
  return <NamespaceContext.Provider value={value}>{children}</NamespaceContext.Provider>;
}

export function useNamespace(): NamespaceState {
  const s = useContext(NamespaceContext);
  if (!s) throw new Error("useNamespace outside NamespaceProvider");
  return s;
}
