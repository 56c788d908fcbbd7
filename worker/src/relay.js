// relay.js - a TURN relay over WebSocket (the reference's section 8.2): each
// binary message on /turn is one STUN message or one ChannelData frame, as
// libnice sends them on a TCP TURN connection (RFC 5766 §2.1). Allocate,
// Refresh, CreatePermission, ChannelBind, Send and Data indications,
// ChannelData. Relay addresses are virtual (10.255.x.y:50000, 65534 of them,
// where the reference wrapped after 255): traffic goes from one allocation to
// another of the same network, so a relayed pair needs both ends here.
//
// Fixed against the reference: the NONCE is checked (438 with a fresh one),
// REQUESTED-TRANSPORT must be UDP, the username's device must be the one the
// WebSocket's access token names, lifetimes of allocations, permissions and
// channels are enforced, and the receiving allocation must have permitted
// the sender (RFC 5766 §10.3). An allocation lives in its WebSocket's
// attachment, rewritten at every change, so it survives the Durable Object
// being evicted while idle (the maps below are rebuilt on waking).

import * as stun from "./stun.js";
import { turnPassword } from "./auth.js";

const REALM = "riftgate";
const DEFAULT_LIFETIME = 600;
const MAX_LIFETIME = 3600;
const PERMISSION_S = 300;
const CHANNEL_S = 600;
const RELAY_PORT = 50000;
const UDP = 17;

const now = () => Math.floor(Date.now() / 1000);

function relayAddr(n) {
  return `10.255.${n >> 8}.${n & 255}:${RELAY_PORT}`;
}

const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s) => Uint8Array.from(s.match(/../g).map((x) => parseInt(x, 16)));

export class Relay {
  constructor(net) {
    this.net = net;
    this.byRelay = null; // relay address -> ws
    this.chains = new Map(); // ws -> promise (requests in order)
  }

  index() {
    if (this.byRelay === null) {
      this.byRelay = new Map();
      for (const ws of this.net.ctx.getWebSockets("turn")) {
        const a = this.net.att(ws);
        if (a.alloc && !a.closed) this.byRelay.set(a.alloc.relay, ws);
      }
    }
    return this.byRelay;
  }

  closed(ws, a) {
    if (a.alloc && this.index().get(a.alloc.relay) === ws) this.byRelay.delete(a.alloc.relay);
    this.chains.delete(ws);
  }

  message(ws, a, message) {
    if (typeof message === "string") return; // text on a TURN socket: ignored
    const b = new Uint8Array(message);
    if (stun.isChannelData(b)) return this.channelData(ws, a, b);
    const m = stun.parse(b);
    if (!m) return;
    if (m.cls === stun.C.INDICATION && m.method === stun.M.SEND) return this.sendIndication(ws, a, m);
    if (m.cls !== stun.C.REQUEST) return;
    // requests need crypto (async): one at a time per socket, in order
    const prev = this.chains.get(ws) || Promise.resolve();
    const next = prev.then(() => this.request(ws, m)).catch((e) => console.error(`[turn] ${e.stack || e}`));
    this.chains.set(ws, next);
    return next;
  }

  live(a) {
    return a.alloc && a.alloc.exp > now() ? a.alloc : null;
  }

  async reply(ws, m, cls, attrs, key) {
    const out = await stun.build(m.method, cls, m.tid, attrs, key);
    try {
      ws.send(out);
    } catch {
      /* gone */
    }
  }

  async error(ws, m, code, reason, a) {
    const attrs = [[stun.A.ERROR_CODE, stun.errorValue(code, reason)]];
    if (code === 401 || code === 438) {
      a.nonce = crypto.randomUUID().replace(/-/g, "");
      this.net.save(ws, a);
      attrs.push([stun.A.REALM, new TextEncoder().encode(REALM)], [stun.A.NONCE, new TextEncoder().encode(a.nonce)]);
    }
    await this.reply(ws, m, stun.C.ERROR, attrs, null);
  }

