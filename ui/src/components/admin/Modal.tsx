import { useEffect, useId, useRef, type ReactNode } from "react";

import { useI18n } from "../../i18n/i18n";

/**
 * Modal is a native <dialog> shown with showModal(): the browser keeps
 * focus inside it, Escape closes it (onClose), and the page behind is
 * inert. Render it only while it is open; focus returns to what had it
 * before when it goes.
 */
export function Modal({
  title,
  onClose,
  children,
  className,
  closeLabel,
}: {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  className?: string;
  /** The label of the header's close button; none when the dialog must be closed from its own buttons. */
  closeLabel?: string | null;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const before = document.activeElement as HTMLElement | null;
    if (!d.open) {
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
    }
    const first = d.querySelector<HTMLElement>("[data-autofocus]") ?? d.querySelector<HTMLElement>("input, select, textarea, button");
    first?.focus();
    return () => {
      if (d.open && typeof d.close === "function") d.close();
      if (before && before.isConnected) before.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={className ? `modal ${className}` : "modal"}
      aria-labelledby={titleId}
      onCancel={(e) => {
        // Escape: the page decides (it unmounts the dialog).
        e.preventDefault();
        onCloseRef.current();
      }}
    >
      <div className="modal-head">
        <h2 id={titleId}>{title}</h2>
        {closeLabel !== null && (
          <button type="button" className="icon-button" onClick={() => onCloseRef.current()}>
            <span aria-hidden="true">×</span>
            <span className="visually-hidden">{closeLabel ?? t("admin.close")}</span>
          </button>
        )}
      </div>
      {children}
    </dialog>
  );
}
