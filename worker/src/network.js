// network.js - the Durable Object of one network: the /auth API (store.js),
// the signaling hub on hibernatable WebSockets, the TURN relay (relay.js).
// Rules and texts are src/rift/server/api.c's and src/rift/sig/hub.c's.
//
// State that must outlive an eviction lives in SQLite (accounts) or in each
// WebSocket's attachment (who it is, its join, its TURN allocation); what is
// only in memory (the index of names, rate buckets, the wrong-token guard)
// is rebuilt or starts afresh when the object wakes up.

import { DurableObject } from "cloudflare:workers";
import * as auth from "./auth.js";
import * as sig from "./sig.js";
import { Relay } from "./relay.js";
import { Store, StoreError, hostAddress, parseSubnet } from "./store.js";

const VERSION = "0.1.0";
const LIMITS = { maxPeers: 256, msgsPerS: 50, msgsBurst: 200, bytesPerS: 256 * 1024, bytesBurst: 1024 * 1024 };
const GUARD = { burst: 10, perMinute: 6, maxSources: 4096 };
const CLOSE = { POLICY: 1008, INVALID: 1007, TOO_BIG: 1009, BINARY: 1003, REPLACED: 4000, REVOKED: 4001 };

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
const fail = (status, reason, headers) => json(status, { error: reason }, headers);

// A close reason cut to the 123 bytes a close frame holds.
function reasonCut(s) {
  const e = new TextEncoder();
  while (e.encode(s).length > 123) s = s.slice(0, -1);
  return s;
}

