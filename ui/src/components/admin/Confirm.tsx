import type { ReactNode } from "react";

import type { Problem } from "../../api/client";
import { useI18n } from "../../i18n/i18n";
import { ProblemBanner } from "../Problem";
import { Modal } from "./Modal";

/** Confirm asks before a change that cannot be undone; the problem of a failed try shows inside it. */
export function Confirm({
  title,
  children,
  confirmLabel,
  busy,
  problem,
  onConfirm,
  onCancel,
  disabled,
}: {
  title: ReactNode;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  problem?: Problem | null;
  onConfirm: () => void;
  onCancel: () => void;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  return (
    <Modal title={title} onClose={onCancel}>
      <form
        className="modal-body"
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy && !disabled) onConfirm();
        }}
      >
        {children}
        <ProblemBanner problem={problem} />
        <div className="actions modal-actions">
          <button type="button" onClick={onCancel} data-autofocus>
            {t("admin.cancel")}
          </button>
          <button type="submit" className="admin-danger" disabled={busy || disabled}>
            {busy ? t("admin.working") : confirmLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
