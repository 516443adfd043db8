import { useI18n } from "../../i18n/i18n";
import type { ExecutionStatus as Status } from "./api";

const tone: Record<Status, string> = {
  pending: "neutral",
  running: "running",
  succeeded: "ok",
  failed: "bad",
  timed_out: "bad",
  canceled: "neutral",
  skipped: "neutral",
  interrupted: "warn",
};

/** ExecutionStatus is an execution's status as a coloured pill (the word, not only the colour). */
export function ExecutionStatus({ status }: { status: Status }) {
  const { t } = useI18n();
  return <span className={`status tk-exec-status tk-exec-${tone[status] ?? "neutral"}`}>{t(`taskExec.status.${status}`)}</span>;
}
