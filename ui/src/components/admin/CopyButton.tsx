import { useEffect, useState } from "react";

import { useI18n } from "../../i18n/i18n";

/**
 * copyText puts text on the clipboard: the Clipboard API where the page is
 * a secure context, else a selection and execCommand("copy") (a node
 * reached over plain HTTP on the network). Resolves to whether it worked.
 */
export async function copyText(text: string, from?: HTMLElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext !== false) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Fall through to the selection.
  }
  if (!from) return false;
  const range = document.createRange();
  range.selectNodeContents(from);
  const sel = window.getSelection();
  sel?.removeAllRanges();
  sel?.addRange(range);
  try {
    return typeof document.execCommand === "function" && document.execCommand("copy");
  } catch {
    return false;
  }
}

/** CopyButton copies text (falling back to selecting the target element) and says so for a moment. */
export function CopyButton({ text, target, label }: { text: string; target?: () => HTMLElement | null; label?: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const id = window.setTimeout(() => setState("idle"), 4000);
    return () => window.clearTimeout(id);
  }, [state]);
  return (
    <>
      <button type="button" onClick={async () => setState((await copyText(text, target?.())) ? "copied" : "failed")}>
        {label ?? t("admin.copy")}
      </button>
      <span role="status" className="copy-status">
        {state === "copied" ? t("admin.copied") : state === "failed" ? t("admin.copyFailed") : ""}
      </span>
    </>
  );
}