  // The key for a request: {key} or {code, reason} to answer with.
  async credentials(a, m) {
    const user = stun.text(stun.attr(m, stun.A.USERNAME));
    const nonce = stun.text(stun.attr(m, stun.A.NONCE));
    if (user === null || !stun.attr(m, stun.A.MESSAGE_INTEGRITY)) return { code: 401, reason: "Unauthorized" };
    if (!a.nonce || nonce !== a.nonce) return { code: 438, reason: "Stale Nonce" };
    const colon = user.indexOf(":");
    const expiry = Number(user.slice(0, colon));
    if (colon < 1 || !Number.isInteger(expiry) || expiry <= now()) return { code: 401, reason: "Unauthorized" };
    if (user.slice(colon + 1) !== a.sub) return { code: 441, reason: "Wrong Credentials" };
    const net = this.net.store.network();
    const key = await stun.longTermKey(user, REALM, await turnPassword(net.turn_secret, user));
    if (!(await stun.checkIntegrity(m, key))) return { code: 401, reason: "Unauthorized" };
    return { key, user };
  }

  async request(ws, m) {
    const a = this.net.att(ws);
    if (a.closed) return;
    if (m.method === stun.M.BINDING) {
      return this.reply(ws, m, stun.C.SUCCESS, [[stun.A.XOR_MAPPED_ADDRESS, stun.xorAddressValue(a.alloc ? a.alloc.relay : "127.0.0.1:1234", m.tid)]], null);
    }
    if (m.method === stun.M.ALLOCATE) return this.allocate(ws, a, m);
    const alloc = this.live(a);
    if (!alloc) return this.error(ws, m, 437, "Allocation Mismatch", a);
    const c = await this.credentials(a, m);
    if (c.code) return this.error(ws, m, c.code, c.reason, a);
    const key = c.key;
    switch (m.method) {
      case stun.M.REFRESH: {
        const lt = stun.attr(m, stun.A.LIFETIME);
        let want = lt && lt.value.length === 4 ? new DataView(lt.value.buffer, lt.value.byteOffset).getUint32(0) : DEFAULT_LIFETIME;
        if (want === 0) {
          this.index().delete(alloc.relay);
          a.alloc = null;
          this.net.save(ws, a);
          return this.reply(ws, m, stun.C.SUCCESS, [[stun.A.LIFETIME, stun.u32(0)]], key);
        }
        want = Math.min(Math.max(want, DEFAULT_LIFETIME), MAX_LIFETIME);
        alloc.exp = now() + want;
        this.net.save(ws, a);
        return this.reply(ws, m, stun.C.SUCCESS, [[stun.A.LIFETIME, stun.u32(want)]], key);
      }
      case stun.M.PERMISSION: {
        const peers = m.attrs.filter((x) => x.type === stun.A.XOR_PEER_ADDRESS).map((x) => stun.xorAddress(x, m.tid));
        if (peers.length === 0 || peers.includes(null)) return this.error(ws, m, 400, "Bad Request", a);
        for (const p of peers) alloc.pm[stun.ipOf(p)] = now() + PERMISSION_S;
        this.prune(alloc);
        this.net.save(ws, a);
        return this.reply(ws, m, stun.C.SUCCESS, [], key);
      }
      case stun.M.CHANNEL_BIND: {
        const chA = stun.attr(m, stun.A.CHANNEL_NUMBER);
        const peer = stun.xorAddress(stun.attr(m, stun.A.XOR_PEER_ADDRESS), m.tid);
        const ch = chA && chA.value.length === 4 ? (chA.value[0] << 8) | chA.value[1] : 0;
        if (ch < 0x4000 || ch > 0x7ffe || peer === null) return this.error(ws, m, 400, "Bad Request", a);
        this.prune(alloc);
        const bound = alloc.ch[ch];
        const other = Object.entries(alloc.ch).find(([k, v]) => v[0] === peer && Number(k) !== ch);
        if ((bound && bound[0] !== peer) || other) return this.error(ws, m, 400, "Bad Request", a);
        alloc.ch[ch] = [peer, now() + CHANNEL_S];
        alloc.pm[stun.ipOf(peer)] = now() + PERMISSION_S;
        this.net.save(ws, a);
        return this.reply(ws, m, stun.C.SUCCESS, [], key);
      }
    }
    return this.error(ws, m, 400, "Bad Request", a);
  }

