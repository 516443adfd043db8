import { useCallback, useEffect, useRef, useState } from "react";

import { ApiError, problem, type Api, type Problem } from "../../api/client";
import { followSse, type SseState } from "../../lib/sse";
import type { Execution, LogLine } from "./model";

export interface LogFollow {
  lines: LogLine[];
  state: SseState;
  /** Why the follow failed (an error event, a refusal, or too many drops). */
  problem: Problem | null;
  /** restart follows again from the last line shown (after a failure). */
  restart: () => void;
}

/**
 * useLogFollow follows an execution's log (follow-execution-logs, read
 * with fetch so that the session's bearer token goes along): line events
 * are appended (by seq, so a reconnect from the last one repeats none),
 * keepalives ignored, and the end event hands the execution as it ended to
 * onEnd and stops. A dropped stream is opened again from the last seq.
 */
export function useLogFollow(
  api: Api,
  namespace: string,
  id: string,
  onEnd: (x: Execution) => void,
  opts: { delay?: number } = {},
): LogFollow {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<SseState>("connecting");
  const [failure, setFailure] = useState<Problem | null>(null);
  const [run, setRun] = useState(0);
  const buffer = useRef<LogLine[]>([]);
  const lastSeq = useRef(0);
  const flushQueued = useRef(false);
  const onEndRef = useRef(onEnd);
  onEndRef.current = onEnd;
  const delay = opts.delay;

  useEffect(() => {
    const ctl = new AbortController();
    setFailure(null);
    const flush = () => {
      flushQueued.current = false;
      if (!ctl.signal.aborted) setLines([...buffer.current]);
    };
    const append = (l: LogLine) => {
      if (l.seq <= lastSeq.current) return;
      lastSeq.current = l.seq;
      buffer.current.push(l);
      // The events of one chunk arrive together: render them once.
      if (!flushQueued.current) {
        flushQueued.current = true;
        queueMicrotask(flush);
      }
    };
    void followSse({
      signal: ctl.signal,
      ...(delay !== undefined ? { delay } : {}),
      open: async (_lastEventId, signal) => {
        const after = lastSeq.current;
        const r = await api.GET("/api/v1/executions/{id}/logs/follow", {
          params: { path: { id }, query: { namespace, ...(after > 0 ? { after } : {}) } },
          headers: { Accept: "text/event-stream, application/problem+json" },
          parseAs: "stream",
          signal,
        });
        if (!r.response.ok || !r.data) throw new ApiError(problem(r.error, r.response.status));
        return r.data as ReadableStream<Uint8Array>;
      },
      onEvent: (ev) => {
        switch (ev.event) {
          case "line": {
            try {
              append(JSON.parse(ev.data) as LogLine);
            } catch {
              // A line that does not parse is skipped, not the stream.
            }
            return true;
          }
          case "end": {
            try {
              const x = (JSON.parse(ev.data) as { execution?: Execution }).execution;
              if (x) onEndRef.current(x);
            } catch {
              // Ended all the same.
            }
            return false;
          }
          case "error": {
            let body: unknown;
            try {
              body = JSON.parse(ev.data);
            } catch {
              body = ev.data;
            }
            const status = typeof (body as { status?: unknown })?.status === "number" ? (body as { status: number }).status : 0;
            setFailure(problem(body, status));
            setState("failed");
            return false;
          }
        }
        return true; // keepalive, and events of later versions
      },
      onState: (s, err) => {
        if (ctl.signal.aborted) return;
        setState((prev) => (prev === "failed" && s === "done" ? prev : s));
        if (s === "failed") setFailure(err instanceof ApiError ? err.problem : problem(undefined, 0));
      },
    });
    return () => ctl.abort();
  }, [api, namespace, id, run, delay]);

  const restart = useCallback(() => setRun((n) => n + 1), []);
  return { lines, state, problem: failure, restart };
}
