import { useI18n } from "../../i18n/i18n";
import { formatInstant, relativeTime } from "./time";

/** RelativeTime shows an instant relative to now ("3 minutes ago"), the absolute one in its title; a dash when absent. */
export function RelativeTime({ iso, now, empty }: { iso: string | undefined; now: number; empty?: string }) {
  const { lang } = useI18n();
  if (!iso) return <span className="muted">{empty ?? "—"}</span>;
  return (
    <time dateTime={iso} title={formatInstant(iso, lang)}>
      {relativeTime(iso, now, lang)}
    </time>
  );
}
