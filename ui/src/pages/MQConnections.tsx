import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { ApiError, asProblem, canEdit, fieldMessages, problem, roleIn, unwrap, type Problem } from "../api/client";
import { Confirm } from "../components/admin/Confirm";
import { wholeNumber } from "../components/admin/format";
import { useAction, useNow } from "../components/admin/hooks";
import { Modal } from "../components/admin/Modal";
import { RelativeTime } from "../components/admin/RelativeTime";
import {
  brokerFields,
  brokerOf,
  emptyForm,
  formOf,
  inputOf,
  type Broker,
  type FormValues,
  type MQConnection,
  type MQConnectionInput,
  type MQTestInput,
  type MQTestResult,
} from "../components/mq/model";
import { Field, ProblemBanner, problemMessage } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { useNamespace } from "../lib/namespace";
import { Link } from "../lib/router";
import { usePrincipal, useSession } from "../lib/session";
import "../components/mq/mq.css";

/**
 * MQConnections lists the namespace's message-broker connections
 * (list-mq-connections: viewers read them, as they hold no password, only
 * the name of its secret). Editors and admins create and replace them
 * (put-mq-connection), test them (test-mq-connection: connect, or publish
 * one message) and delete them (delete-mq-connection; refused with 409
 * while mq tasks name one, then offered again with force).
 */
