// The local HTTP target the daily_backup task calls: it records every
// request and answers 200 with JSON. A test can make it hold requests
// (POST /__hold) until it lets them go (POST /__release), so that an
// execution stays running while the browser follows its log. Paths under
// /__ are its own controls and are not recorded:
//
//   GET  /__requests  the requests recorded so far, as JSON
//   POST /__hold      hold the requests that arrive from now on
//   POST /__release   answer the held ones and stop holding
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  time: string;
}

/** A held request is answered after this long even if no test releases it. */
const holdLimitMs = 20_000;

export async function startTarget(): Promise<{ url: string; close: () => Promise<void> }> {
  const recorded: Recorded[] = [];
  let holding = false;
  let held: (() => void)[] = [];

  const releaseAll = () => {
    holding = false;
    const h = held;
    held = [];
    for (const f of h) f();
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const json = (status: number, v: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(v));
      };
      if (path === "/__requests") return json(200, recorded);
      if (path === "/__hold" && req.method === "POST") {
        holding = true;
        return json(200, { holding });
      }
      if (path === "/__release" && req.method === "POST") {
        const n = held.length;
        releaseAll();
        return json(200, { released: n });
      }
      recorded.push({
        method: req.method ?? "",
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        time: new Date().toISOString(),
      });
      const answer = () => json(200, { ok: true, path, received: recorded.length });
      if (!holding) return answer();
      const timer = setTimeout(() => {
        held = held.filter((f) => f !== go);
        answer();
      }, holdLimitMs);
      const go = () => {
        clearTimeout(timer);
        answer();
      };
      held.push(go);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        releaseAll();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
