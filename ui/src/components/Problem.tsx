import type { ReactNode } from "react";

import { unclaimed, type Problem } from "../api/client";
import { useI18n, type Translate } from "../i18n/i18n";

/** problemMessage returns the top line of a problem, in the UI's language when it is the UI's own. */
export function problemMessage(p: Problem, t: Translate): string {
  if (!p.generic) return p.message;
  return p.status ? t("problem.status", { status: p.status }) : t("problem.network");
}

/**
 * ProblemBanner shows a problem's top message and every message that no
 * field on the page shows (shown: the field keys the page renders; nested:
 * keys whose sub-paths a field collects), so nothing the server said is lost.
 */
export function ProblemBanner({
  problem,
  shown = [],
  nested = [],
  action,
}: {
  problem: Problem | null | undefined;
  shown?: string[];
  nested?: string[];
  action?: ReactNode;
}) {
  const { t } = useI18n();
  if (!problem) return null;
  const rest = unclaimed(problem, shown, nested);
  return (
    <div className="problem" role="alert">
      <p className="problem-message">{problemMessage(problem, t)}</p>
      {rest.length > 0 && (
        <ul className="problem-list">
          {rest.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
      {action}
    </div>
  );
}

interface ControlProps {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: true;
}

/**
 * Field is a label, a control, a hint and the field's messages from a
 * problem, tied together with aria-describedby so screen readers read them.
 */
export function Field({
  id,
  label,
  hint,
  messages = [],
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  messages?: string[];
  children: (props: ControlProps) => ReactNode;
}) {
  const described = [hint ? `${id}-hint` : "", messages.length ? `${id}-error` : ""].filter(Boolean).join(" ");
  const props: ControlProps = { id };
  if (described) props["aria-describedby"] = described;
  if (messages.length) props["aria-invalid"] = true;
  return (
    <div className={messages.length ? "field field-invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      {children(props)}
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {messages.length > 0 && (
        <ul className="field-error" id={`${id}-error`}>
          {messages.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
