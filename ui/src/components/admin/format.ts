// Numbers as the admin pages write them.

/** formatBytes writes a byte count in binary units ("8 MiB", "512 KiB", "300 B"). */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 || Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 1 : 0);
  return `${s} ${units[i]}`;
}

/** lines splits a textarea into its trimmed, non-empty lines (commas separate too). */
export function lines(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * wholeNumber reads a form's number field: "" is undefined (unset), a
 * whole number at least 0 is itself, anything else is NaN.
 */
export function wholeNumber(s: string): number | undefined {
  const v = s.trim();
  if (v === "") return undefined;
  if (!/^\d+$/.test(v)) return Number.NaN;
  return Number(v);
}
