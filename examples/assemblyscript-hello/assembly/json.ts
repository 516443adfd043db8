// A small JSON reader and writer: enough for the Kronos envelope and the
// kv documents, without a dependency. Values are found by key in an
// object and decoded on demand; malformed JSON throws (aborts).

/** One member of a JSON object: its key and the span of its value. */
export class Member {
  constructor(public key: string, public start: i32, public end: i32) {}
}

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

export function skipSpace(s: string, i: i32): i32 {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** Returns the index just after the string that starts at s[i] == '"'. */
function skipString(s: string, i: i32): i32 {
  i++;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c == 0x5c) {
      i += 2;
      continue;
    }
    i++;
    if (c == 0x22) return i;
  }
  throw new Error("JSON: unterminated string");
}

/** Returns the index just after the value that starts at or after i. */
export function skipValue(s: string, i: i32): i32 {
  i = skipSpace(s, i);
  if (i >= s.length) throw new Error("JSON: value expected");
  const c = s.charCodeAt(i);
  if (c == 0x22) return skipString(s, i);
  if (c == 0x7b || c == 0x5b) {
    let depth = 0;
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d == 0x22) {
        i = skipString(s, i);
        continue;
      }
      if (d == 0x7b || d == 0x5b) depth++;
      if (d == 0x7d || d == 0x5d) {
        depth--;
        if (depth == 0) return i + 1;
      }
      i++;
    }
    throw new Error("JSON: unterminated object or array");
  }
  // number, true, false, null
  while (i < s.length) {
    const d = s.charCodeAt(i);
    if (d == 0x2c || d == 0x7d || d == 0x5d || isSpace(d)) break;
    i++;
  }
  return i;
}

/** Lists the members of the object whose '{' is at or after i. */
export function members(s: string, i: i32): Member[] {
  const out = new Array<Member>();
  i = skipSpace(s, i);
  if (i >= s.length || s.charCodeAt(i) != 0x7b) throw new Error("JSON: object expected");
  i = skipSpace(s, i + 1);
  if (i < s.length && s.charCodeAt(i) == 0x7d) return out;
  while (i < s.length) {
    i = skipSpace(s, i);
    const keyEnd = skipString(s, i);
    const key = readString(s, i);
    i = skipSpace(s, keyEnd);
    if (s.charCodeAt(i) != 0x3a) throw new Error("JSON: ':' expected");
    const start = skipSpace(s, i + 1);
    const end = skipValue(s, start);
    out.push(new Member(key, start, end));
    i = skipSpace(s, end);
    if (i < s.length && s.charCodeAt(i) == 0x2c) {
      i++;
      continue;
    }
    if (i < s.length && s.charCodeAt(i) == 0x7d) return out;
    throw new Error("JSON: ',' or '}' expected");
  }
  throw new Error("JSON: unterminated object");
}

/** Finds key in the object at i; null when it is absent. */
export function find(s: string, i: i32, key: string): Member | null {
  const ms = members(s, i);
  for (let k = 0; k < ms.length; k++) {
    if (ms[k].key == key) return ms[k];
  }
  return null;
}

export function isNull(s: string, m: Member | null): bool {
  return m == null || s.substring(m.start, m.end) == "null";
}

/** Decodes the JSON string that starts at s[i] == '"'. */
export function readString(s: string, i: i32): string {
  if (s.charCodeAt(i) != 0x22) throw new Error("JSON: string expected");
  let out = "";
  i++;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c == 0x22) return out;
    if (c != 0x5c) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    const e = s.charCodeAt(i + 1);
    i += 2;
    if (e == 0x6e) out += "\n";
    else if (e == 0x74) out += "\t";
    else if (e == 0x72) out += "\r";
    else if (e == 0x62) out += "\b";
    else if (e == 0x66) out += "\f";
    else if (e == 0x75) {
      out += String.fromCharCode(i32(parseInt(s.substring(i, i + 4), 16)));
      i += 4;
    } else out += String.fromCharCode(e); // \" \\ \/
  }
  throw new Error("JSON: unterminated string");
}

export function readInt(s: string, m: Member): i64 {
  return I64.parseInt(s.substring(m.start, m.end));
}

export function readBool(s: string, m: Member): bool {
  return s.substring(m.start, m.end) == "true";
}

/** Encodes str as a JSON string, quotes included. */
export function quote(str: string): string {
  let out = '"';
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  return out + '"';
}
