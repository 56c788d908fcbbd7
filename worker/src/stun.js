// stun.js - the STUN/TURN codec the relay needs (RFC 5389, RFC 5766): pure,
// bytes in and out. One message or ChannelData frame per WebSocket message.

export const COOKIE = 0x2112a442;
export const M = { BINDING: 0x001, ALLOCATE: 0x003, REFRESH: 0x004, SEND: 0x006, DATA: 0x007, PERMISSION: 0x008, CHANNEL_BIND: 0x009 };
export const C = { REQUEST: 0, INDICATION: 1, SUCCESS: 2, ERROR: 3 };
export const A = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  CHANNEL_NUMBER: 0x000c,
  LIFETIME: 0x000d,
  XOR_PEER_ADDRESS: 0x0012,
  DATA: 0x0013,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
  XOR_MAPPED_ADDRESS: 0x0020,
  SOFTWARE: 0x8022,
  FINGERPRINT: 0x8028,
};

const enc = new TextEncoder();
const dec = new TextDecoder();

export const isChannelData = (b) => b.length >= 4 && b[0] >= 0x40 && b[0] <= 0x7f;

export function typeOf(method, cls) {
  return (method & 0xf) | ((method & 0x70) << 1) | ((method & 0xf80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7);
}

// {method, cls, tid, attrs: [{type, value, offset}], raw} or null
export function parse(b) {
  if (b.length < 20 || (b[0] & 0xc0) !== 0) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const t = v.getUint16(0), len = v.getUint16(2);
  if (v.getUint32(4) !== COOKIE || len % 4 !== 0 || 20 + len !== b.length) return null;
  const method = (t & 0xf) | ((t >> 1) & 0x70) | ((t >> 2) & 0xf80);
  const cls = ((t >> 4) & 1) | ((t >> 7) & 2);
  const attrs = [];
  for (let off = 20; off < b.length; ) {
    if (off + 4 > b.length) return null;
    const at = v.getUint16(off), al = v.getUint16(off + 2);
    if (off + 4 + al > b.length) return null;
    attrs.push({ type: at, value: b.subarray(off + 4, off + 4 + al), offset: off });
    off += 4 + ((al + 3) & ~3);
  }
  return { method, cls, tid: b.subarray(8, 20), attrs, raw: b };
}

export const attr = (m, type) => m.attrs.find((a) => a.type === type);

// "ip:port" of an XOR address attribute (IPv4 and IPv6), or null
export function xorAddress(a, tid) {
  if (!a || a.value.length < 8) return null;
  const v = a.value;
  const port = ((v[2] << 8) | v[3]) ^ (COOKIE >>> 16);
  if (v[1] === 1 && v.length === 8) {
    const ip = [0, 1, 2, 3].map((i) => v[4 + i] ^ ((COOKIE >>> (24 - 8 * i)) & 0xff));
    return `${ip.join(".")}:${port}`;
  }
  if (v[1] === 2 && v.length === 20) {
    const key = new Uint8Array(16);
    new DataView(key.buffer).setUint32(0, COOKIE);
    key.set(tid, 4);
    const g = [];
    for (let i = 0; i < 16; i += 2) g.push((((v[4 + i] ^ key[i]) << 8) | (v[5 + i] ^ key[i + 1])).toString(16));
    return `[${g.join(":")}]:${port}`;
  }
  return null;
}

export function xorAddressValue(addr, tid) {
  const [ip, port] = splitAddr(addr);
  const parts = ip.split(".").map(Number);
  const v = new Uint8Array(8);
  v[1] = 1;
  const p = port ^ (COOKIE >>> 16);
  v[2] = p >> 8;
  v[3] = p & 0xff;
  for (let i = 0; i < 4; i++) v[4 + i] = parts[i] ^ ((COOKIE >>> (24 - 8 * i)) & 0xff);
  void tid;
  return v;
}

export function splitAddr(addr) {
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}

export const ipOf = (addr) => splitAddr(addr)[0];

export const u32 = (n) => {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, n);
  return v;
};

export const text = (a) => (a ? dec.decode(a.value) : null);

export function errorValue(code, reason) {
  const r = enc.encode(reason);
  const v = new Uint8Array(4 + r.length);
  v[2] = Math.floor(code / 100);
  v[3] = code % 100;
  v.set(r, 4);
  return v;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b) {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function hmacSha1(key, data) {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

// The long-term credential key: MD5(username:realm:password).
export async function longTermKey(username, realm, password) {
  return new Uint8Array(await crypto.subtle.digest("MD5", enc.encode(`${username}:${realm}:${password}`)));
}

// Whether m carries a MESSAGE-INTEGRITY that key signed.
export async function checkIntegrity(m, key) {
  const mi = attr(m, A.MESSAGE_INTEGRITY);
  if (!mi || mi.value.length !== 20) return false;
  const head = m.raw.slice(0, mi.offset);
  new DataView(head.buffer).setUint16(2, mi.offset + 24 - 20);
  const mac = await hmacSha1(key, head);
  let diff = 0;
  for (let i = 0; i < 20; i++) diff |= mac[i] ^ mi.value[i];
  return diff === 0;
}

// A message: attrs [[type, Uint8Array]...]; key adds MESSAGE-INTEGRITY; fingerprint adds FINGERPRINT.
export async function build(method, cls, tid, attrs, key = null, fingerprint = true) {
  let size = 20;
  for (const [, v] of attrs) size += 4 + ((v.length + 3) & ~3);
  const total = size + (key ? 24 : 0) + (fingerprint ? 8 : 0);
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, typeOf(method, cls));
  dv.setUint32(4, COOKIE);
  b.set(tid, 8);
  let off = 20;
  for (const [t, v] of attrs) {
    dv.setUint16(off, t);
    dv.setUint16(off + 2, v.length);
    b.set(v, off + 4);
    off += 4 + ((v.length + 3) & ~3);
  }
  if (key) {
    dv.setUint16(2, off + 24 - 20);
    const mac = await hmacSha1(key, b.subarray(0, off));
    dv.setUint16(off, A.MESSAGE_INTEGRITY);
    dv.setUint16(off + 2, 20);
    b.set(mac, off + 4);
    off += 24;
  }
  if (fingerprint) {
    dv.setUint16(2, off + 8 - 20);
    const crc = (crc32(b.subarray(0, off)) ^ 0x5354554e) >>> 0;
    dv.setUint16(off, A.FINGERPRINT);
    dv.setUint16(off + 2, 4);
    dv.setUint32(off + 4, crc);
    off += 8;
  }
  dv.setUint16(2, off - 20);
  return b;
}

// An indication without integrity or fingerprint, built synchronously (the data path).
export function buildSync(method, cls, tid, attrs) {
  let size = 20;
  for (const [, v] of attrs) size += 4 + ((v.length + 3) & ~3);
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, typeOf(method, cls));
  dv.setUint16(2, size - 20);
  dv.setUint32(4, COOKIE);
  b.set(tid, 8);
  let off = 20;
  for (const [t, v] of attrs) {
    dv.setUint16(off, t);
    dv.setUint16(off + 2, v.length);
    b.set(v, off + 4);
    off += 4 + ((v.length + 3) & ~3);
  }
  return b;
}

// ChannelData: channel, length, data, padded to 4 bytes (RFC 5766 §11.5 over TCP).
export function channelData(ch, data) {
  const b = new Uint8Array(4 + ((data.length + 3) & ~3));
  const dv = new DataView(b.buffer);
  dv.setUint16(0, ch);
  dv.setUint16(2, data.length);
  b.set(data, 4);
  return b;
}
