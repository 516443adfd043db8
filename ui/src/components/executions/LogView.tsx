import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useLayoutEffect, useRef, useState } from "react";

import { asProblem, unwrap, type Api } from "../../api/client";
import { useI18n } from "../../i18n/i18n";
import type { MessageKey } from "../../i18n/messages";
import type { SseState } from "../../lib/sse";
import { ProblemBanner } from "../Problem";
import { logPageSize, logTime, type Execution, type LogLine } from "./model";
import { useLogFollow } from "./useLogFollow";

/** Pages read without asking; beyond them a button reads more. */
const autoPages = 20;

function levelClass(level: string): string {
  const l = level.toLowerCase().replace(/[^a-z]/g, "");
  return ["debug", "info", "warn", "warning", "error", "fatal"].includes(l) ? `xlog-${l}` : "xlog-other";
}

/** LogLines shows lines in a box that keeps to the newest one unless the reader scrolled up (follow). */
function LogLines({ lines, follow, label }: { lines: LogLine[]; follow: boolean; label: string }) {
  const { t } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [unseen, setUnseen] = useState(0);
  const seen = useRef(0);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (stick.current) {
      seen.current = lines.length;
      setUnseen(0);
    }
  };

  useLayoutEffect(() => {
    const el = box.current;
    if (!el || !follow) return;
    if (stick.current) {
      el.scrollTop = el.scrollHeight;
      seen.current = lines.length;
      setUnseen(0);
    } else {
      setUnseen(lines.length - seen.current);
    }
  }, [lines, follow]);

  const jump = () => {
    const el = box.current;
    if (!el) return;
    stick.current = true;
    el.scrollTop = el.scrollHeight;
    seen.current = lines.length;
    setUnseen(0);
  };

  return (
    <div className="xlog-wrap">
      <div className="xlog" ref={box} onScroll={onScroll} tabIndex={0} role="log" aria-label={label}>
        {lines.length === 0 ? (
          <p className="xlog-empty muted">{t(follow ? "execution.log.waiting" : "execution.log.empty")}</p>
        ) : (
          <ol className="xlog-lines">
            {lines.map((l) => (
              <li key={l.seq} className={`xlog-line ${levelClass(l.level)}`}>
                <time className="xlog-time" dateTime={l.time}>
                  {logTime(l.time)}
                </time>
                <span className="xlog-level">{l.level}</span>
                <span className="xlog-msg">{l.message}</span>
              </li>
            ))}
          </ol>
        )}
      </div>
      {follow && unseen > 0 && (
        <button type="button" className="xlog-jump" onClick={jump}>
          {t("execution.log.jump", { n: unseen })}
        </button>
      )}
    </div>
  );
}

const stateLabel: Record<SseState, MessageKey> = {
  connecting: "execution.log.connecting",
  open: "execution.log.live",
  reconnecting: "execution.log.reconnecting",
  done: "execution.log.ended",
  failed: "execution.log.failed",
};

/** LiveLog follows a pending or running execution's log over Server-Sent Events. */
function LiveLog({
  api,
  namespace,
  id,
  onEnd,
}: {
  api: Api;
  namespace: string;
  id: string;
  onEnd: (x: Execution) => void;
}) {
  const { t } = useI18n();
  const f = useLogFollow(api, namespace, id, onEnd);
  return (
    <>
      <p className={`xlog-state xlog-state-${f.state}`} role="status">
        {f.state === "open" && <span className="xlog-dot" aria-hidden="true" />}
        {t(stateLabel[f.state])} · {t("execution.log.count", { n: f.lines.length })}
      </p>
      {f.problem && (
        <ProblemBanner
          problem={f.problem}
          action={
            <button type="button" className="button-quiet" onClick={f.restart}>
              {t("execution.log.reconnect")}
            </button>
          }
        />
      )}
      <LogLines lines={f.lines} follow label={t("execution.log")} />
    </>
  );
}

/** StoredLog reads a finished execution's log in full, page by page (get-execution-logs). */
function StoredLog({ api, namespace, id }: { api: Api; namespace: string; id: string }) {
  const { t } = useI18n();
  const q = useInfiniteQuery({
    queryKey: ["execution-logs", namespace, id],
    initialPageParam: 0,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/executions/{id}/logs", {
          params: {
            path: { id },
            query: { namespace, limit: logPageSize, ...(pageParam > 0 ? { after: pageParam } : {}) },
          },
        }),
      ),
    getNextPageParam: (last) => {
      const lines = last.lines ?? [];
      return lines.length >= logPageSize ? lines[lines.length - 1]!.seq : undefined;
    },
    staleTime: Infinity,
  });
  const pages = q.data?.pages.length ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = q;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && pages < autoPages) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, pages, fetchNextPage]);

  if (q.error) {
    return (
      <ProblemBanner
        problem={asProblem(q.error)}
        action={
          <button type="button" className="button-quiet" onClick={() => void q.refetch()}>
            {t("app.retry")}
          </button>
        }
      />
    );
  }
  if (q.isPending) return <p aria-live="polite">{t("app.loading")}</p>;
  const lines = q.data.pages.flatMap((p) => p.lines ?? []);
  return (
    <>
      <p className="xlog-state" role="status">
        {t("execution.log.count", { n: lines.length })}
        {isFetchingNextPage && ` · ${t("app.loading")}`}
      </p>
      <LogLines lines={lines} follow={false} label={t("execution.log")} />
      {hasNextPage && !isFetchingNextPage && pages >= autoPages && (
        <button type="button" className="xlog-more" onClick={() => void fetchNextPage()}>
          {t("execution.log.more")}
        </button>
      )}
    </>
  );
}

/**
 * LogView is an execution's log: followed live when the execution was
 * pending or running when the page opened (and kept as it is when it
 * ends), else read in full.
 */
export function LogView({
  api,
  namespace,
  execution,
  onEnd,
}: {
  api: Api;
  namespace: string;
  execution: Execution;
  onEnd: (x: Execution) => void;
}) {
  const [live] = useState(() => execution.status === "pending" || execution.status === "running");
  return live ? (
    <LiveLog api={api} namespace={namespace} id={execution.id} onEnd={onEnd} />
  ) : (
    <StoredLog api={api} namespace={namespace} id={execution.id} />
  );
}
