// An example Kronos plugin in AssemblyScript, the twin of examples/go-hello:
// it greets the name in its config, counts its runs in the namespace's
// key-value store, and returns {"greeting": "hello, …", "count": n}.
// sdk/CONTRACT.md describes the contract it implements.
import { Host, Memory } from "@extism/as-pdk";
import { error_set, length } from "@extism/as-pdk/lib/env";
import * as base64 from "./base64";
import { find, isNull, Member, members, quote, readInt, readString } from "./json";

// The Kronos host functions (module kronos:host/v1).
@external("kronos:host/v1", "log")
declare function kronosLog(level: u32, msg: u64): void;
@external("kronos:host/v1", "kv_get")
declare function kronosKVGet(req: u64): u64;
@external("kronos:host/v1", "kv_set")
declare function kronosKVSet(req: u64): u64;

const LEVEL_INFO: u32 = 1;

function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

function output(s: string): void {
  Host.output(utf8(s));
}

/** Fails the call with msg as its Extism error; returns the export's code. */
function fail(msg: string): i32 {
  const mem = Memory.allocateBytes(utf8(msg));
  error_set(mem.offset);
  return 1;
}

function log(level: u32, msg: string): void {
  const mem = Memory.allocateBytes(utf8(msg));
  kronosLog(level, mem.offset);
  mem.free();
}

/** Calls a JSON host function; "" when the host returned no response. */
function callJSON(fn: (req: u64) => u64, req: string): string {
  const mem = Memory.allocateBytes(utf8(req));
  const off = fn(mem.offset);
  mem.free();
  if (off == 0) return "";
  const resp = new Memory(off, length(off));
  const text = String.UTF8.decode(resp.toUint8Array().buffer);
  resp.free();
  return text;
}

/** The error of a kv response, or "" on success. */
function kvError(resp: string): string {
  if (resp == "") return "the host returned no response";
  const e = find(resp, 0, "error");
  return isNull(resp, e) ? "" : readString(resp, e!.start);
}

// Called by AssemblyScript when it traps (asconfig.json: use abort=…), so
// that the module imports nothing from "env".
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const msg = message == null ? "abort" : message;
  const where = fileName == null ? "" : " at " + fileName + ":" + line.toString() + ":" + column.toString();
  fail("plugin aborted: " + msg + where);
  unreachable();
}

export function execute(): i32 {
  const input = String.UTF8.decode(Host.input().buffer);

  // The envelope: {"config": {...}, "execution": {...}}.
  const configM = find(input, 0, "config");
  const execM = find(input, 0, "execution");
  if (execM == null) return fail('execute input is not the Kronos envelope {"config": …, "execution": …}');

  // The config: {"name": "…"}; unknown fields are refused, as in Go.
  let name = "world";
  if (!isNull(input, configM)) {
    const fields: Member[] = members(input, configM!.start);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.key != "name") return fail("config: unknown field " + quote(f.key) + " (check its spelling against the plugin's config schema)");
      if (input.charCodeAt(f.start) != 0x22) return fail("config.name: expected string");
      name = readString(input, f.start);
    }
  }

  const idM = find(input, execM.start, "id");
  const attemptM = find(input, execM.start, "attempt");
  const taskM = find(input, execM.start, "task");
  const id = isNull(input, idM) ? "" : readString(input, idM!.start);
  const attempt = isNull(input, attemptM) ? 0 : readInt(input, attemptM!);
  const task = isNull(input, taskM) ? "" : readString(input, taskM!.start);

  const greeting = "hello, " + name;
  log(LEVEL_INFO, greeting + " execution=" + id + " attempt=" + attempt.toString());

  // Count the runs of the task in kv.
  const key = quote("assemblyscript-hello/" + task + "/count");
  const got = callJSON(kronosKVGet, '{"key":' + key + "}");
  let err = kvError(got);
  if (err != "") return fail("kv get: " + err);
  let count: i64 = 0;
  const found = find(got, 0, "found");
  if (!isNull(got, found) && got.substring(found!.start, found!.end) == "true") {
    const v = find(got, 0, "value_base64");
    if (!isNull(got, v)) {
      const text = String.UTF8.decode(base64.decode(readString(got, v!.start)).buffer);
      count = I64.parseInt(text);
    }
  }
  count++;
  const value = base64.encode(utf8(count.toString()));
  err = kvError(callJSON(kronosKVSet, '{"key":' + key + ',"value_base64":' + quote(value) + "}"));
  if (err != "") return fail("kv set: " + err);

  output('{"status":"succeeded","result":{"greeting":' + quote(greeting) + ',"count":' + count.toString() + "}}");
  return 0;
}

export function describe(): i32 {
  output(
    '{"name":"assemblyscript-hello","version":"0.1.0",' +
      '"description":"Greets someone and counts its runs: an example Kronos plugin in AssemblyScript.",' +
      '"config_schema":{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,' +
      '"properties":{"name":{"description":"Who to greet.","type":"string","maxLength":100,"default":"world"}}}}',
  );
  return 0;
}
