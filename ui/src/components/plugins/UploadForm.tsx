import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState, type DragEvent, type FormEvent } from "react";

import { ApiError, asProblem, fieldMessages, problem, unclaimed, type Plugin, type Problem } from "../../api/client";
import { useI18n } from "../../i18n/i18n";
import { useSession } from "../../lib/session";
import { Field, ProblemBanner, problemMessage } from "../Problem";
import { formatBytes, maxModuleBytes, nameFromFile } from "./model";

/** Statuses whose problem is about the module sent: its message goes next to the file field. */
const moduleRefusals = [400, 413, 422];

/**
 * UploadForm uploads a .wasm module as a plugin of the namespace
 * (upload-plugin, as the `file` part of a multipart form): a name, a file
 * from the picker or dropped on the box. A refusal shows the server's
 * message and field messages next to the field they are about.
 */
export function UploadForm({ id: formId, namespace, existing }: { id?: string; namespace: string; existing: string[] }) {
  const { t } = useI18n();
  const { api } = useSession();
  const qc = useQueryClient();
  const id = useId();
  const [name, setName] = useState("");
  const [nameTouched, setNameTouched] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const [local, setLocal] = useState<{ name?: string; file?: string }>({});
  const fileInput = useRef<HTMLInputElement>(null);

  const upload = useMutation({
    mutationFn: async (v: { name: string; file: File }) => {
      const form = new FormData();
      form.append("file", v.file, v.file.name);
      const r = await api.PUT("/api/v1/plugins/{name}", {
        params: { path: { name: v.name }, query: { namespace } },
        // The multipart form goes as it is; fetch sets its Content-Type and boundary.
        body: form as unknown as { file: string },
      });
      if (!r.response.ok) throw new ApiError(problem(r.error, r.response.status));
      return { plugin: r.data as Plugin, created: r.response.status === 201 };
    },
    onSuccess: () => {
      setFile(null);
      setName("");
      setNameTouched(false);
      if (fileInput.current) fileInput.current.value = "";
      void qc.invalidateQueries({ queryKey: ["plugins", namespace] });
      void qc.invalidateQueries({ queryKey: ["plugin", namespace] });
    },
  });

  const p: Problem | null = upload.error ? asProblem(upload.error) : null;
  const nameErrors = [...(local.name ? [local.name] : []), ...fieldMessages(p, "name")];
  // A refusal of the module itself: its message belongs to the file field, unless it is about the name.
  const aboutModule = p !== null && moduleRefusals.includes(p.status) && fieldMessages(p, "name").length === 0;
  const fileErrors = [
    ...(local.file ? [local.file] : []),
    ...(aboutModule ? [problemMessage(p, t)] : []),
    ...fieldMessages(p, "file", true),
    ...(aboutModule ? unclaimed(p, ["name", "file"], ["file"]) : []),
  ];

  const choose = (f: File | null) => {
    upload.reset();
    setLocal({});
    setFile(f);
    if (f && !nameTouched) setName(nameFromFile(f.name));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    const errs: { name?: string; file?: string } = {};
    if (!n) errs.name = t("plugins.upload.nameRequired");
    if (!file) errs.file = t("plugins.upload.fileRequired");
    else if (file.size > maxModuleBytes) errs.file = t("plugins.upload.tooLarge", { size: formatBytes(file.size), max: formatBytes(maxModuleBytes) });
    setLocal(errs);
    if (errs.name || errs.file || !file) return;
    upload.mutate({ name: n, file });
  };

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    const f = e.dataTransfer?.files?.[0];
    if (f) choose(f);
  };

  const replacing = name.trim() !== "" && existing.includes(name.trim());
  const done = upload.isSuccess ? upload.data : null;

  return (
    <form id={formId} className="card pupload" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} tabIndex={-1}>
      <h2 id={`${id}-title`}>{t("plugins.upload.title")}</h2>
      <p className="muted pupload-lead">{t("plugins.upload.lead", { namespace })}</p>
      <div className="pupload-grid">
        <Field
          id={`${id}-name`}
          label={t("plugins.upload.name")}
          hint={replacing ? t("plugins.upload.replaces", { name: name.trim() }) : t("plugins.upload.nameHint")}
          messages={nameErrors}
        >
          {(props) => (
            <input
              {...props}
              value={name}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => {
                setName(e.target.value);
                setNameTouched(true);
                setLocal((l) => ({ ...l, name: undefined }));
              }}
            />
          )}
        </Field>
        <Field
          id={`${id}-file`}
          label={t("plugins.upload.file")}
          hint={t("plugins.upload.fileHint", { max: formatBytes(maxModuleBytes) })}
          messages={fileErrors}
        >
          {(props) => (
            <div
              className={dragging ? "pdrop pdrop-over" : "pdrop"}
              onDragEnter={(e) => {
                e.preventDefault();
                setDragging(true);
              }}
              onDragOver={(e) => e.preventDefault()}
              onDragLeave={() => setDragging(false)}
              onDrop={onDrop}
              data-testid="plugin-drop"
            >
              <input
                {...props}
                ref={fileInput}
                type="file"
                accept=".wasm,application/wasm"
                onChange={(e) => choose(e.target.files?.[0] ?? null)}
              />
              <p className="pdrop-text muted">
                {file ? t("plugins.upload.chosen", { file: file.name, size: formatBytes(file.size) }) : t("plugins.upload.drop")}
              </p>
            </div>
          )}
        </Field>
      </div>
      {p && !aboutModule && <ProblemBanner problem={p} shown={["name", "file"]} nested={["file"]} />}
      <div className="actions">
        <button type="submit" className="button-primary" disabled={upload.isPending}>
          {upload.isPending ? t("plugins.upload.sending") : replacing ? t("plugins.upload.replace") : t("plugins.upload.submit")}
        </button>
        {upload.isPending && (
          <span className="pprogress" role="status">
            <progress aria-label={t("plugins.upload.sending")} />
            {file && t("plugins.upload.progress", { file: file.name, size: formatBytes(file.size) })}
          </span>
        )}
        {done && (
          <p className="notice pdone" role="status">
            {t(done.created ? "plugins.upload.created" : "plugins.upload.replaced", {
              name: done.plugin.name,
              version: done.plugin.version || "–",
            })}
          </p>
        )}
      </div>
    </form>
  );
}
