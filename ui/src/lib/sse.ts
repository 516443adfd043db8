// Server-Sent Events read with fetch rather than EventSource, which cannot
// send an Authorization header: a parser for the text/event-stream format
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream),
// a reader over a response body, and a follower that reconnects after a
// drop from the last event ID until the caller says the stream is done.

/** One dispatched event. */
export interface SseEvent {
  /** The event type; "message" when the stream named none. */
  event: string;
  /** The data lines joined with "\n". */
  data: string;
  /** The last event ID in effect when it was dispatched ("" when none yet). */
  id: string;
}

/**
 * SseParser turns text chunks, split anywhere (mid-line, between CR and
 * LF), into events: `event:`, `data:` (multi-line), `id:`, `retry:`,
 * comments (`:` lines), and LF, CRLF or CR line ends. A leading BOM is
 * dropped. An event not ended by a blank line is never dispatched.
 */
export class SseParser {
  /** The ID of the last event with one; what a reconnect continues from. */
  lastEventId = "";
  /** The reconnection time the stream asked for (retry:), in ms. */
  retry: number | undefined;

  private buf = "";
  private started = false;
  private afterCR = false;
  private eventType = "";
  private data: string[] = [];
  private hasData = false;

  /** push feeds a chunk of text and returns the events it completes, in order. */
  push(chunk: string): SseEvent[] {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.afterCR && chunk.startsWith("\n")) chunk = chunk.slice(1);
    this.afterCR = false;
    this.buf += chunk;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.buf.slice(start, i);
      if (c === 13) {
        if (i + 1 < this.buf.length) {
          if (this.buf.charCodeAt(i + 1) === 10) i++;
        } else {
          // A CR at the end of the chunk: an LF starting the next one is part of this line end.
          this.afterCR = true;
        }
      }
      start = i + 1;
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null; // a comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "id":
        if (!value.includes("\u0000")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      // Other fields are ignored, as the format says.
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    const type = this.eventType;
    const hasData = this.hasData;
    const data = this.data.join("\n");
    this.eventType = "";
    this.data = [];
    this.hasData = false;
    if (!hasData) return null;
    return { event: type || "message", data, id: this.lastEventId };
  }
}

/**
 * readSse reads a response body as Server-Sent Events and calls onEvent
 * with each one until the body ends (resolves true) or onEvent returns
 * false (resolves false, and the body is released).
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (ev: SseEvent) => boolean | void,
  parser: SseParser = new SseParser(),
): Promise<boolean> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (const ev of parser.push(text)) {
        if (onEvent(ev) === false) return false;
      }
      if (done) return true;
    }
  } finally {
    // Done with it, whether it ended, failed, or the caller stopped: close the connection.
    reader.cancel().catch(() => {});
  }
}

/** What followSse tells its caller about the connection. */
export type SseState = "connecting" | "open" | "reconnecting" | "done" | "failed";

export interface FollowOptions {
  /**
   * open makes the request from the last event ID seen ("" at first) and
   * returns the body, or throws (an ApiError for a refusal: not retried
   * when its status is 4xx).
   */
  open: (lastEventId: string, signal: AbortSignal) => Promise<ReadableStream<Uint8Array>>;
  /** onEvent handles an event; false ends the follow (the stream is done). */
  onEvent: (ev: SseEvent) => boolean | void;
  onState?: (s: SseState, err?: unknown) => void;
  signal: AbortSignal;
  /** Wait before the first reconnect, in ms, doubling to maxDelay; a retry: field sets it. */
  delay?: number;
  maxDelay?: number;
  /** Reconnects in a row without an event before giving up. */
  maxAttempts?: number;
  /** sleep is for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const id = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(id);
        resolve();
      },
      { once: true },
    );
  });
}

function isClientRefusal(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * followSse keeps a stream open until onEvent says it is done or the
 * signal aborts: after a drop (the body ended or failed without that) it
 * reconnects from the last event ID, waiting delay ms, doubled after each
 * attempt that brought no event. A 4xx refusal (other than 408 and 429)
 * ends it at once as failed.
 */
export async function followSse(o: FollowOptions): Promise<void> {
  const sleep = o.sleep ?? defaultSleep;
  let base = o.delay ?? 1000;
  const maxDelay = o.maxDelay ?? 15_000;
  const maxAttempts = o.maxAttempts ?? 20;
  let lastId = "";
  let wait = base;
  let failures = 0;
  o.onState?.("connecting");
  while (!o.signal.aborted) {
    let gotEvent = false;
    let finished = false;
    let lastErr: unknown;
    // A new connection: a partial event of the old one is gone.
    const parser = new SseParser();
    parser.lastEventId = lastId;
    try {
      const body = await o.open(lastId, o.signal);
      if (o.signal.aborted) return;
      o.onState?.("open");
      await readSse(
        body,
        (ev) => {
          gotEvent = true;
          lastId = ev.id;
          if (o.onEvent(ev) === false) {
            finished = true;
            return false;
          }
          return true;
        },
        parser,
      );
      if (finished) {
        o.onState?.("done");
        return;
      }
    } catch (err) {
      if (o.signal.aborted) return;
      if (isClientRefusal(err)) {
        o.onState?.("failed", err);
        return;
      }
      lastErr = err;
    }
    if (o.signal.aborted) return;
    if (parser.retry !== undefined) base = parser.retry;
    if (gotEvent) {
      failures = 0;
      wait = base;
    } else if (++failures >= maxAttempts) {
      o.onState?.("failed", lastErr);
      return;
    }
    o.onState?.("reconnecting", lastErr);
    await sleep(wait, o.signal);
    if (!gotEvent) wait = Math.min(wait * 2, maxDelay);
  }
}
