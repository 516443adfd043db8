import { useI18n } from "../i18n/i18n";
import { Link } from "../lib/router";

export function NotFound({ path }: { path: string }) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">{t("notFound.title")}</h1>
      <p>{t("notFound.lead", { path })}</p>
      <p>
        <Link to="/tasks">{t("notFound.back")}</Link>
      </p>
    </section>
  );
}
