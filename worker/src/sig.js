// sig.js - signaling messages: the schema, parse (validate) and encode, as
// src/rift/sig/msg.c does (docs/protocol/signaling.md). Every implementation
// accepts tests/data/sig/valid and rejects tests/data/sig/invalid with a
// reason containing the text invalid.tsv gives; tests/conformance checks it
// against this Worker and `riftgate server` alike. Pure: no I/O.

export const MAX_MESSAGE = 64 * 1024;
export const MAX_NAME = 64;
export const MAX_SDP = 60000;
export const MAX_CANDIDATE = 1024;
export const MAX_ROUTES = 64;
export const MAX_META = 32;
export const MAX_META_KEY = 64;
export const MAX_META_VAL = 4096;
export const MAX_PEERS = 1000;
const MAX_DEPTH = 8;

const utf8 = new TextEncoder();
export const bytes = (s) => utf8.encode(s).length;

// field kinds
const NAME = 1, KEY = 2, CIDR = 3, CIDR_LIST = 4, META = 5, SDP = 6, CANDIDATE = 7, PEERS = 8;

const PEER_FIELDS = [
  ["peerId", NAME, true],
  ["publicKey", KEY, true],
  ["address", CIDR, false],
  ["routes", CIDR_LIST, false],
  ["metadata", META, false],
];
const SDP_FIELDS = [
  ["from", NAME, true],
  ["to", NAME, true],
  ["sdp", SDP, true],
  ["publicKey", KEY, false],
];
const SCHEMAS = {
  join: PEER_FIELDS,
  peers: [["peers", PEERS, true]],
  offer: SDP_FIELDS,
  answer: SDP_FIELDS,
  "ice-candidate": [
    ["from", NAME, true],
    ["to", NAME, true],
    ["candidate", CANDIDATE, true],
  ],
  "peer-left": [["peerId", NAME, true]],
};

export class SigError extends Error {
  // code: 1007 (invalid) or 1009 (too large), as the hub closes with
  constructor(code, reason) {
    super(reason);
    this.code = code;
  }
}

function isName(s) {
  const n = bytes(s);
  if (n === 0 || n > MAX_NAME) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

const B64 = /^[A-Za-z0-9+/]{43}=$/;
function isKey(s) {
  if (!B64.test(s)) return false;
  // 32 bytes exactly: the last character's two low bits must be zero
  const last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(s[42]);
  return (last & 3) === 0;
}

function isIPv4(s) {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  return parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(s) {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.length < 2) return false;
  let tail4 = 0;
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    if (!isIPv4(s.slice(lastColon + 1))) return false;
    s = s.slice(0, lastColon + 1) + "0:0";
    tail4 = 1;
  }
  const dbl = s.split("::");
  if (dbl.length > 2) return false;
  const groups = (x) => (x === "" ? [] : x.split(":"));
  const head = groups(dbl[0]);
  const tail = dbl.length === 2 ? groups(dbl[1]) : [];
  const all = head.concat(tail);
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  void tail4;
  return dbl.length === 2 ? all.length <= 7 : all.length === 8;
}

function isCidr(s) {
  const slash = s.indexOf("/");
  if (slash < 0) return false;
  const addr = s.slice(0, slash), len = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(len)) return false;
  if (isIPv4(addr)) return Number(len) <= 32;
  if (isIPv6(addr)) return Number(len) <= 128;
  return false;
}

function isString(v) {
  return typeof v === "string";
}

// A string of kind: its reason when it does not pass, else null.
function checkString(name, kind, v) {
  if (!isString(v)) return `"${name}" must be a string`;
  switch (kind) {
    case NAME:
      return isName(v) ? null : `"${name}" must be 1 to ${MAX_NAME} bytes of text without control characters`;
    case KEY:
      return isKey(v) ? null : `"${name}" must be a base64 WireGuard key (32 bytes)`;
    case CIDR:
    case CIDR_LIST:
      return isCidr(v) ? null : `"${name}" has a bad CIDR "${cut(v, 64)}"`;
    case SDP: {
      const n = bytes(v);
      return n >= 1 && n <= MAX_SDP ? null : `"${name}" must be 1 to ${MAX_SDP} bytes`;
    }
    case CANDIDATE:
      return bytes(v) <= MAX_CANDIDATE && v.startsWith("candidate:")
        ? null
        : `"${name}" must start with "candidate:" and be at most ${MAX_CANDIDATE} bytes`;
  }
  return `"${name}": not a string field`;
}

