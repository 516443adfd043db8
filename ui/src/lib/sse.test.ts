import { describe, expect, it } from "vitest";

import { followSse, readSse, SseParser, type SseEvent, type SseState } from "./sse";

function parseAll(chunks: string[]): { events: SseEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const c of chunks) events.push(...parser.push(c));
  return { events, parser };
}

function streamOf(chunks: (string | Uint8Array)[], opts: { error?: boolean } = {}): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let i = 0;
  // One chunk per read, then the end or (error) a reset connection.
  return new ReadableStream<Uint8Array>({
    pull(c) {
      const x = chunks[i++];
      if (x !== undefined) c.enqueue(typeof x === "string" ? enc.encode(x) : x);
      else if (opts.error) c.error(new Error("connection reset"));
      else c.close();
    },
  });
}

describe("SseParser", () => {
  it("reads events from chunks split anywhere, mid-line and mid-field", () => {
    const text = 'event: line\nid: 1\ndata: {"seq":1,"message":"hello"}\n\nevent: end\ndata: {"execution":{}}\n\n';
    const whole = parseAll([text]).events;
    expect(whole).toEqual([
      { event: "line", data: '{"seq":1,"message":"hello"}', id: "1" },
      { event: "end", data: '{"execution":{}}', id: "1" },
    ]);
    // Every split point gives the same events.
    for (let i = 1; i < text.length; i++) {
      expect(parseAll([text.slice(0, i), text.slice(i)]).events).toEqual(whole);
    }
    // And one character at a time.
    expect(parseAll([...text]).events).toEqual(whole);
  });

  it("joins multi-line data with newlines and keeps a space after the first", () => {
    const { events } = parseAll(["data: first\ndata:second\ndata:  third\ndata\n\n"]);
    expect(events).toEqual([{ event: "message", data: "first\nsecond\n third\n", id: "" }]);
  });

  it("takes CRLF and CR line ends, also with CR and LF in different chunks", () => {
    const crlf = "event: line\r\ndata: a\r\n\r\nevent: line\rdata: b\r\r";
    const want = [
      { event: "line", data: "a", id: "" },
      { event: "line", data: "b", id: "" },
    ];
    expect(parseAll([crlf]).events).toEqual(want);
    for (let i = 1; i < crlf.length; i++) {
      expect(parseAll([crlf.slice(0, i), crlf.slice(i)]).events).toEqual(want);
    }
  });

  it("skips comments, unknown fields and events without data; reads id and retry", () => {
    const { events, parser } = parseAll([
      ": keep the proxy happy\n\n",
      "event: keepalive\n\n", // no data: not dispatched, and its type does not leak
      "foo: bar\nretry: 2500\nid: 42\ndata: x\n\n",
      "retry: soon\nid: 4\u00002\ndata: y\n\n", // a bad retry and an id with NUL are ignored
    ]);
    expect(events).toEqual([
      { event: "message", data: "x", id: "42" },
      { event: "message", data: "y", id: "42" },
    ]);
    expect(parser.retry).toBe(2500);
    expect(parser.lastEventId).toBe("42");
  });

  it("drops a BOM and never dispatches an event left without its blank line", () => {
    const { events } = parseAll(["\ufeffdata: one\n\n", "data: cut off"]);
    expect(events).toEqual([{ event: "message", data: "one", id: "" }]);
  });
});

describe("readSse", () => {
  it("decodes UTF-8 split across chunks and stops when told", async () => {
    const bytes = new TextEncoder().encode("data: 日志\n\ndata: two\n\ndata: three\n\n");
    const seen: string[] = [];
    const more = await readSse(streamOf([bytes.slice(0, 8), bytes.slice(8)]), (ev) => {
      seen.push(ev.data);
      return ev.data !== "two";
    });
    expect(more).toBe(false);
    expect(seen).toEqual(["日志", "two"]);
  });
});

describe("followSse", () => {
  it("reconnects from the last event ID after a drop and stops at end", async () => {
    const opened: string[] = [];
    const bodies = [
      // Drops mid-event: the partial "3" is not dispatched.
      () => streamOf(["id: 1\nevent: line\ndata: 1\n\nid: 2\nevent: line\ndata: 2\n\nid: 3\nevent: li"], { error: true }),
      () => streamOf([]), // ends at once: another try
      () => streamOf(["id: 3\nevent: line\ndata: 3\n\n: ping\n\nevent: end\ndata: {}\n\n", "event: line\ndata: late\n\n"]),
    ];
    const got: string[] = [];
    const states: SseState[] = [];
    const waits: number[] = [];
    await followSse({
      signal: new AbortController().signal,
      open: async (last) => {
        opened.push(last);
        return bodies[opened.length - 1]!();
      },
      onEvent: (ev) => {
        got.push(`${ev.event}:${ev.data}`);
        return ev.event !== "end";
      },
      onState: (s) => states.push(s),
      delay: 10,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(opened).toEqual(["", "2", "2"]);
    expect(got).toEqual(["line:1", "line:2", "line:3", "end:{}"]);
    expect(waits).toEqual([10, 10]);
    expect(states[0]).toBe("connecting");
    expect(states.at(-1)).toBe("done");
  });

  it("gives up at once on a 4xx refusal", async () => {
    const states: SseState[] = [];
    let opens = 0;
    await followSse({
      signal: new AbortController().signal,
      open: async () => {
        opens++;
        throw Object.assign(new Error("not found"), { status: 404 });
      },
      onEvent: () => true,
      onState: (s) => states.push(s),
      sleep: async () => {},
    });
    expect(opens).toBe(1);
    expect(states).toEqual(["connecting", "failed"]);
  });

  it("stops when the signal aborts", async () => {
    const ctl = new AbortController();
    let opens = 0;
    await followSse({
      signal: ctl.signal,
      open: async () => {
        opens++;
        ctl.abort();
        return streamOf([]);
      },
      onEvent: () => true,
      sleep: async () => {},
    });
    expect(opens).toBe(1);
  });
});
