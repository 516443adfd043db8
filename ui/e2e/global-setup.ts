// Global setup: a local HTTP target, a real `kronos server` (bin/kronos,
// built with the UI by `just build`) on an embedded store in a temp data
// dir, its owner token, and a viewer token made through the API. The
// returned function is the teardown: it stops both and removes the temp dir.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

import { chromiumPath, exists, helloWasm, kronosPath, logDir, setEnv } from "./env";
import { startTarget } from "./target";

/** Generous: the server listens at once (its plugins compile in the background), but a busy 2-CPU machine is slow. */
const startLimitMs = 90_000;

function fail(msg: string): never {
  throw new Error(`e2e setup: ${msg}`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const chromium = chromiumPath();
  if (!exists(chromium)) {
    fail(`no Chromium at ${chromium}: install Debian's (apt-get install chromium) or set KRONOS_CHROMIUM`);
  }
  const bin = kronosPath();
  if (!exists(bin)) fail(`no kronos binary at ${bin}: run \`just build\` (or \`just ui-e2e\`, which does)`);
  if (!exists(helloWasm)) fail(`no ${helloWasm}: run \`just plugins\``);

  const cleanups: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        console.error("e2e teardown:", err);
      }
    }
  };

  try {
    const target = await startTarget();
    cleanups.push(target.close);

    const tmp = await mkdtemp(path.join(os.tmpdir(), "kronos-e2e-"));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    const dataDir = path.join(tmp, "data");

    mkdirSync(logDir, { recursive: true });
    const logFile = path.join(logDir, "kronos.log");
    const log = createWriteStream(logFile);
    cleanups.push(() => new Promise<void>((resolve) => log.end(resolve)));

    // A clean KRONOS_ environment: the server reads its flags from it.
    const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KRONOS_")));
    const args = [
      "server",
      "--addr", "127.0.0.1:0",
      "--data-dir", dataDir,
      "--log-format", "json",
      "--allow-private-networks",
      "--shutdown-timeout", "5s",
    ];
    const child: ChildProcess = spawn(bin, args, { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    cleanups.push(() => stop(child, exited));

    child.stdout!.pipe(log, { end: false });
    let url = "";
    const logged = new Promise<string>((resolve) => {
      readline.createInterface({ input: child.stderr! }).on("line", (line) => {
        log.write(line + "\n");
        if (url) return;
        try {
          const rec = JSON.parse(line) as { url?: string };
          if (rec.url) resolve((url = rec.url));
        } catch {
          // not a JSON line: the owner token's banner
        }
      });
    });
    const base = await Promise.race([
      logged,
      exited.then((code) => fail(`kronos exited (${code}) before listening; its log: ${logFile}`)),
      sleep(startLimitMs).then(() => fail(`kronos did not log its URL within ${startLimitMs / 1000}s; its log: ${logFile}`)),
    ]);

    await waitReady(base, logFile);

    // The binary must serve the UI, not the page of a build without it.
    const index = await fetch(base + "/", { headers: { accept: "text/html" } }).then((r) => r.text());
    if (!index.includes("/assets/")) {
      fail(`${bin} serves no UI (built without -tags kronos_ui): run \`just build\` with npm installed`);
    }

    const ownerToken = (await readFile(path.join(dataDir, "owner.token"), "utf8")).trim();
    const created = await fetch(base + "/api/v1/tokens?namespace=default", {
      method: "POST",
      headers: { authorization: `Bearer ${ownerToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e-viewer", role: "viewer" }),
    });
    const body = (await created.json()) as { token?: string };
    if (!created.ok || !body.token) {
      fail(`create-token for the viewer answered ${created.status}: ${JSON.stringify(body)}`);
    }

    setEnv({ url: base, ownerToken, viewerToken: body.token, target: target.url, log: logFile });
    console.log(`e2e: kronos at ${base} (log ${path.relative(process.cwd(), logFile)}), target at ${target.url}`);
    return teardown;
  } catch (err) {
    await teardown();
    throw err;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function waitReady(base: string, logFile: string): Promise<void> {
  const deadline = Date.now() + startLimitMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const r = await fetch(base + "/readyz");
      if (r.ok) return;
      last = `${r.status}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  fail(`/readyz did not answer 200 within ${startLimitMs / 1000}s (last: ${last}); its log: ${logFile}`);
}

/** stop asks kronos to shut down (SIGTERM), and kills it if it has not within 10 s. */
async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
