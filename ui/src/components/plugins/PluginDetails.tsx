import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { asProblem, unwrap } from "../../api/client";
import { useI18n } from "../../i18n/i18n";
import { formatTime } from "../../lib/format";
import { useSession } from "../../lib/session";
import { ProblemBanner } from "../Problem";

/** PluginDetails is an expanded plugin row: the full digest, times, description and config schema (get-plugin). */
export function PluginDetails({ namespace, name }: { namespace: string; name: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const q = useQuery({
    queryKey: ["plugin", namespace, name],
    queryFn: () => unwrap(api.GET("/api/v1/plugins/{name}", { params: { path: { name }, query: { namespace } } })),
  });
  if (q.error) return <ProblemBanner problem={asProblem(q.error)} />;
  if (q.isPending) return <p aria-live="polite">{t("app.loading")}</p>;
  const p = q.data;
  const schema = p.config_schema;
  return (
    <div className="pdetails">
      <dl className="pdetails-fields">
        {p.sha256 && (
          <div>
            <dt>{t("plugins.col.sha256")}</dt>
            <dd>
              <code className="break">{p.sha256}</code> <CopyButton text={p.sha256} />
            </dd>
          </div>
        )}
        {p.created_at && (
          <div>
            <dt>{t("plugins.createdAt")}</dt>
            <dd>
              <time dateTime={p.created_at}>{formatTime(p.created_at, lang)}</time>
            </dd>
          </div>
        )}
        {p.updated_at && (
          <div>
            <dt>{t("plugins.updatedAt")}</dt>
            <dd>
              <time dateTime={p.updated_at}>{formatTime(p.updated_at, lang)}</time>
            </dd>
          </div>
        )}
      </dl>
      <h3 className="pdetails-h">{t("plugins.schema")}</h3>
      {schema === undefined || schema === null ? (
        <p className="muted">{t("plugins.schemaNone")}</p>
      ) : (
        <pre className="xpre pschema" tabIndex={0} aria-label={t("plugins.schemaOf", { name })}>
          {JSON.stringify(schema, null, 2)}
        </pre>
      )}
    </div>
  );
}

/** CopyButton copies text to the clipboard and says so for a moment. */
export function CopyButton({ text, label }: { text: string; label?: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<"" | "copied" | "failed">("");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState(""), 2000);
  };
  return (
    <button type="button" className="pcopy" onClick={() => void copy()} aria-label={label ?? t("plugins.copy")}>
      <span aria-live="polite">
        {state === "copied" ? t("plugins.copied") : state === "failed" ? t("plugins.copyFailed") : t("plugins.copyShort")}
      </span>
    </button>
  );
}
