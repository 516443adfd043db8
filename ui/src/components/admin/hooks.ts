// Small hooks the admin pages share.
import { useCallback, useEffect, useRef, useState } from "react";

import { asProblem, type Problem } from "../../api/client";

/** useNow returns Date.now(), refreshed every intervalMs (live ages and relative times). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(id);
  }, [intervalMs]);
  return now;
}

export type Outcome<R> = { ok: true; value: R } | { ok: false; problem: Problem };

export interface Action<A extends unknown[], R> {
  /** run calls the action and resolves to its outcome (never rejects); a failure also sets problem. */
  run: (...args: A) => Promise<Outcome<R>>;
  busy: boolean;
  problem: Problem | null;
  reset: () => void;
}

/**
 * useAction wraps a change made through the API: busy while it runs, the
 * problem when it fails. Unlike a React Query mutation it keeps nothing in
 * a cache, so a created token or a secret's value lives no longer than the
 * component that holds it.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>): Action<A, R> {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const live = useRef(true);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);
  const run = useCallback(async (...args: A): Promise<Outcome<R>> => {
    setBusy(true);
    setProblem(null);
    try {
      const value = await fnRef.current(...args);
      return { ok: true, value };
    } catch (err) {
      const p = asProblem(err);
      if (live.current) setProblem(p);
      return { ok: false, problem: p };
    } finally {
      if (live.current) setBusy(false);
    }
  }, []);
  const reset = useCallback(() => setProblem(null), []);
  return { run, busy, problem, reset };
}
