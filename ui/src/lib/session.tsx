// Who is signed in: the API token (kept in sessionStorage, so it lasts as
// long as the browser tab and is never written to disk by the UI), and the
// principal the server reports for it (GET /api/v1/whoami).
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

import { asProblem, newApi, unwrap, type Api, type Principal, type Problem } from "../api/client";

const storageKey = "kronos.token";

/** Why the sign-in page shows: a plain start, a sign-out, or a token the server stopped accepting. */
export type SignedOutReason = "start" | "signedOut" | "expired";

export type SessionState =
  | { status: "checking" }
  | { status: "signedOut"; reason: SignedOutReason; problem?: Problem }
  | { status: "signedIn"; principal: Principal; anonymous: boolean };

export interface Session {
  state: SessionState;
  api: Api;
  /**
   * signIn checks token with whoami and keeps it on success; "" signs in
   * without a token (a --dev server's anonymous owner). It resolves to the
   * problem when the server refuses, and to null on success.
   */
  signIn: (token: string) => Promise<Problem | null>;
  signOut: (reason?: SignedOutReason) => void;
  /** whoami asks who a token (or none, with "") acts as, without signing in. */
  whoami: (token: string) => Promise<Principal>;
}

function readToken(): string | null {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

function writeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(storageKey);
    else sessionStorage.setItem(storageKey, token);
  } catch {
    // Not remembered: a reload asks again.
  }
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children, api: given }: { children: ReactNode; api?: Api }) {
  const token = useRef<string | null>(readToken());
  const api = useMemo(() => given ?? newApi(() => token.current), [given]);
  const [state, setState] = useState<SessionState>(() =>
    token.current === null ? { status: "signedOut", reason: "start" } : { status: "checking" },
  );

  const whoami = useCallback(
    (t: string) =>
      unwrap(
        api.GET("/api/v1/whoami", {
          // An explicit header wins over the middleware's (the token being checked, not the session's).
          headers: t ? { Authorization: `Bearer ${t}` } : {},
        }),
      ),
    [api],
  );

  const signIn = useCallback(
    async (t: string) => {
      try {
        const principal = await whoami(t);
        token.current = t;
        writeToken(t);
        setState({ status: "signedIn", principal, anonymous: t === "" });
        return null;
      } catch (err) {
        return asProblem(err);
      }
    },
    [whoami],
  );

  const signOut = useCallback((reason: SignedOutReason = "signedOut") => {
    token.current = null;
    writeToken(null);
    setState({ status: "signedOut", reason });
  }, []);

  // A token kept from earlier in this tab is checked once at start.
  useEffect(() => {
    const t = token.current;
    if (t === null) return;
    let live = true;
    whoami(t).then(
      (principal) => live && setState({ status: "signedIn", principal, anonymous: t === "" }),
      (err) => {
        if (!live) return;
        const p = asProblem(err);
        // A server that is down is not a reason to forget the token, but
        // the sign-in page is where its problem shows.
        if (p.status === 401 || p.status === 403) {
          token.current = null;
          writeToken(null);
        }
        setState(
          p.status === 401 ? { status: "signedOut", reason: "expired" } : { status: "signedOut", reason: "start", problem: p },
        );
      },
    );
    return () => {
      live = false;
    };
  }, [whoami]);

  const value = useMemo<Session>(() => ({ state, api, signIn, signOut, whoami }), [state, api, signIn, signOut, whoami]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/** usePrincipal returns the signed-in principal; only for pages behind sign-in. */
export function usePrincipal(): Principal {
  const { state } = useSession();
  if (state.status !== "signedIn") throw new Error("usePrincipal before sign-in");
  return state.principal;
}
