import { useI18n } from "../../i18n/i18n";
import type { MessageKey } from "../../i18n/messages";
import type { ExecutionStatus, ExecutionTrigger } from "./model";

export const statusLabel: Record<ExecutionStatus, MessageKey> = {
  pending: "executions.status.pending",
  running: "executions.status.running",
  succeeded: "executions.status.succeeded",
  failed: "executions.status.failed",
  timed_out: "executions.status.timed_out",
  canceled: "executions.status.canceled",
  skipped: "executions.status.skipped",
  interrupted: "executions.status.interrupted",
};

export const triggerLabel: Record<ExecutionTrigger, MessageKey> = {
  schedule: "executions.trigger.schedule",
  catch_up: "executions.trigger.catch_up",
  manual: "executions.trigger.manual",
};

// A mark per status, so that the badge does not speak by colour alone.
const marks: Record<ExecutionStatus, string> = {
  pending: "◌",
  running: "▶",
  succeeded: "✓",
  failed: "✕",
  timed_out: "⏱",
  canceled: "⊘",
  skipped: "↷",
  interrupted: "!",
};

/** StatusBadge shows an execution status as a coloured badge with a mark and its name. */
export function StatusBadge({ status }: { status: ExecutionStatus }) {
  const { t } = useI18n();
  return (
    <span className={`xstatus xstatus-${status}`}>
      <span aria-hidden="true" className="xstatus-mark">
        {marks[status]}
      </span>
      {t(statusLabel[status])}
    </span>
  );
}

/** TriggerLabel names what started an execution. */
export function TriggerLabel({ trigger }: { trigger: ExecutionTrigger }) {
  const { t } = useI18n();
  return <>{triggerLabel[trigger] ? t(triggerLabel[trigger]) : trigger}</>;
}
