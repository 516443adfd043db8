import type { Namespace } from "../../api/client";
import { useI18n, type Translate } from "../../i18n/i18n";
import type { MessageKey } from "../../i18n/messages";
import { formatBytes } from "./format";

type Settings = Namespace["settings"];
type Quotas = NonNullable<Settings["quotas"]>;

/** What a namespace holds and runs now (the usage object of list-namespaces and get-namespace), cluster-wide. */
export interface Usage {
  tasks?: number;
  plugins?: number;
  running?: number;
  lastMinute?: number;
}

/** usageOf returns the namespace's usage figures, or undefined when the server sent none. */
export function usageOf(ns: Namespace): Usage | undefined {
  const u = ns.usage;
  if (!u) return undefined;
  return { tasks: u.tasks, plugins: u.plugins, running: u.running_executions, lastMinute: u.executions_last_minute };
}

export const quotaRows: { key: keyof Quotas; usage?: keyof Usage; label: MessageKey; bytes?: boolean }[] = [
  { key: "max_tasks", usage: "tasks", label: "ns.quota.tasks" },
  { key: "max_plugins", usage: "plugins", label: "ns.quota.plugins" },
  { key: "max_concurrent_executions", usage: "running", label: "ns.quota.concurrent" },
  { key: "max_executions_per_minute", usage: "lastMinute", label: "ns.quota.perMinute" },
  { key: "max_plugin_bytes", label: "ns.quota.pluginBytes", bytes: true },
];

/** settingsSummary is a namespace's settings in a few words each; only what is set. */
export function settingsSummary(s: Settings | undefined, t: Translate): string[] {
  const out: string[] = [];
  const w = s?.wasm ?? {};
  const n = s?.network ?? {};
  if (w.memory_pages) out.push(t("ns.sum.memory", { size: formatBytes(w.memory_pages * 65536) }));
  if (w.max_timeout) out.push(t("ns.sum.timeout", { d: w.max_timeout }));
  if (w.max_log_bytes) out.push(t("ns.sum.log", { size: formatBytes(w.max_log_bytes) }));
  if (w.max_output_bytes) out.push(t("ns.sum.output", { size: formatBytes(w.max_output_bytes) }));
  if (w.max_http_response_bytes) out.push(t("ns.sum.http", { size: formatBytes(w.max_http_response_bytes) }));
  if (w.max_kv_value_bytes) out.push(t("ns.sum.kv", { size: formatBytes(w.max_kv_value_bytes) }));
  const hosts = n.allowed_hosts ?? [];
  if (hosts.length) out.push(t("ns.sum.hosts", { hosts: hosts.slice(0, 3).join(", ") + (hosts.length > 3 ? ` +${hosts.length - 3}` : "") }));
  if (n.allow_private) out.push(t("ns.sum.private"));
  if ((n.allow_addrs ?? []).length) out.push(t("ns.sum.addrs", { n: (n.allow_addrs ?? []).length }));
  return out;
}

/**
 * QuotaList shows each quota, with what the namespace uses beside it and a
 * meter when both are known ("37 / 1000"); 0 or absent is no quota.
 */
export function QuotaList({ ns }: { ns: Namespace }) {
  const { t } = useI18n();
  const q: Quotas = ns.settings?.quotas ?? {};
  const usage = usageOf(ns);
  return (
    <>
    <dl className="quotas">
      {quotaRows.map((row) => {
        const limit = q[row.key] ?? 0;
        const used = row.usage && usage ? usage[row.usage] : undefined;
        const label = t(row.label);
        const shown = (v: number) => (row.bytes ? formatBytes(v) : String(v));
        return (
          <div key={row.key} className="quota">
            <dt>{label}</dt>
            <dd>
              {used !== undefined && limit > 0 ? (
                <>
                  <meter
                    min={0}
                    max={limit}
                    low={limit * 0.75}
                    high={limit * 0.9}
                    optimum={0}
                    value={Math.min(used, limit)}
                    aria-label={t("ns.usageOf", { what: label, used, limit })}
                  />
                  <span>
                    {used} / {shown(limit)}
                  </span>
                </>
              ) : used !== undefined ? (
                <span>
                  {used} <span className="muted">{t("ns.noQuota")}</span>
                </span>
              ) : limit > 0 ? (
                <span>{shown(limit)}</span>
              ) : (
                <span className="muted">{t("ns.noQuota")}</span>
              )}
            </dd>
          </div>
        );
      })}
    </dl>
    {usage && <p className="muted small quota-note">{t("ns.usageNote")}</p>}
    </>
  );
}
