// relay.test.mjs - the Worker's TURN over WebSocket (/turn), with a TURN
// client written here on node's crypto (not the Worker's codec): credentials
// (401 with realm and nonce, a wrong password, another device's username, a
// stale nonce), Allocate, CreatePermission on both sides (the receiver's
// too), Send/Data indications, ChannelBind and ChannelData, Refresh to 0,
// and the relay state surviving the Durable Object's eviction.
import { test } from "node:test";
import crypto from "node:crypto";
import fs from "node:fs";
import { Client, register, invite, assert, sleep } from "./lib.mjs";

const COOKIE = 0x2112a442;
const A = { USERNAME: 6, MI: 8, ERROR: 9, CHANNEL: 0x0c, LIFETIME: 0x0d, PEER: 0x12, DATA: 0x13, REALM: 0x14, NONCE: 0x15, RELAYED: 0x16, TRANSPORT: 0x19, FINGERPRINT: 0x8028 };
const T = { ALLOCATE: 0x0003, REFRESH: 0x0004, SEND_IND: 0x0016, DATA_IND: 0x0017, PERMISSION: 0x0008, BIND: 0x0009 };

function xorAddr(addr) {
  const [ip, port] = addr.split(":");
  const b = Buffer.alloc(8);
  b[1] = 1;
  b.writeUInt16BE(Number(port) ^ (COOKIE >>> 16), 2);
  b.writeUInt32BE((ip.split(".").reduce((a, x) => (a << 8) | Number(x), 0) ^ COOKIE) >>> 0, 4);
  return b;
}
function unxor(b) {
  const ip = (b.readUInt32BE(4) ^ COOKIE) >>> 0;
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${b.readUInt16BE(2) ^ (COOKIE >>> 16)}`;
}

function msg(type, attrs, key) {
  const parts = [];
  for (const [t, v] of attrs) {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(t, 0);
    h.writeUInt16BE(v.length, 2);
    parts.push(h, v, Buffer.alloc((4 - (v.length % 4)) % 4));
  }
  let body = Buffer.concat(parts);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(type, 0);
  head.writeUInt32BE(COOKIE, 4);
  crypto.randomFillSync(head, 8, 12);
  if (key) {
    head.writeUInt16BE(body.length + 24, 2);
    const mac = crypto.createHmac("sha1", key).update(Buffer.concat([head, body])).digest();
    const h = Buffer.alloc(4);
    h.writeUInt16BE(A.MI, 0);
    h.writeUInt16BE(20, 2);
    body = Buffer.concat([body, h, mac]);
  }
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function parse(b) {
  const out = { type: b.readUInt16BE(0), attrs: {} };
  for (let off = 20; off < b.length; ) {
    const t = b.readUInt16BE(off), l = b.readUInt16BE(off + 2);
    out.attrs[t] = b.subarray(off + 4, off + 4 + l);
    if (t === A.MI) out.miOffset = off;
    off += 4 + ((l + 3) & ~3);
  }
  return out;
}

// a TURN client on one /turn WebSocket of device dev
class Turn {
  constructor(dev) {
    this.dev = dev;
    this.c = new Client("/turn", dev.access);
    this.user = dev.session.ice_servers.find((s) => s.username).username;
    this.pass = dev.session.ice_servers.find((s) => s.username).credential;
  }
  async open() {
    await this.c.opened;
  }
  async request(m) {
    this.c.send(m);
    return parse(Buffer.from(await this.c.next("an answer")));
  }
  key(realm, user = this.user, pass = this.pass) {
    return crypto.createHash("md5").update(`${user}:${realm}:${pass}`).digest();
  }
  async allocate() {
    const r = await this.request(msg(T.ALLOCATE, [[A.TRANSPORT, Buffer.from([17, 0, 0, 0])]]));
    assert.equal(r.type, 0x0113);
    assert.equal(r.attrs[A.ERROR].readUInt8(3) + 100 * r.attrs[A.ERROR].readUInt8(2), 401);
    this.realm = r.attrs[A.REALM].toString();
    this.nonce = r.attrs[A.NONCE].toString();
    assert.equal(this.realm, "riftgate");
    const ok = await this.request(this.signed(T.ALLOCATE, [[A.TRANSPORT, Buffer.from([17, 0, 0, 0])]]));
    assert.equal(ok.type, 0x0103, "allocate success");
    // the answer is signed with our key
    const raw = Buffer.from(this.c.msgs[this.c.taken - 1]);
    const head = Buffer.from(raw.subarray(0, ok.miOffset));
    head.writeUInt16BE(ok.miOffset + 24 - 20, 2);
    assert.deepEqual(crypto.createHmac("sha1", this.key(this.realm)).update(head).digest(), ok.attrs[A.MI]);
    assert.ok(ok.attrs[A.FINGERPRINT]);
    this.relay = unxor(ok.attrs[A.RELAYED]);
    assert.match(this.relay, /^10\.255\.\d+\.\d+:50000$/);
    assert.equal(ok.attrs[A.LIFETIME].readUInt32BE(0), 600);
    return ok;
  }
  signed(type, attrs, user = this.user, pass = this.pass, nonce = this.nonce) {
    return msg(type, [[A.USERNAME, Buffer.from(user)], [A.REALM, Buffer.from(this.realm)], [A.NONCE, Buffer.from(nonce)], ...attrs], this.key(this.realm, user, pass));
  }
  async permit(addr) {
    const r = await this.request(this.signed(T.PERMISSION, [[A.PEER, xorAddr(addr)]]));
    assert.equal(r.type, 0x0108, "permission success");
  }
  async bind(ch, addr) {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(ch, 0);
    const r = await this.request(this.signed(T.BIND, [[A.CHANNEL, b], [A.PEER, xorAddr(addr)]]));
    return r.type;
  }
  sendTo(addr, data) {
    this.c.send(msg(T.SEND_IND, [[A.PEER, xorAddr(addr)], [A.DATA, data]]));
  }
  channel(ch, data) {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(ch, 0);
    b.writeUInt16BE(data.length, 2);
    this.c.send(Buffer.concat([b, data]));
  }
}

const errCode = (r) => r.attrs[A.ERROR].readUInt8(2) * 100 + r.attrs[A.ERROR].readUInt8(3);

test("credentials: realm and nonce, a wrong password, another device's name, a stale nonce", async () => {
  const [t1, t2] = invite(2);
  const a = await register("relay-a", t1), b = await register("relay-b", t2);
  const x = new Turn(a), y = new Turn(b);
  await x.open();
  const UDP = [A.TRANSPORT, Buffer.from([17, 0, 0, 0])];
  // an unsigned Allocate: 401 with the realm and a fresh nonce
  const fresh = async () => {
    const r = await x.request(msg(T.ALLOCATE, [UDP]));
    assert.equal(errCode(r), 401);
    x.realm = r.attrs[A.REALM].toString();
    x.nonce = r.attrs[A.NONCE].toString();
  };
  await fresh();
  assert.equal(x.realm, "riftgate");
  assert.equal(errCode(await x.request(x.signed(T.ALLOCATE, [UDP], x.user, "wrong"))), 401);
  await fresh();
  // b's credential on a's socket: the name is not the socket's device
  assert.equal(errCode(await x.request(x.signed(T.ALLOCATE, [UDP], y.user, y.pass))), 441);
  assert.equal(errCode(await x.request(x.signed(T.ALLOCATE, [UDP], x.user, x.pass, "stale"))), 438);
  await fresh();
  // TCP relays are not offered
  assert.equal(errCode(await x.request(x.signed(T.ALLOCATE, [[A.TRANSPORT, Buffer.from([6, 0, 0, 0])]]))), 442);
  // and no token, no socket
  const anon = new Client("/turn", null);
  await assert.rejects(anon.opened, (e) => e.status === 401);
  x.c.close();
});

let pair;
test("relaying: permissions on both sides, Send/Data, ChannelBind/ChannelData", async () => {
  const [t1, t2] = invite(2);
  const a = new Turn(await register("relay-c", t1)), b = new Turn(await register("relay-d", t2));
  await a.open();
  await b.open();
  await a.allocate();
  await b.allocate();
  assert.notEqual(a.relay, b.relay);
  const ipOf = (x) => x.split(":")[0];
  // no permission on a's side: dropped
  a.sendTo(b.relay, Buffer.from("one"));
  await b.c.quiet(200);
  await a.permit(b.relay);
  // b has not permitted a: dropped too (the reference delivered it)
  a.sendTo(b.relay, Buffer.from("two"));
  await b.c.quiet(200);
  await b.permit(a.relay);
  a.sendTo(b.relay, Buffer.from("three"));
  const d = parse(Buffer.from(await b.c.next("a Data indication")));
  assert.equal(d.type, T.DATA_IND);
  assert.equal(unxor(d.attrs[A.PEER]), a.relay);
  assert.equal(d.attrs[A.DATA].toString(), "three");
  assert.equal(ipOf(a.relay) === ipOf(b.relay), false);
  // channels: b binds 0x4001 to a, a binds 0x4000 to b
  assert.equal(await b.bind(0x4001, a.relay), 0x0109);
  assert.equal(await a.bind(0x4000, b.relay), 0x0109);
  assert.equal(await a.bind(0x3fff, b.relay), 0x0119, "a channel number out of range");
  a.channel(0x4000, Buffer.from("hello"));
  const cd = Buffer.from(await b.c.next("ChannelData"));
  assert.deepEqual(cd, Buffer.from([0x40, 0x01, 0x00, 0x05, ...Buffer.from("hello"), 0, 0, 0]));
  b.sendTo(a.relay, Buffer.from("back"));
  const back = Buffer.from(await a.c.next("ChannelData back"));
  assert.deepEqual(back.subarray(0, 8), Buffer.from([0x40, 0x00, 0x00, 0x04, ...Buffer.from("back")]));
  pair = { a, b };
});

test("the relay state survives the Durable Object's eviction", async () => {
  const { a, b } = pair;
  const ups = () => fs.readFileSync(process.env.RG_SERVER_LOG, "utf8").split("\n").filter((l) => l.startsWith("[network] up")).length;
  const before = ups();
  // workerd evicts an object idle for about 10 s; nothing reaches it meanwhile
  await sleep(13000);
  a.channel(0x4000, Buffer.from("after"));
  const cd = Buffer.from(await b.c.next("ChannelData after the eviction", 10000));
  assert.equal(ups(), before + 1, "the object was evicted and woke up once");
  assert.deepEqual(cd.subarray(0, 9), Buffer.from([0x40, 0x01, 0x00, 0x05, ...Buffer.from("after")]));
  // a Refresh with the same key still works, and lifetime 0 ends the allocation
  const r = await a.request(a.signed(T.REFRESH, [[A.LIFETIME, Buffer.from([0, 0, 0, 0])]]));
  assert.equal(r.type, 0x0104);
  a.channel(0x4000, Buffer.from("gone"));
  await b.c.quiet(300);
  const r2 = await a.request(a.signed(T.PERMISSION, [[A.PEER, xorAddr(b.relay)]]));
  assert.equal(errCode(r2), 437);
  a.c.close();
  b.c.close();
});
