import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useEffect, useRef, useState } from "react";

import { asProblem, canEdit, unwrap, type Plugin } from "../api/client";
import { formatBytes, shortSha } from "../components/plugins/model";
import { CopyButton, PluginDetails } from "../components/plugins/PluginDetails";
import { UploadForm } from "../components/plugins/UploadForm";
import { ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { formatTime } from "../lib/format";
import { useNamespace } from "../lib/namespace";
import { usePrincipal, useSession } from "../lib/session";

/** DeleteConfirm asks before delete-plugin; the focus moves to it and back. */
function DeleteConfirm({
  name,
  pending,
  onConfirm,
  onCancel,
}: {
  name: string;
  pending: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="pconfirm" role="group" aria-label={t("plugins.delete.confirm", { name })}>
      <span>{t("plugins.delete.confirm", { name })}</span>
      <button ref={ref} type="button" className="button-danger" disabled={pending} onClick={onConfirm}>
        {pending ? t("plugins.delete.deleting") : t("plugins.delete.yes")}
      </button>
      <button type="button" className="button-quiet" disabled={pending} onClick={onCancel}>
        {t("plugins.delete.no")}
      </button>
    </div>
  );
}

/**
 * Plugins lists the executors of the namespace (list-plugins): uploaded
 * WebAssembly modules and the built-in ones. A row opens to show its
 * digest and config schema (get-plugin). Editors and admins upload
 * (upload-plugin) and delete (delete-plugin; refused with 409 while tasks
 * use the plugin, the message naming them).
 */
export function Plugins() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { namespace } = useNamespace();
  const qc = useQueryClient();
  const editable = canEdit(principal, namespace);
  const [open, setOpen] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);

  const list = useQuery({
    queryKey: ["plugins", namespace],
    queryFn: () => unwrap(api.GET("/api/v1/plugins", { params: { query: { namespace } } })),
    enabled: namespace !== "",
  });

  const del = useMutation({
    mutationFn: (name: string) =>
      unwrap(api.DELETE("/api/v1/plugins/{name}", { params: { path: { name }, query: { namespace } } })).then(() => name),
    onSuccess: (name) => {
      setConfirming(null);
      setDeleted(name);
      if (open === name) setOpen(null);
      void qc.invalidateQueries({ queryKey: ["plugins", namespace] });
      qc.removeQueries({ queryKey: ["plugin", namespace, name] });
    },
    onError: () => setConfirming(null),
  });

  // A new namespace: nothing open, nothing asked.
  const resetDelete = del.reset;
  useEffect(() => {
    setOpen(null);
    setConfirming(null);
    setDeleted(null);
    resetDelete();
  }, [namespace, resetDelete]);

  const rows: Plugin[] = list.data?.plugins ?? [];
  const uploaded = rows.filter((p) => !p.builtin).map((p) => p.name);

  return (
    <section aria-labelledby="plugins-title" className="plugins">
      <div className="page-head">
        <h1 id="plugins-title">{t("plugins.title")}</h1>
        {editable && (
          <a href="#plugin-upload" className="button button-primary">
            {t("plugins.upload.title")}
          </a>
        )}
      </div>
      <p className="muted plead">{t("plugins.lead")}</p>

      {deleted && (
        <p className="notice" role="status">
          {t("plugins.delete.done", { name: deleted })}
        </p>
      )}
      {del.error && (
        <ProblemBanner
          problem={asProblem(del.error)}
          action={
            <button type="button" className="button-quiet" onClick={() => del.reset()}>
              {t("plugins.dismiss")}
            </button>
          }
        />
      )}

      {list.error ? (
        <ProblemBanner
          problem={asProblem(list.error)}
          action={
            <button type="button" className="button-quiet" onClick={() => void list.refetch()}>
              {t("app.retry")}
            </button>
          }
        />
      ) : list.isPending ? (
        <p aria-live="polite">{t("app.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="empty">{t("plugins.empty")}</p>
      ) : (
        <div className="table-wrap ptable-wrap" tabIndex={0} role="region" aria-label={t("plugins.caption", { namespace })}>
          <table className="table table-scroll ptable">
            <caption className="visually-hidden">{t("plugins.caption", { namespace })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("plugins.col.name")}</th>
                <th scope="col">{t("plugins.col.version")}</th>
                <th scope="col">{t("plugins.col.sha256")}</th>
                <th scope="col">{t("plugins.col.size")}</th>
                <th scope="col">{t("plugins.col.kind")}</th>
                <th scope="col">{t("plugins.col.uploader")}</th>
                <th scope="col">{t("plugins.col.uploaded")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("plugins.col.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => {
                const expanded = open === p.name;
                const detailsId = `plugin-details-${p.name}`;
                return (
                  <Fragment key={p.name}>
                    <tr className={expanded ? "prow prow-open" : "prow"}>
                      <th scope="row">
                        <span className="pname">{p.name}</span>
                        {p.description && <span className="muted pdesc">{p.description}</span>}
                      </th>
                      <td>{p.version || <span className="muted">–</span>}</td>
                      <td className="nowrap">
                        {p.sha256 ? (
                          <>
                            <code title={p.sha256}>{shortSha(p.sha256)}</code>{" "}
                            <CopyButton text={p.sha256} label={t("plugins.copyOf", { name: p.name })} />
                          </>
                        ) : (
                          <span className="muted">–</span>
                        )}
                      </td>
                      <td className="nowrap num" title={p.size !== undefined ? t("plugins.bytes", { n: p.size }) : undefined}>
                        {p.size !== undefined ? formatBytes(p.size) : <span className="muted">–</span>}
                      </td>
                      <td>
                        <span className={p.builtin ? "badge pbuiltin" : "badge"}>
                          {p.builtin ? t("plugins.builtin") : t("plugins.uploaded")}
                        </span>
                      </td>
                      <td>{p.uploader || <span className="muted">–</span>}</td>
                      <td className="nowrap">
                        {p.updated_at ? (
                          <time dateTime={p.updated_at} title={p.created_at ? t("plugins.firstUploaded", { time: formatTime(p.created_at, lang) }) : undefined}>
                            {formatTime(p.updated_at, lang)}
                          </time>
                        ) : (
                          <span className="muted">–</span>
                        )}
                      </td>
                      <td className="pactions">
                        {!p.builtin && (
                          <div className="actions">
                            <button
                              type="button"
                              aria-expanded={expanded}
                              aria-controls={expanded ? detailsId : undefined}
                              onClick={() => setOpen(expanded ? null : p.name)}
                            >
                              {expanded ? t("plugins.hideSchema") : t("plugins.showSchema")}
                              <span className="visually-hidden"> {p.name}</span>
                            </button>
                            {editable &&
                              (confirming === p.name ? (
                                <DeleteConfirm
                                  name={p.name}
                                  pending={del.isPending}
                                  onConfirm={() => del.mutate(p.name)}
                                  onCancel={() => setConfirming(null)}
                                />
                              ) : (
                                <button
                                  type="button"
                                  className="button-quiet pdelete"
                                  onClick={() => {
                                    del.reset();
                                    setDeleted(null);
                                    setConfirming(p.name);
                                  }}
                                >
                                  {t("plugins.delete")}
                                  <span className="visually-hidden"> {p.name}</span>
                                </button>
                              ))}
                          </div>
                        )}
                      </td>
                    </tr>
                    {expanded && (
                      <tr className="pdetails-row">
                        <td colSpan={8} id={detailsId}>
                          <PluginDetails namespace={namespace} name={p.name} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {editable && <UploadForm id="plugin-upload" namespace={namespace} existing={uploaded} />}
    </section>
  );
}
