// What the global setup hands the tests (through the environment, which
// Playwright passes from the runner to its workers), and the paths both use.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** ui/e2e/ */
export const e2eDir = path.dirname(fileURLToPath(import.meta.url));
/** The repository's root. */
export const repoDir = path.resolve(e2eDir, "..", "..");
/** Screenshots of the main pages (gitignored). */
export const screenshotDir = path.join(e2eDir, "screenshots");
/** The kronos server's log of the last run (gitignored). */
export const logDir = path.join(e2eDir, "logs");

/** chromiumPath is Debian's Chromium, or KRONOS_CHROMIUM: never a browser Playwright downloads. */
export function chromiumPath(): string {
  return process.env.KRONOS_CHROMIUM || "/usr/bin/chromium";
}

/** kronosPath is the binary under test: bin/kronos built by `just build` (with the UI), or KRONOS_BIN. */
export function kronosPath(): string {
  return process.env.KRONOS_BIN || path.join(repoDir, "bin", "kronos");
}

/** The custom plugin the plugins scenario uploads, built by `just plugins`. */
export const helloWasm = path.join(repoDir, "bin", "plugins", "go-hello.wasm");

export interface Env {
  /** The kronos server's base URL, http://127.0.0.1:<port>. */
  url: string;
  /** The bootstrap owner token, read from <data-dir>/owner.token. */
  ownerToken: string;
  /** A token with the viewer role in namespace default, made through create-token. */
  viewerToken: string;
  /** The local HTTP target's base URL (see target.ts). */
  target: string;
  /** The server's log file. */
  log: string;
}

const keys: Record<keyof Env, string> = {
  url: "KRONOS_E2E_URL",
  ownerToken: "KRONOS_E2E_OWNER_TOKEN",
  viewerToken: "KRONOS_E2E_VIEWER_TOKEN",
  target: "KRONOS_E2E_TARGET",
  log: "KRONOS_E2E_LOG",
};

export function setEnv(env: Env): void {
  for (const [k, name] of Object.entries(keys)) process.env[name] = env[k as keyof Env];
}

/** env returns what the global setup set; it throws when it did not run. */
export function env(): Env {
  const out = {} as Env;
  for (const [k, name] of Object.entries(keys)) {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: the suite runs through its global setup (npx playwright test -c e2e)`);
    out[k as keyof Env] = v;
  }
  return out;
}

export function exists(p: string): boolean {
  return existsSync(p);
}
