import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { asProblem, fieldMessages, unwrap } from "../../api/client";
import { Field } from "../Problem";
import { useI18n } from "../../i18n/i18n";
import { useSession } from "../../lib/session";
import { useDebounced } from "../../lib/useDebounced";
import { describeSchedule } from "./cron";
import { formatInZone } from "./time";

export interface SchedulePreview {
  /** The expression and zone the preview is for (the debounced input). */
  expr: string;
  timezone: string;
  /** The next instants (RFC 3339), when the server accepted the expression. */
  next: string[] | undefined;
  /** The server's messages about the expression (422), for the schedule field. */
  scheduleMessages: string[];
  /** The server's messages about the time zone (422), for the time zone field. */
  timezoneMessages: string[];
  /** A failure that is not about the input (network, 5xx): the preview is unavailable. */
  unavailable: boolean;
  /** The input changed and the preview for it is not there yet. */
  pending: boolean;
}

export const previewDelay = 300;

/**
 * useSchedulePreview asks preview-schedule for the next 5 instants of an
 * expression in a time zone, once typing has paused (300 ms). The server
 * checks the expression; its 422 messages come back split between the
 * schedule and the time zone ("timezone: unknown time zone …").
 */
export function useSchedulePreview(expr: string, timezone: string): SchedulePreview {
  const { api } = useSession();
  const e = useDebounced(expr.trim(), previewDelay);
  const z = useDebounced(timezone.trim(), previewDelay);
  const q = useQuery({
    queryKey: ["schedule-preview", e, z],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/schedules/preview", {
          params: { query: { expr: e, ...(z ? { timezone: z } : {}), count: 5 } },
        }),
      ),
    enabled: e !== "",
    staleTime: 30_000,
    retry: false,
    placeholderData: keepPreviousData,
  });
  const p = q.error ? asProblem(q.error) : null;
  let messages: string[] = [];
  if (p && p.status === 422) {
    messages = [...fieldMessages(p, "expr"), ...fieldMessages(p, "timezone"), ...p.other];
    if (messages.length === 0) messages = [p.message];
  }
  const isZone = (m: string) => /^time ?zone:/i.test(m);
  const fresh = !q.isPlaceholderData && !q.error;
  return {
    expr: e,
    timezone: z,
    next: fresh && e !== "" && q.data ? (q.data.next ?? []) : undefined,
    scheduleMessages: messages.filter((m) => !isZone(m)),
    timezoneMessages: messages.filter(isZone),
    unavailable: !!p && p.status !== 422,
    pending: e !== expr.trim() || z !== timezone.trim() || q.isFetching,
  };
}

function unique(ms: string[]): string[] {
  return [...new Set(ms)];
}

/**
 * CronField is the schedule input with, under it, the schedule in words and
 * its next 5 fire times in the task's time zone, from the preview; an
 * expression the server refuses shows its message as the field's error.
 */
export function CronField({
  id = "schedule",
  value,
  onChange,
  timezone,
  preview,
  messages = [],
}: {
  id?: string;
  value: string;
  onChange: (v: string) => void;
  timezone: string;
  preview: SchedulePreview;
  /** The submit's messages for the field. */
  messages?: string[];
}) {
  const { t, lang } = useI18n();
  const zone = preview.timezone || "UTC";
  const words = preview.next !== undefined ? describeSchedule(preview.expr, t, lang) : null;
  const times = preview.next ? formatInZone(preview.next, zone, lang) : [];
  const errors = unique([...messages, ...(preview.expr === value.trim() ? preview.scheduleMessages : [])]);

  return (
    <div className="tk-cron-field">
      <Field id={id} label={t("newTask.schedule")} hint={t("newTask.scheduleHint")} messages={errors}>
        {(p) => (
          <input
            {...p}
            className="mono"
            spellCheck={false}
            autoComplete="off"
            placeholder="0 2 * * *"
            value={value}
            onChange={(e) => onChange(e.target.value)}
          />
        )}
      </Field>
      <div className="tk-cron-preview" aria-live="polite" aria-busy={preview.pending} data-testid="cron-preview">
        {value.trim() === "" ? (
          <p className="muted">{t("cron.manual")}</p>
        ) : preview.unavailable ? (
          <p className="muted">{t("cron.previewUnavailable")}</p>
        ) : preview.next !== undefined ? (
          <>
            <p className="tk-cron-words">
              <strong>{words ?? t("cron.asWritten", { expr: preview.expr })}</strong>
              {timezone.trim() !== "" || zone !== "UTC" ? null : <span className="muted"> · UTC</span>}
            </p>
            {preview.next.length === 0 ? (
              <p className="muted">{t("cron.noNext")}</p>
            ) : (
              <>
                <p className="tk-cron-next-title">{t("cron.nextTitle", { n: preview.next.length, zone })}</p>
                <ol className="tk-cron-next">
                  {times.map((s, i) => (
                    <li key={preview.next![i]}>
                      <time dateTime={preview.next![i]}>{s}</time>
                    </li>
                  ))}
                </ol>
              </>
            )}
          </>
        ) : preview.pending ? (
          <p className="muted">{t("cron.checking")}</p>
        ) : null}
      </div>
    </div>
  );
}
