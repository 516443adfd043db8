// Helpers of the plugins page: sizes, digests and names.

/** formatBytes writes a byte count in binary units: 512 B, 1.5 KiB, 3.2 MiB. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** shortSha is the first 12 hex digits of a digest. */
export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 12) : "";
}

/**
 * nameFromFile suggests a plugin name from a module's file name
 * ("Reporter v2.wasm" → "reporter-v2"); "" when nothing usable is left.
 */
export function nameFromFile(fileName: string): string {
  return fileName
    .replace(/\.wasm$/i, "")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "")
    .slice(0, 63);
}

/** maxModuleBytes is the API's limit on a module (32 MiB); larger files are refused before sending. */
export const maxModuleBytes = 32 << 20;