export function MQConnections() {
  const { t } = useI18n();
  const { api } = useSession();
  const principal = usePrincipal();
  const { namespace } = useNamespace();
  const qc = useQueryClient();
  // Never before a time the page has just read (a row saved a moment ago is not "in 2 seconds").
  const now = Math.max(useNow(30_000), Date.now());
  const editable = canEdit(principal, namespace);
  // null: closed; "": a new connection; else the one being edited.
  const [editing, setEditing] = useState<MQConnection | "" | null>(null);
  const [testing, setTesting] = useState<MQConnection | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  // The 409 of a connection tasks still name: asked again, with force.
  const [inUse, setInUse] = useState<Problem | null>(null);
  const [done, setDone] = useState<{ what: "saved" | "deleted"; name: string } | null>(null);

  const list = useQuery({
    queryKey: ["mq-connections", namespace],
    queryFn: () => unwrap(api.GET("/api/v1/mq-connections", { params: { query: { namespace } } })),
    enabled: namespace !== "",
  });

  const del = useAction(async (name: string, force: boolean) => {
    const { error, response } = await api.DELETE("/api/v1/mq-connections/{name}", {
      params: { path: { name }, query: force ? { namespace, force: true } : { namespace } },
    });
    if (!response.ok) throw new ApiError(problem(error, response.status));
    return name;
  });

  // Another namespace: nothing open, nothing said.
  const resetDelete = del.reset;
  useEffect(() => {
    setEditing(null);
    setTesting(null);
    setDeleting(null);
    setInUse(null);
    setDone(null);
    resetDelete();
  }, [namespace, resetDelete]);

  const closeDelete = () => {
    setDeleting(null);
    setInUse(null);
    del.reset();
  };
  const deleted = (name: string) => {
    closeDelete();
    setDone({ what: "deleted", name });
    void qc.invalidateQueries({ queryKey: ["mq-connections", namespace] });
  };

  const rows = list.data?.connections ?? [];
  return (
    <section aria-labelledby="mq-title" className="admin-page mq-page">
      <div className="page-head">
        <h1 id="mq-title">{t("mq.title")}</h1>
        {editable && (
          <button
            type="button"
            className="button-primary"
            onClick={() => {
              setDone(null);
              setEditing("");
            }}
          >
            {t("mq.new")}
          </button>
        )}
      </div>
      <p className="muted">{t("mq.lead", { namespace })}</p>
      {!editable && <p className="notice notice-info">{t("mq.readOnly", { namespace })}</p>}
      {done && (
        <p className="notice" role="status">
          {t(done.what === "saved" ? "mq.saved" : "mq.deleted", { name: done.name })}
        </p>
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
        <p className="empty">{t("mq.empty")}</p>
      ) : (
        <div className="table-wrap admin-scroll" tabIndex={0} role="region" aria-labelledby="mq-caption">
          <table className="admin-table mq-table">
            <caption id="mq-caption" className="visually-hidden">
              {t("mq.caption", { namespace })}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("mq.col.name")}</th>
                <th scope="col">{t("mq.col.broker")}</th>
                <th scope="col">{t("mq.col.url")}</th>
                <th scope="col">{t("mq.col.username")}</th>
                <th scope="col">{t("mq.col.secret")}</th>
                <th scope="col">{t("mq.col.updated")}</th>
                {editable && (
                  <th scope="col">
                    <span className="visually-hidden">{t("admin.actions")}</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.name}>
                  <th scope="row">
                    <span className="task-name">{c.name}</span>
                    {c.description && <span className="muted small mq-desc">{c.description}</span>}
                  </th>
                  <td>
                    <BrokerBadge broker={c.broker} />
                  </td>
                  <td className="mq-url">
                    <code>{c.url}</code>
                  </td>
                  <td>{c.username || <span className="muted">{t("mq.none")}</span>}</td>
                  <td>{c.password_secret ? <code>{c.password_secret}</code> : <span className="muted">{t("mq.none")}</span>}</td>
                  <td>
                    <RelativeTime iso={c.updated_at} now={now} />
                  </td>
                  {editable && (
                    <td className="row-actions">
                      <button type="button" className="button-quiet" onClick={() => setTesting(c)}>
                        {t("mq.test")}
                        <span className="visually-hidden"> {c.name}</span>
                      </button>
                      <button
                        type="button"
                        className="button-quiet"
                        onClick={() => {
                          setDone(null);
                          setEditing(c);
                        }}
                      >
                        {t("mq.edit")}
                        <span className="visually-hidden"> {c.name}</span>
                      </button>
                      <button
                        type="button"
                        className="button-quiet admin-danger-text"
                        onClick={() => {
                          del.reset();
                          setDone(null);
                          setInUse(null);
                          setDeleting(c.name);
                        }}
                      >
                        {t("mq.delete")}
                        <span className="visually-hidden"> {c.name}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editable && editing !== null && (
        <ConnectionForm
          namespace={namespace}
          initial={editing === "" ? null : editing}
          canListSecrets={roleIn(principal, namespace) === "admin"}
          onClose={() => setEditing(null)}
          onSaved={(name) => {
            setEditing(null);
            setDone({ what: "saved", name });
            void qc.invalidateQueries({ queryKey: ["mq-connections", namespace] });
          }}
        />
      )}
      {editable && testing && <TestPanel namespace={namespace} connection={testing} onClose={() => setTesting(null)} />}
      {editable && deleting !== null && !inUse && (
        <Confirm
          title={t("mq.deleteTitle", { name: deleting })}
          confirmLabel={t("mq.delete")}
          busy={del.busy}
          problem={del.problem}
          onCancel={closeDelete}
          onConfirm={async () => {
            const r = await del.run(deleting, false);
            if (r.ok) deleted(r.value);
            else if (r.problem.status === 409) {
              del.reset();
              setInUse(r.problem);
            }
          }}
        >
          <p>{t("mq.deleteLead", { name: deleting })}</p>
        </Confirm>
      )}
      {editable && deleting !== null && inUse && (
        <Confirm
          title={t("mq.inUseTitle", { name: deleting })}
          confirmLabel={t("mq.deleteAnyway")}
          busy={del.busy}
          problem={del.problem}
          onCancel={closeDelete}
          onConfirm={async () => {
            const r = await del.run(deleting, true);
            if (r.ok) deleted(r.value);
          }}
        >
          <p className="notice notice-warn mq-in-use">{problemMessage(inUse, t)}</p>
          <p>{t("mq.inUseLead")}</p>
        </Confirm>
      )}
    </section>
  );
}

/** BrokerBadge names a connection's broker. */
function BrokerBadge({ broker }: { broker: Broker }) {
  const { t } = useI18n();
  return <span className={`badge mq-broker mq-broker-${broker}`}>{t(`mq.broker.${broker}`)}</span>;
}

/**
 * ConnectionForm creates a connection (name given) or replaces one (name
 * fixed). The broker's options follow the URL's scheme; the password is
 * chosen among the namespace's secrets when the role can list them.
 */
function ConnectionForm({
  namespace,
  initial,
  canListSecrets,
  onClose,
  onSaved,
}: {
  namespace: string;
  initial: MQConnection | null;
  canListSecrets: boolean;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const [name, setName] = useState(initial?.name ?? "");
  const [v, setV] = useState<FormValues>(() => (initial ? formOf(initial) : emptyForm));
  const [badMaxLen, setBadMaxLen] = useState(false);
  const set = <K extends keyof FormValues>(k: K, value: FormValues[K]) => setV((old) => ({ ...old, [k]: value }));

  const secrets = useQuery({
    queryKey: ["secrets", namespace],
    queryFn: () => unwrap(api.GET("/api/v1/secrets", { params: { query: { namespace } } })),
    enabled: canListSecrets,
  });

  const put = useAction(async (n: string, body: MQConnectionInput) => {
    const { data, error, response } = await api.PUT("/api/v1/mq-connections/{name}", {
      params: { path: { name: n }, query: { namespace } },
      body,
    });
    if (!response.ok || !data) throw new ApiError(problem(error, response.status));
    return data.name;
  });
  const p = put.problem;
  const broker = brokerOf(v.url);
  const shown = [
    "name",
    "description",
    "url",
    "username",
    "password_secret",
    "ca_pem",
    "insecure_skip_verify",
    "timeout",
    ...(broker ? brokerFields[broker] : []),
  ];
  const editing = initial !== null;

  // The secret choices: the namespace's, and the one named now even if it is gone.
  const secretNames = (secrets.data?.secrets ?? []).map((s) => s.name);
  const listed = canListSecrets && secrets.isSuccess;
  const missing = v.password_secret !== "" && listed && !secretNames.includes(v.password_secret);

  return (
    <Modal title={editing ? t("mq.editTitle", { name: initial.name }) : t("mq.new")} onClose={onClose} className="mq-modal">
      <form
        className="modal-body"
        noValidate
        autoComplete="off"
        onSubmit={async (e) => {
          e.preventDefault();
          const invalid = broker === "redis" && Number.isNaN(wholeNumber(v.max_len) ?? 0);
          setBadMaxLen(invalid);
          if (invalid) return;
          const r = await put.run(name.trim(), inputOf(v));
          if (r.ok) onSaved(r.value);
        }}
      >
        <ProblemBanner problem={p} shown={shown} />
        {!editing && (
          <Field id="mq-name" label={t("mq.f.name")} hint={t("mq.f.nameHint")} messages={fieldMessages(p, "name")}>
            {(props) => (
              <input {...props} autoComplete="off" spellCheck={false} value={name} onChange={(e) => setName(e.target.value)} />
            )}
          </Field>
        )}
        <Field id="mq-description" label={t("mq.f.description")} messages={fieldMessages(p, "description")}>
          {(props) => <input {...props} value={v.description} onChange={(e) => set("description", e.target.value)} />}
        </Field>
        <Field
          id="mq-url"
          label={t("mq.f.url")}
          hint={
            <>
              {t("mq.f.urlHint")}
              {broker && (
                <>
                  {" "}
                  <strong className="mq-broker-is">{t("mq.f.brokerIs", { broker: t(`mq.broker.${broker}`) })}</strong>
                </>
              )}
            </>
          }
          messages={fieldMessages(p, "url")}
        >
          {(props) => (
            <input
              {...props}
              type="url"
              inputMode="url"
              spellCheck={false}
              placeholder="redis://127.0.0.1:6379"
              value={v.url}
              onChange={(e) => set("url", e.target.value)}
            />
          )}
        </Field>
        <div className="grid-fields">
          <Field id="mq-username" label={t("mq.f.username")} hint={t("mq.f.usernameHint")} messages={fieldMessages(p, "username")}>
            {(props) => (
              <input {...props} autoComplete="off" spellCheck={false} value={v.username} onChange={(e) => set("username", e.target.value)} />
            )}
          </Field>
          <Field
            id="mq-secret"
            label={t("mq.f.secret")}
            hint={
              !canListSecrets || secrets.isError ? (
                t("mq.f.secretTyped")
              ) : listed && secretNames.length === 0 ? (
                <>
                  {t("mq.f.noSecrets")} <Link to="/secrets">{t("mq.f.secretsPage")}</Link>
                </>
              ) : (
                t("mq.f.secretHint")
              )
            }
            messages={fieldMessages(p, "password_secret")}
          >
            {(props) =>
              listed ? (
                <select {...props} value={v.password_secret} onChange={(e) => set("password_secret", e.target.value)}>
                  <option value="">{t("mq.f.secretNone")}</option>
                  {missing && <option value={v.password_secret}>{t("mq.f.secretMissing", { name: v.password_secret })}</option>}
                  {secretNames.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  {...props}
                  autoComplete="off"
                  spellCheck={false}
                  value={v.password_secret}
                  onChange={(e) => set("password_secret", e.target.value)}
                />
              )
            }
          </Field>
        </div>
        <fieldset className="group" aria-describedby="mq-tls-hint">
          <legend>{t("mq.f.tls")}</legend>
          <p className="field-hint" id="mq-tls-hint">
            {t("mq.f.tlsHint")}
          </p>
          <Field id="mq-ca" label={t("mq.f.ca")} hint={t("mq.f.caHint")} messages={fieldMessages(p, "ca_pem")}>
            {(props) => (
              <textarea
                {...props}
                rows={4}
                spellCheck={false}
                className="mq-pem"
                placeholder="-----BEGIN CERTIFICATE-----"
                value={v.ca_pem}
                onChange={(e) => set("ca_pem", e.target.value)}
              />
            )}
          </Field>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={v.insecure_skip_verify}
              aria-describedby={v.insecure_skip_verify ? "mq-insecure-warn" : undefined}
              onChange={(e) => set("insecure_skip_verify", e.target.checked)}
            />
            {t("mq.f.insecure")}
          </label>
          {v.insecure_skip_verify && (
            <p className="notice notice-warn mq-insecure" id="mq-insecure-warn">
              {t("mq.f.insecureWarn")}
            </p>
          )}
          <FieldMessages id="mq-insecure-error" messages={fieldMessages(p, "insecure_skip_verify")} />
        </fieldset>
        <Field id="mq-timeout" label={t("mq.f.timeout")} hint={t("mq.f.timeoutHint")} messages={fieldMessages(p, "timeout")}>
          {(props) => (
            <input {...props} spellCheck={false} placeholder="5s" value={v.timeout} onChange={(e) => set("timeout", e.target.value)} />
          )}
        </Field>
        <fieldset className="group mq-options" data-testid="mq-options">
          <legend>{broker ? t("mq.f.options", { broker: t(`mq.broker.${broker}`) }) : t("mq.f.optionsAny")}</legend>
          {!broker && <p className="field-hint">{t("mq.f.optionsNone")}</p>}
          {broker === "nats" && (
            <>
              <label className="checkbox">
                <input type="checkbox" checked={v.jetstream} onChange={(e) => set("jetstream", e.target.checked)} />
                {t("mq.f.jetstream")}
              </label>
              <FieldMessages id="mq-jetstream-error" messages={fieldMessages(p, "jetstream")} />
            </>
          )}
          {broker === "rabbitmq" && (
            <>
              <Field id="mq-exchange" label={t("mq.f.exchange")} hint={t("mq.f.exchangeHint")} messages={fieldMessages(p, "exchange")}>
                {(props) => (
                  <input {...props} spellCheck={false} placeholder="events" value={v.exchange} onChange={(e) => set("exchange", e.target.value)} />
                )}
              </Field>
              <label className="checkbox">
                <input type="checkbox" checked={v.persistent} onChange={(e) => set("persistent", e.target.checked)} />
                {t("mq.f.persistent")}
              </label>
              <FieldMessages id="mq-persistent-error" messages={fieldMessages(p, "persistent")} />
            </>
          )}
          {broker === "redis" && (
            <Field
              id="mq-maxlen"
              label={t("mq.f.maxLen")}
              hint={t("mq.f.maxLenHint")}
              messages={[...(badMaxLen ? [t("mq.f.maxLenInvalid")] : []), ...fieldMessages(p, "max_len")]}
            >
              {(props) => (
                <input
                  {...props}
                  inputMode="numeric"
                  placeholder="100000"
                  value={v.max_len}
                  onChange={(e) => set("max_len", e.target.value)}
                />
              )}
            </Field>
          )}
          {broker === "mqtt" && (
            <Field id="mq-clientid" label={t("mq.f.clientId")} hint={t("mq.f.clientIdHint")} messages={fieldMessages(p, "client_id")}>
              {(props) => (
                <input
                  {...props}
                  spellCheck={false}
                  placeholder="kronos-publisher"
                  value={v.client_id}
                  onChange={(e) => set("client_id", e.target.value)}
                />
              )}
            </Field>
          )}
        </fieldset>
        <div className="actions modal-actions">
          <button type="button" onClick={onClose}>
            {t("admin.cancel")}
          </button>
          <button type="submit" className="button-primary" disabled={put.busy || name.trim() === "" || v.url.trim() === ""}>
            {put.busy ? t("admin.saving") : editing ? t("mq.save") : t("mq.create")}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** FieldMessages lists a problem's messages for a control that is not a Field (a checkbox). */
function FieldMessages({ id, messages }: { id: string; messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <ul className="field-error mq-check-error" id={id}>
      {messages.map((m, i) => (
        <li key={i}>{m}</li>
      ))}
    </ul>
  );
}

/**
 * TestPanel runs test-mq-connection: without a topic it connects, with one
 * it publishes one message. A broker's failure is a result (ok false, a kind
 * and a message), an invalid request a problem at its field.
 */
function TestPanel({ namespace, connection, onClose }: { namespace: string; connection: MQConnection; onClose: () => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [topic, setTopic] = useState("");
  const [payload, setPayload] = useState("");
  const [result, setResult] = useState<{ published: boolean; r: MQTestResult } | null>(null);
  const run = useAction(async (body: MQTestInput) => {
    const { data, error, response } = await api.POST("/api/v1/mq-connections/{name}/test", {
      params: { path: { name: connection.name }, query: { namespace } },
      body,
    });
    if (!response.ok || !data) throw new ApiError(problem(error, response.status));
    return data;
  });
  const p = run.problem;
  const publish = topic.trim() !== "";

  return (
    <Modal title={t("mq.testTitle", { name: connection.name })} onClose={onClose} className="mq-modal" closeLabel={null}>
      <form
        className="modal-body"
        noValidate
        autoComplete="off"
        onSubmit={async (e) => {
          e.preventDefault();
          setResult(null);
          const body: MQTestInput = publish ? { topic: topic.trim(), ...(payload ? { payload } : {}) } : {};
          const r = await run.run(body);
          if (r.ok) setResult({ published: publish, r: r.value });
        }}
      >
        <p className="muted">
          <BrokerBadge broker={connection.broker} /> <code className="mq-url-inline">{connection.url}</code>
        </p>
        <p>{t("mq.testLead")}</p>
        <ProblemBanner problem={p} shown={["topic", "payload"]} />
        <Field id="mq-test-topic" label={t("mq.t.topic")} hint={t("mq.t.topicHint")} messages={fieldMessages(p, "topic")}>
          {(props) => (
            <input {...props} spellCheck={false} placeholder="kronos.test" value={topic} onChange={(e) => setTopic(e.target.value)} />
          )}
        </Field>
        <Field id="mq-test-payload" label={t("mq.t.payload")} messages={fieldMessages(p, "payload")}>
          {(props) => (
            <textarea
              {...props}
              rows={3}
              spellCheck={false}
              placeholder='{"hello":"world"}'
              disabled={!publish}
              value={payload}
              onChange={(e) => setPayload(e.target.value)}
            />
          )}
        </Field>
        <div aria-live="polite">{result && <TestResult published={result.published} r={result.r} />}</div>
        <div className="actions modal-actions">
          <button type="button" onClick={onClose}>
            {t("admin.close")}
          </button>
          <button type="submit" className="button-primary" disabled={run.busy}>
            {run.busy ? t("mq.t.running") : publish ? t("mq.t.publish") : t("mq.t.connect")}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** TestResult shows a test's outcome: ok or failed, the broker, the message's ID, how long, and why it failed. */
function TestResult({ published, r }: { published: boolean; r: MQTestResult }) {
  const { t } = useI18n();
  return (
    <div className={r.ok ? "mq-result mq-result-ok" : "mq-result mq-result-failed"} data-testid="mq-test-result">
      <p className="mq-result-head">
        <span className={r.ok ? "status mq-status-ok" : "status mq-status-failed"}>{r.ok ? t("mq.t.ok") : t("mq.t.failed")}</span>{" "}
        {r.ok ? (published ? t("mq.t.okPublished") : t("mq.t.okLead")) : t("mq.t.failedLead")}
      </p>
      <dl className="facts mq-result-facts">
        <div>
          <dt>{t("mq.t.broker")}</dt>
          <dd>{r.broker}</dd>
        </div>
        {r.id && (
          <div>
            <dt>{t("mq.t.id")}</dt>
            <dd>
              <code>{r.id}</code>
            </dd>
          </div>
        )}
        <div>
          <dt>{t("mq.t.duration")}</dt>
          <dd>{t("mq.t.ms", { n: r.duration_ms })}</dd>
        </div>
        {r.error && (
          <div>
            <dt>{t("mq.t.kind")}</dt>
            <dd>
              <code>{r.error.kind}</code>
            </dd>
          </div>
        )}
      </dl>
      {r.error && (
        <p className="mq-result-message">
          <span className="muted">{t("mq.t.message")}: </span>
          {r.error.message}
        </p>
      )}
    </div>
  );
}