// at most n bytes of s, on a character boundary
function cut(s, n) {
  let out = "";
  for (const ch of s) {
    if (bytes(out + ch) > n) break;
    out += ch;
  }
  return out;
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function parseFields(o, fields, out) {
  for (const [name, kind, required] of fields) {
    if (!Object.prototype.hasOwnProperty.call(o, name)) {
      if (required) return `"${name}" is required`;
      continue;
    }
    const v = o[name];
    let err = null;
    if (kind === CIDR_LIST) {
      if (!Array.isArray(v)) return `"${name}" must be an array`;
      if (v.length > MAX_ROUTES) return `"${name}" has more than ${MAX_ROUTES} entries`;
      for (const e of v) if ((err = checkString(name, CIDR, e)) !== null) return err;
      out[name] = v.slice();
    } else if (kind === META) {
      if (!isObject(v)) return `"${name}" must be an object`;
      const keys = Object.keys(v);
      if (keys.length > MAX_META) return `"${name}" has more than ${MAX_META} entries`;
      const m = {};
      for (const k of keys) {
        const val = v[k];
        if (bytes(k) === 0 || bytes(k) > MAX_META_KEY) return `"${name}" keys must be 1 to ${MAX_META_KEY} bytes`;
        if (!isString(val)) return `"${name}" values must be strings`;
        if (bytes(val) > MAX_META_VAL) return `"${name}" values must be at most ${MAX_META_VAL} bytes`;
        m[k] = val;
      }
      out[name] = m;
    } else if (kind === PEERS) {
      if (v === null) {
        out.peers = [];
        continue;
      }
      if (!Array.isArray(v)) return `"peers" must be an array or null`;
      if (v.length > MAX_PEERS) return `"peers" has more than ${MAX_PEERS} entries`;
      out.peers = [];
      for (const e of v) {
        if (!isObject(e)) return `"peers" entries must be objects`;
        const p = {};
        if ((err = parseFields(e, PEER_FIELDS, p)) !== null) return err;
        out.peers.push(p);
      }
    } else {
      if ((err = checkString(name, kind, v)) !== null) return err;
      out[name] = v;
    }
  }
  return null;
}

function depth(text) {
  let d = 0, max = 0, inStr = false, esc = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inStr) {
      if (esc) esc = false;
      else if (ch === "\\") esc = true;
      else if (ch === '"') inStr = false;
    } else if (ch === '"') inStr = true;
    else if (ch === "[" || ch === "{") max = Math.max(max, ++d);
    else if (ch === "]" || ch === "}") d--;
  }
  return max;
}

// A \u0000 escape in a string (a key or a value): json-glib, the C server's
// parser, would cut the string there ("bob\u0000x" read as "bob").
function escapedNul(text) {
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (!inStr) {
      if (ch === '"') inStr = true;
    } else if (ch === "\\") {
      if (text[i + 1] === "u" && text.slice(i + 2, i + 6) === "0000") return true;
      i++;
    } else if (ch === '"') inStr = false;
  }
  return false;
}

// JSON has no escape like "\2"; json-glib (the C server's parser) decodes one
// into raw bytes that are not UTF-8, so the C side says which field is not
// text. Say the same: the member whose string value holds the bad escape.
function badEscapeField(text) {
  const m = /"((?:[^"\\]|\\.)*)"\s*:\s*"(?:[^"\\]|\\["\\/bfnrtu])*\\[^"\\/bfnrtu]/.exec(text);
  return m ? m[1] : null;
}

// Parse and validate one text frame: the message (fields as on the wire,
// `type` first), or a thrown SigError.
export function parse(text) {
  const n = bytes(text);
  if (n > MAX_MESSAGE) throw new SigError(1009, `message of ${n} bytes (at most ${MAX_MESSAGE})`);
  if (text.includes("\u0000") || /[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "")))
    throw new SigError(1007, "message is not UTF-8 text");
  if (depth(text) > MAX_DEPTH) throw new SigError(1007, `JSON nested deeper than ${MAX_DEPTH}`);
  if (escapedNul(text)) throw new SigError(1007, "a \\u0000 escape in a string");
  let o;
  try {
    o = JSON.parse(text);
  } catch (e) {
    const field = badEscapeField(text);
    if (field !== null) {
      let type = null;
      const t = /"type"\s*:\s*"([^"\\]*)"/.exec(text);
      if (t && SCHEMAS[t[1]]) type = t[1];
      throw new SigError(1007, `${type ? type + ": " : ""}"${field}" is not UTF-8 text`);
    }
    throw new SigError(1007, `malformed JSON: ${e.message}`);
  }
  if (!isObject(o)) throw new SigError(1007, "message must be a JSON object");
  if (!isString(o.type)) throw new SigError(1007, `"type" must be a string`);
  const fields = SCHEMAS[o.type];
  if (!Object.prototype.hasOwnProperty.call(SCHEMAS, o.type))
    throw new SigError(1007, `unknown message type "${cut(o.type, 32)}"`);
  const out = { type: o.type };
  const err = parseFields(o, fields, out);
  if (err !== null) throw new SigError(1007, `${o.type}: ${err}`);
  return out;
}

function encodePeer(p) {
  const o = { peerId: p.peerId, publicKey: p.publicKey };
  if (p.address !== undefined) o.address = p.address;
  if (p.routes !== undefined) o.routes = p.routes;
  if (p.metadata !== undefined) o.metadata = p.metadata;
  return o;
}

// Compact, the schema's field order, never null (as rg_sig_encode).
export function encode(m) {
  const o = { type: m.type };
  if (m.type === "peers") o.peers = m.peers.map(encodePeer);
  else if (m.type === "peer-left") o.peerId = m.peerId;
  else if (m.type === "join") Object.assign(o, encodePeer(m));
  else throw new Error(`encode: ${m.type}`);
  return JSON.stringify(o);
}

// Byte order of UTF-8 strings (strcmp), not UTF-16's.
export function byteCompare(a, b) {
  const x = utf8.encode(a), y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