function constEq(a, b) {
  if (typeof a !== "string" || typeof b !== "string" || a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

const now = () => Math.floor(Date.now() / 1000);

export class Network extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.env = env;
    this.store = new Store(ctx.storage);
    this.guard = new Map(); // source -> {tokens, last}
    this.buckets = new Map(); // ws -> {msgs, bytes}
    this.names = null; // name -> ws (joined), rebuilt from attachments
    this.relay = new Relay(this);
    this.atts = new WeakMap(); // ws -> its attachment, as last saved
    // one line per wake-up: how many sockets the object finds (tests count evictions by it)
    console.log(`[network] up with ${ctx.getWebSockets().length} WebSockets`);
  }

  // A WebSocket's attachment (cached: the data path reads it for every message).
  att(ws) {
    let a = this.atts.get(ws);
    if (a === undefined) {
      a = ws.deserializeAttachment() || {};
      this.atts.set(ws, a);
    }
    return a;
  }

  save(ws, a) {
    ws.serializeAttachment(a);
    this.atts.set(ws, a);
  }

  // ------------------------------------------------------------ guard (auth/guard.h)

  guardAllow(src) {
    const g = this.guard.get(src);
    if (!g) return 0;
    this.refill(g);
    if (g.tokens >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - g.tokens) * 60) / GUARD.perMinute));
  }

  guardFail(src) {
    let g = this.guard.get(src);
    if (!g) {
      if (this.guard.size >= GUARD.maxSources) this.guard.delete(this.guard.keys().next().value);
      g = { tokens: GUARD.burst, last: Date.now() };
      this.guard.set(src, g);
    }
    this.refill(g);
    g.tokens = Math.max(0, g.tokens - 1);
  }

  refill(g) {
    const t = Date.now();
    g.tokens = Math.min(GUARD.burst, g.tokens + ((t - g.last) / 60000) * GUARD.perMinute);
    g.last = t;
  }

  guarded(src) {
    const after = this.guardAllow(src);
    if (after === 0) return null;
    return fail(429, "too many wrong tokens from this address; retry later", { "retry-after": String(after) });
  }

  // ------------------------------------------------------------ keys and tokens

  async signingKey() {
    const t = now();
    let keys = this.store.keys();
    if (keys.length === 0 || keys[0].created_at + auth.KEY_ROTATE_S <= t) {
      const kid = "k_" + auth.randomHex(8);
      this.store.keyAdd(kid, crypto.getRandomValues(new Uint8Array(32)), t);
      this.store.purge(t);
      keys = this.store.keys();
    }
    return keys[0];
  }

  // {claims} or {status, why, counts} (counts: against the guard)
  async verify(token) {
    const d = auth.jwtDecode(token);
    if (d.error) return { why: `not a token of ours: ${d.error}`, counts: true };
    const k = this.store.keys().find((x) => x.kid === d.kid);
    const t = now();
    if (!k || (k.retired_at !== null && k.retired_at <= t))
      return { why: `${k ? "a retired" : "an unknown"} signing key`, counts: true };
    const v = await auth.jwtVerify(d, new Uint8Array(k.secret), t);
    if (v === "forged" || v === "future") return { why: v === "forged" ? "a forged signature" : "issued in the future", counts: true };
    if (v === "expired") return { why: "expired", counts: false };
    const net = this.store.network();
    if (!net || d.claims.net !== net.name) return { why: "another network's", counts: true };
    const live = this.store.sessionLive(d.claims.sub, d.claims.fam);
    if (live !== "ok") return { why: live === "not-found" ? "its device is revoked" : "its token family is revoked", counts: false };
    return { claims: d.claims };
  }

  async iceServers(url, deviceId, net) {
    const out = [];
    for (const s of (this.env.STUN || "").split(",").map((x) => x.trim()).filter(Boolean)) out.push({ urls: [`stun:${s}`] });
    const user = auth.turnUsername(now() + auth.TURN_TTL_S, deviceId);
    const scheme = url.protocol === "https:" ? "wss" : "ws";
    out.push({ urls: [`${scheme}://${url.host}/turn`], username: user, credential: await auth.turnPassword(net.turn_secret, user) });
    return out;
  }

  async session(url, dev, fam, net, registration, refresh) {
    const k = await this.signingKey();
    const t = now();
    const access = await auth.jwtSign({ sub: dev.device_id, name: dev.name, net: net.name, fam, iat: t, exp: t + auth.JWT_TTL_S }, k.kid, new Uint8Array(k.secret));
    const out = {};
    if (registration) out.device_id = dev.device_id;
    out.access_token = access;
    out.refresh_token = refresh;
    out.expires_in = auth.JWT_TTL_S;
    if (registration) {
      out.address = hostAddress(net.subnet, dev.host);
      out.subnet = net.subnet;
      out.network = net.name;
      out.server_url = this.env.PUBLIC_URL || url.origin;
    }
    out.ice_servers = await this.iceServers(url, dev.device_id, net);
    return out;
  }

  // ------------------------------------------------------------ HTTP

  async fetch(request) {
    const url = new URL(request.url);
    const src = request.headers.get("cf-connecting-ip") || "local";
    try {
      if (url.pathname === "/status") return this.status();
      if (url.pathname === "/connect" || url.pathname === "/turn") return await this.upgrade(request, url, src);
      if (url.pathname.startsWith("/admin/")) return await this.admin(request, url);
      if (url.pathname.startsWith("/auth")) return await this.api(request, url, src);
      return new Response("not found", { status: 404 });
    } catch (e) {
      console.error(`[network] ${request.method} ${url.pathname}: ${e.stack || e}`);
      return fail(500, "internal error");
    }
  }

  status() {
    const n = this.ctx.getWebSockets("sig").length;
    return json(200, { connections: n, version: VERSION });
  }

  async body(request) {
    if (request.headers.get("transfer-encoding")?.toLowerCase().includes("chunked"))
      return { res: fail(411, "a request body needs a Content-Length") };
    const len = Number(request.headers.get("content-length") || "0");
    if (len > auth.MAX_BODY) return { res: fail(413, "request body too large") };
    const buf = new Uint8Array(await request.arrayBuffer());
    if (buf.length > auth.MAX_BODY) return { res: fail(413, "request body too large") };
    return { text: new TextDecoder().decode(buf) };
  }

  async api(request, url, src) {
    const routes = [
      ["POST", "/auth/register", false, false, true, this.register],
      ["POST", "/auth/refresh", false, false, true, this.refresh],
      ["GET", "/auth/devices", false, true, false, this.devices],
      ["DELETE", "/auth/devices/", true, true, false, this.revoke],
    ];
    let known = false, route = null, rest = "";
    for (const r of routes) {
      const match = r[2] ? url.pathname.startsWith(r[1]) : url.pathname === r[1];
      if (!match) continue;
      known = true;
      if (request.method !== r[0]) continue;
      route = r;
      rest = url.pathname.slice(r[1].length);
      break;
    }
    const te = request.headers.get("transfer-encoding");
    if (te && te.toLowerCase().includes("chunked")) return fail(411, "a request body needs a Content-Length");
    if (Number(request.headers.get("content-length") || "0") > auth.MAX_BODY) return fail(413, "request body too large");
    if (!route) return known ? fail(405, "method not allowed") : fail(404, "not found");
    if (route[4]) {
      const g = this.guarded(src);
      if (g) return g;
    }
    let caller = null;
    if (route[3]) {
      const h = request.headers.get("authorization");
      if (!h || h.length <= 7 || h.slice(0, 7).toLowerCase() !== "bearer ") return fail(401, "missing authorization");
      const g = this.guarded(src);
      if (g) return g;
      const v = await this.verify(h.slice(7));
      if (!v.claims) {
        if (v.counts) this.guardFail(src);
        return fail(401, "invalid or expired token");
      }
      caller = v.claims;
    }
    return route[5].call(this, request, url, src, rest, caller);
  }

  async register(request, url, src) {
    const b = await this.body(request);
    if (b.res) return b.res;
    const p = auth.parseTwo(b.text, "device_name", auth.ERR_NAME_MISSING, true, "join_token", auth.ERR_JOIN_MISSING);
    if (p.error) return fail(400, p.error);
    const net = this.store.network();
    if (!net) return fail(500, "internal error");
    const refresh = auth.newToken("rgr_", 32), fam = auth.newFamily(), t = now();
    let r;
    try {
      r = this.store.register({
        joinHash: await auth.sha256Hex(p.b), name: p.a, newId: auth.newUuid(), family: fam,
        refreshHash: await auth.sha256Hex(refresh), refreshExpires: t + auth.REFRESH_TTL_S, now: t,
      });
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      if (e.kind === "auth") {
        this.guardFail(src);
        return fail(401, "invalid or used join token");
      }
      return fail(507, "no addresses available in subnet");
    }
    console.log(`[api ${src}] registered ${JSON.stringify(p.a)} as ${r.device.device_id}${r.reclaimed ? " (again: older tokens void)" : ""}`);
    const res = json(200, await this.session(url, r.device, fam, net, true, refresh));
    if (r.reclaimed) this.recheck(r.device.device_id);
    return res;
  }

  async refresh(request, url, src) {
    const b = await this.body(request);
    if (b.res) return b.res;
    const p = auth.parseTwo(b.text, "device_id", auth.ERR_ID_MISSING, false, "refresh_token", auth.ERR_RT_MISSING);
    if (p.error) return fail(400, p.error);
    let refresh = auth.newToken("rgr_", 32);
    const t = now();
    let r;
    try {
      r = this.store.refresh({
        deviceId: p.a, oldHash: await auth.sha256Hex(p.b), newHash: await auth.sha256Hex(refresh), newExpires: t + auth.REFRESH_TTL_S,
        now: t, graceS: auth.REFRESH_GRACE_S, sealed: await auth.seal(p.b, refresh),
      });
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      switch (e.kind) {
        case "not-found":
          this.guardFail(src);
          return fail(401, "device not found or revoked");
        case "expired":
          return fail(401, "refresh_token_expired");
        case "replay":
          this.guardFail(src);
          this.recheck(p.a);
          return fail(401, "refresh token reused: its token family is revoked");
        default:
          this.guardFail(src);
          return fail(401, "invalid refresh token");
      }
    }
    if (r.sealed) {
      // a repeat after a lost answer: the same successor again, a fresh access token
      refresh = await auth.unseal(p.b, r.sealed);
      console.log(`[api ${src}] ${p.a} repeated its refresh (a lost answer): the same successor`);
    }
    return json(200, await this.session(url, this.store.device(p.a), r.family, this.store.network(), false, refresh));
  }

  async devices() {
    const net = this.store.network();
    const list = this.store.devices().map((d) => ({
      device_id: d.device_id,
      device_name: d.name,
      address: hostAddress(net.subnet, d.host),
      created_at: d.created_at,
      last_seen_at: d.last_seen_at,
      revoked: d.revoked_at !== null,
    }));
    return json(200, { devices: list });
  }

  async revoke(request, url, src, id, caller) {
    if (id.length === 0 || id.length >= 37 || !/^[a-f0-9-]+$/.test(id)) return fail(404, "device not found");
    if (id === caller.sub) return fail(400, "cannot revoke your own device");
    if (!this.store.revoke(id, now())) return fail(404, "device not found");
    console.log(`[api ${src}] ${id} revoked by ${caller.sub}`);
    this.recheck(id);
    return json(200, { ok: true });
  }

  async admin(request, url) {
    const want = this.env.ADMIN_TOKEN;
    const h = request.headers.get("authorization") || "";
    if (!want || want.length < 16 || !constEq(h, `Bearer ${want}`)) return fail(401, "missing authorization");
    if (request.method !== "POST") return fail(405, "method not allowed");
    const b = await this.body(request);
    if (b.res) return b.res;
    let o = {};
    try {
      o = b.text ? JSON.parse(b.text) : {};
    } catch {
      return fail(400, auth.ERR_BODY);
    }
    const t = now();
    if (url.pathname === "/admin/init") {
      if (this.store.network()) return fail(409, "the network exists");
      const name = o.name || "home", subnet = o.subnet || "10.0.0.0/24";
      if (!auth.nameOk(name) || !parseSubnet(subnet)) return fail(400, "name or subnet malformed");
      this.store.init(name, subnet, "rgt_" + auth.randomHex(24), t);
      await this.signingKey();
    } else if (url.pathname !== "/admin/invite") {
      return fail(404, "not found");
    }
    if (!this.store.network()) return fail(409, "no network: /admin/init first");
    const ttl = Number.isInteger(o.expires) && o.expires > 0 ? o.expires : url.pathname === "/admin/init" ? 86400 : auth.JOIN_TTL_S;
    const token = auth.newToken("rgj_", 16);
    this.store.joinAdd(await auth.sha256Hex(token), t, t + ttl);
    const net = this.store.network();
    return json(200, { join_token: token, network: net.name, subnet: net.subnet, expires_in: ttl });
  }

  // ------------------------------------------------------------ WebSockets

  async upgrade(request, url, src) {
    // refusals are JSON errors, as /auth answers them
    const h = request.headers.get("authorization");
    const unauthorized = (reason) => fail(401, reason, { "www-authenticate": "Bearer" });
    if (!h || h.length <= 7 || h.slice(0, 7).toLowerCase() !== "bearer ") return unauthorized("missing authorization");
    const g = this.guarded(src);
    if (g) return g;
    const v = await this.verify(h.slice(7));
    if (!v.claims) {
      if (v.counts) this.guardFail(src);
      console.log(`[api ${src}] GET ${url.pathname}: 401 ${v.why}`);
      return unauthorized("invalid or expired token");
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
      return new Response("Expected WebSocket upgrade", { status: 426 });
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair);
    const kind = url.pathname === "/turn" ? "turn" : "sig";
    this.ctx.acceptWebSocket(server, [kind]);
    const c = v.claims;
    this.save(server, { kind, id: crypto.randomUUID(), sub: c.sub, fam: c.fam, name: c.name, net: c.net });
    if (kind === "sig") {
      this.store.seen(c.sub, now());
      console.log(`[sig] ${src} connected as ${JSON.stringify(c.name)} in network ${c.net}`);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws, message) {
    const a = this.att(ws);
    if (a.kind === "turn") return this.relay.message(ws, a, message);
    if (typeof message !== "string") return this.hubClose(ws, a, CLOSE.BINARY, "binary frames are not signaling");
    return this.hubMessage(ws, a, message);
  }

  async webSocketClose(ws, code, reason, wasClean) {
    this.gone(ws);
  }

  async webSocketError(ws, error) {
    this.gone(ws);
  }

  gone(ws) {
    const a = this.att(ws);
    if (a.kind === "turn") return this.relay.closed(ws, a);
    this.hubLeave(ws, a);
    this.buckets.delete(ws);
    try {
      ws.close(1000, "");
    } catch {
      /* already closed */
    }
  }

  // ------------------------------------------------------------ the hub (sig/hub.c)

  index() {
    if (this.names === null) {
      this.names = new Map();
      for (const ws of this.ctx.getWebSockets("sig")) {
        const a = this.att(ws);
        if (a.joined && !a.closed && !a.left) this.names.set(a.name, ws);
      }
    }
    return this.names;
  }

  take(b, rate, burst, cost, t) {
    if (b.last >= 0 && t > b.last) b.tokens = Math.min(burst, b.tokens + (rate * (t - b.last)) / 1000);
    b.last = t;
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  hubClose(ws, a, code, reason) {
    if (a.closed) return;
    a.closed = true;
    this.save(ws, a);
    // the others hear of it now: a socket the server closes may never report its close
    if (code !== CLOSE.REPLACED) this.hubLeave(ws, a);
    try {
      ws.close(code, reasonCut(reason));
    } catch {
      /* already closed */
    }
  }

  send(ws, text) {
    const a = this.att(ws);
    if (a.closed) return;
    try {
      ws.send(text);
    } catch {
      /* gone: its close comes */
    }
  }

  hubMessage(ws, a, text) {
    if (a.closed) return;
    const t = Date.now();
    let b = this.buckets.get(ws);
    if (!b) {
      b = { msgs: { tokens: LIMITS.msgsBurst, last: -1 }, bytes: { tokens: LIMITS.bytesBurst, last: -1 } };
      this.buckets.set(ws, b);
    }
    const len = sig.bytes(text);
    if (!this.take(b.msgs, LIMITS.msgsPerS, LIMITS.msgsBurst, 1, t) || !this.take(b.bytes, LIMITS.bytesPerS, LIMITS.bytesBurst, len, t))
      return this.hubClose(ws, a, CLOSE.POLICY, `rate limit: more than ${LIMITS.msgsPerS} messages or ${LIMITS.bytesPerS} bytes/s`);
    let m;
    try {
      m = sig.parse(text);
    } catch (e) {
      if (!(e instanceof sig.SigError)) throw e;
      return this.hubClose(ws, a, e.code, e.message);
    }
    if (!a.joined && m.type !== "join") return this.hubClose(ws, a, CLOSE.POLICY, `the first message must be join, not ${m.type}`);
    if (m.type === "join" && a.joined) return this.hubClose(ws, a, CLOSE.POLICY, "join sent twice on one connection");
    if (m.type === "join") return this.hubJoin(ws, a, m);
    if (m.type === "offer" || m.type === "answer" || m.type === "ice-candidate") return this.hubRoute(ws, a, m, text);
    // peers and peer-left are the server's to send: ignored
  }

  hubJoin(ws, a, m) {
    const names = this.index();
    const old = names.get(a.name);
    const cut40 = (s) => {
      const e = new TextEncoder();
      let o = s;
      while (e.encode(o).length > 40) o = o.slice(0, -1);
      return o;
    };
    if (m.peerId !== a.name)
      return this.hubClose(ws, a, CLOSE.POLICY, `join: peerId "${cut40(m.peerId)}" is not the name your token grants ("${cut40(a.name)}")`);
    if (!old && names.size >= LIMITS.maxPeers) return this.hubClose(ws, a, CLOSE.POLICY, `network full (${LIMITS.maxPeers} peers)`);
    if (old) {
      // the same device again (a reconnect the old socket has not noticed)
      names.delete(a.name);
      const oa = this.att(old);
      oa.left = true;
      this.save(old, oa);
      this.hubClose(old, oa, CLOSE.REPLACED, "replaced by a newer connection");
    }
    a.joined = true;
    a.self = { peerId: m.peerId, publicKey: m.publicKey, address: m.address, routes: m.routes, metadata: m.metadata };
    this.save(ws, a);
    names.set(a.name, ws);
    const others = [...names.values()].filter((w) => w !== ws);
    const selves = others.map((w) => this.att(w).self);
    const order = selves.map((s, i) => [s, others[i]]).sort((x, y) => sig.byteCompare(x[0].peerId, y[0].peerId));
    this.send(ws, sig.encode({ type: "peers", peers: order.map((x) => x[0]) }));
    const announce = sig.encode({ type: "peers", peers: [a.self] });
    for (const w of others) this.send(w, announce);
  }

  hubRoute(ws, a, m, text) {
    const cut40 = (s) => {
      const e = new TextEncoder();
      let o = s;
      while (e.encode(o).length > 40) o = o.slice(0, -1);
      return o;
    };
    if (m.from !== a.name) return this.hubClose(ws, a, CLOSE.POLICY, `${m.type}: from "${cut40(m.from)}" is not your name ("${cut40(a.name)}")`);
    const to = this.index().get(m.to);
    if (to && to !== ws) this.send(to, text);
  }

  // ws leaves the table (if it holds its name there): peer-left to the rest
  hubLeave(ws, a) {
    const names = this.index();
    if (!a.joined || a.left || names.get(a.name) !== ws) return;
    names.delete(a.name);
    a.left = true;
    this.save(ws, a);
    const text = sig.encode({ type: "peer-left", peerId: a.name });
    for (const w of names.values()) this.send(w, text);
  }

  // Every WebSocket of device id whose credentials no longer stand: closed (4001), peer-left now.
  recheck(id) {
    for (const ws of this.ctx.getWebSockets()) {
      const a = this.att(ws);
      if (a.sub !== id || a.closed || this.store.sessionLive(a.sub, a.fam) === "ok") continue;
      if (a.kind === "turn") {
        this.relay.closed(ws, a);
        a.closed = true;
        this.save(ws, a);
        try {
          ws.close(CLOSE.REVOKED, "credentials revoked");
        } catch {
          /* gone */
        }
        continue;
      }
      this.hubClose(ws, a, CLOSE.REVOKED, "credentials revoked");
    }
  }
}