  async allocate(ws, a, m) {
    if (!stun.attr(m, stun.A.USERNAME)) return this.error(ws, m, 401, "Unauthorized", a);
    const c = await this.credentials(a, m);
    if (c.code) return this.error(ws, m, c.code, c.reason, a);
    if (this.live(a)) return this.error(ws, m, 437, "Allocation Mismatch", a);
    const rt = stun.attr(m, stun.A.REQUESTED_TRANSPORT);
    if (!rt || rt.value[0] !== UDP) return this.error(ws, m, 442, "Unsupported Transport Protocol", a);
    const lt = stun.attr(m, stun.A.LIFETIME);
    let life = lt && lt.value.length === 4 ? new DataView(lt.value.buffer, lt.value.byteOffset).getUint32(0) : DEFAULT_LIFETIME;
    life = Math.min(Math.max(life, DEFAULT_LIFETIME), MAX_LIFETIME);
    const relays = this.index();
    let relay;
    for (let i = 0; i < 65534; i++) {
      relay = relayAddr(this.net.store.relayNext());
      if (!relays.has(relay)) break;
    }
    a.alloc = { relay, exp: now() + life, pm: {}, ch: {}, ak: hex(c.key) };
    this.net.save(ws, a);
    relays.set(relay, ws);
    return this.reply(
      ws,
      m,
      stun.C.SUCCESS,
      [
        [stun.A.XOR_RELAYED_ADDRESS, stun.xorAddressValue(relay, m.tid)],
        [stun.A.LIFETIME, stun.u32(life)],
        [stun.A.XOR_MAPPED_ADDRESS, stun.xorAddressValue(relay, m.tid)],
      ],
      c.key,
    );
  }

  prune(alloc) {
    const t = now();
    for (const [ip, exp] of Object.entries(alloc.pm)) if (exp <= t) delete alloc.pm[ip];
    for (const [ch, [, exp]] of Object.entries(alloc.ch)) if (exp <= t) delete alloc.ch[ch];
  }

  permitted(alloc, ip) {
    const exp = alloc.pm[ip];
    return exp !== undefined && exp > now();
  }

  // From allocation `from` (relay address) to peer address `to`: the data, if both permit it.
  deliver(fromAlloc, to, data) {
    if (!this.permitted(fromAlloc, stun.ipOf(to))) return;
    const target = this.index().get(to);
    if (!target) return;
    const ta = this.net.att(target);
    const talloc = this.live(ta);
    if (!talloc || ta.closed || talloc.relay !== to || !this.permitted(talloc, stun.ipOf(fromAlloc.relay))) return;
    const t = now();
    const ch = Object.entries(talloc.ch).find(([, [peer, exp]]) => peer === fromAlloc.relay && exp > t);
    let out;
    if (ch) out = stun.channelData(Number(ch[0]), data);
    else
      out = stun.buildSync(stun.M.DATA, stun.C.INDICATION, crypto.getRandomValues(new Uint8Array(12)), [
        [stun.A.XOR_PEER_ADDRESS, stun.xorAddressValue(fromAlloc.relay)],
        [stun.A.DATA, data],
      ]);
    try {
      target.send(out);
    } catch {
      /* gone */
    }
  }

  sendIndication(ws, a, m) {
    const alloc = this.live(a);
    const peer = stun.xorAddress(stun.attr(m, stun.A.XOR_PEER_ADDRESS), m.tid);
    const data = stun.attr(m, stun.A.DATA);
    if (!alloc || peer === null || !data) return;
    this.deliver(alloc, peer, data.value);
  }

  channelData(ws, a, b) {
    const alloc = this.live(a);
    if (!alloc) return;
    const ch = (b[0] << 8) | b[1], len = (b[2] << 8) | b[3];
    if (4 + len > b.length) return;
    const bound = alloc.ch[ch];
    if (!bound || bound[1] <= now()) return;
    this.deliver(alloc, bound[0], b.subarray(4, 4 + len));
  }
}

export { hex, unhex };
