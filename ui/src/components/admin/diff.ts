// The top-level difference between an audit event's before and after.

export interface KeyChange {
  key: string;
  kind: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * topLevelDiff lists the keys whose values differ between two objects
 * (added, removed or changed, compared as JSON), sorted by key. Values that
 * are not objects compare as a whole, under the key "".
 */
export function topLevelDiff(before: unknown, after: unknown): KeyChange[] {
  if (!isObject(before) && !isObject(after)) {
    if (before === undefined && after === undefined) return [];
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ key: "", kind: "changed", before, after }];
  }
  const b = isObject(before) ? before : {};
  const a = isObject(after) ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const out: KeyChange[] = [];
  for (const key of keys) {
    const inB = key in b;
    const inA = key in a;
    if (inB && !inA) out.push({ key, kind: "removed", before: b[key] });
    else if (!inB && inA) out.push({ key, kind: "added", after: a[key] });
    else if (JSON.stringify(b[key]) !== JSON.stringify(a[key])) out.push({ key, kind: "changed", before: b[key], after: a[key] });
  }
  return out;
}

/** compact writes a value as one line of JSON, cut at max characters. */
export function compact(v: unknown, max = 160): string {
  if (v === undefined) return "";
  const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}
