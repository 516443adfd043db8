// Standard base64 (RFC 4648, with padding), for kv values.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function encode(data: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < data.length; i += 3) {
    const n = (u32(data[i]) << 16) | (u32(data[i + 1]) << 8) | u32(data[i + 2]);
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63) + ALPHABET.charAt(n & 63);
  }
  const rest = data.length - i;
  if (rest == 1) {
    const n = u32(data[i]) << 16;
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63) + "==";
  } else if (rest == 2) {
    const n = (u32(data[i]) << 16) | (u32(data[i + 1]) << 8);
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63) + "=";
  }
  return out;
}

export function decode(s: string): Uint8Array {
  const out = new Array<u8>();
  let n: u32 = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c == "=") break;
    const v = ALPHABET.indexOf(c);
    if (v < 0) throw new Error("base64: invalid character");
    n = (n << 6) | u32(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push(u8((n >> bits) & 0xff));
    }
  }
  const bytes = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) bytes[i] = out[i];
  return bytes;
}
