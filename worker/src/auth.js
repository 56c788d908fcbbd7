// auth.js - tokens, JWT (HS256), TURN credentials and request bodies, as
// src/rift/auth/ does (docs/protocol/auth.md): the same formats, limits and
// error texts. Uses WebCrypto only.

export const JWT_TTL_S = 3600;
export const REFRESH_TTL_S = 30 * 86400;
export const KEY_ROTATE_S = 30 * 86400;
export const TURN_TTL_S = 86400;
export const JOIN_TTL_S = 600;
export const MAX_BODY = 4096;
export const MAX_NAME = 64;
export const MAX_TOKEN = 128;
export const REFRESH_GRACE_S = 60; // a used refresh token may be repeated once, this soon

export const ERR_BODY = "invalid request body";
export const ERR_NAME_MISSING = "device_name is required";
export const ERR_NAME_BAD = "device_name must be 1 to 64 bytes of text, no '/', no space at either end";
export const ERR_JOIN_MISSING = "join_token is required";
export const ERR_ID_MISSING = "device_id is required";
export const ERR_RT_MISSING = "refresh_token is required";
export const ERR_TOKEN_BAD = "malformed token";

const enc = new TextEncoder();

export function hex(buf) {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function randomHex(n) {
  return hex(crypto.getRandomValues(new Uint8Array(n)));
}

export const newToken = (prefix, n) => prefix + randomHex(n);
export const newFamily = () => randomHex(16);
export const newUuid = () => crypto.randomUUID();

export async function sha256Hex(s) {
  return hex(await crypto.subtle.digest("SHA-256", enc.encode(s)));
}

export function b64url(bytes) {
  let s = btoa(String.fromCharCode(...new Uint8Array(bytes)));
  return s.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function b64urlDecode(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

async function hmacKey(secret, hash) {
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash }, false, ["sign", "verify"]);
}

// The signed token; claims {sub, name, net, fam, iat, exp}.
export async function jwtSign(claims, kid, secret) {
  const head = b64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT", kid })));
  const body = b64url(
    enc.encode(
      JSON.stringify({
        sub: claims.sub,
        name: claims.name,
        net: claims.net,
        fam: claims.fam,
        iat: claims.iat,
        exp: claims.exp,
      }),
    ),
  );
  const key = await hmacKey(secret, "SHA-256");
  const mac = await crypto.subtle.sign("HMAC", key, enc.encode(`${head}.${body}`));
  return `${head}.${body}.${b64url(mac)}`;
}

// {kid, claims} of a well-formed token (not yet verified), or {error}.
export function jwtDecode(token) {
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3) return { error: "not three parts" };
  const dec = parts.map(b64urlDecode);
  if (dec.some((d) => d === null)) return { error: "not base64url" };
  let head, body;
  try {
    head = JSON.parse(new TextDecoder().decode(dec[0]));
    body = JSON.parse(new TextDecoder().decode(dec[1]));
  } catch {
    return { error: "not JSON" };
  }
  if (head === null || typeof head !== "object" || head.alg !== "HS256") return { error: "header: alg is not HS256" };
  if (typeof head.kid !== "string" || !/^k_[0-9a-f]{16}$/.test(head.kid)) return { error: 'header: "kid" is missing or malformed' };
  if (body === null || typeof body !== "object") return { error: "payload is not an object" };
  for (const k of ["sub", "name", "net", "fam"]) if (typeof body[k] !== "string") return { error: `payload: "${k}" is missing` };
  for (const k of ["iat", "exp"]) if (!Number.isInteger(body[k])) return { error: `payload: "${k}" is missing` };
  if (dec[2].length !== 32) return { error: "a MAC of the wrong size" };
  return { kid: head.kid, claims: body, signed: `${parts[0]}.${parts[1]}`, mac: dec[2] };
}

// "ok", "forged", "future" or "expired".
export async function jwtVerify(d, secret, now) {
  const key = await hmacKey(secret, "SHA-256");
  if (!(await crypto.subtle.verify("HMAC", key, d.mac, enc.encode(d.signed)))) return "forged";
  if (d.claims.iat > now + 60) return "future";
  if (d.claims.exp <= now) return "expired";
  return "ok";
}

// The successor of a refresh token, sealed with it (AES-GCM under SHA-256 of a
// label and the token): only its holder can read it back (a repeat after a
// lost answer); the store keeps only hashes of tokens besides.
async function sealKey(token) {
  const k = await crypto.subtle.digest("SHA-256", enc.encode(`riftgate refresh seal\0${token}`));
  return crypto.subtle.importKey("raw", k, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function seal(token, secret) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await sealKey(token), enc.encode(secret)));
  const out = new Uint8Array(12 + ct.length);
  out.set(iv);
  out.set(ct, 12);
  return out;
}

export async function unseal(token, sealed) {
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.subarray(0, 12) }, await sealKey(token), sealed.subarray(12));
  return new TextDecoder().decode(pt);
}

// TURN REST API credentials, as coturn's use-auth-secret checks them.
export function turnUsername(expiry, deviceId) {
  return `${expiry}:${deviceId}`;
}

export async function turnPassword(secret, username) {
  const key = await hmacKey(enc.encode(secret), "SHA-1");
  const mac = await crypto.subtle.sign("HMAC", key, enc.encode(username));
  return btoa(String.fromCharCode(...new Uint8Array(mac)));
}

// A device name the server accepts: 1..64 bytes of UTF-8, no control
// character (C0, DEL or C1), no '/', no space at either end.
export function nameOk(s) {
  const n = enc.encode(s).length;
  if (n === 0 || n > MAX_NAME || s.includes("/") || s !== s.replace(/^ +| +$/g, "")) return false;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) return false;
  }
  return true;
}

function tokenOk(s) {
  return s.length <= MAX_TOKEN && /^[\x21-\x7e]+$/.test(s);
}

// A request body with two string fields: {a, b} or {error}.
export function parseTwo(text, nameA, missingA, isName, nameB, missingB) {
  let o;
  try {
    o = JSON.parse(text);
  } catch {
    return { error: ERR_BODY };
  }
  if (o === null || typeof o !== "object" || Array.isArray(o)) return { error: ERR_BODY };
  for (const k of [nameA, nameB]) if (k in o && typeof o[k] !== "string") return { error: ERR_BODY };
  const a = o[nameA], b = o[nameB];
  if (a === undefined || a === "") return { error: missingA };
  if (b === undefined || b === "") return { error: missingB };
  if (isName ? !nameOk(a) : !tokenOk(a)) return { error: isName ? ERR_NAME_BAD : ERR_TOKEN_BAD };
  if (!tokenOk(b)) return { error: ERR_TOKEN_BAD };
  return { a, b };
}
