// hub.test.mjs - the hub's rules (docs/protocol/signaling.md): who may join
// under which name, the peers lists, routing, replacement, leaving,
// revocation, the close codes and reasons, the limits.
import { test } from "node:test";
import { Client, register, invite, joined, join, http, expectError, upgradeRefused, forged, assert, sleep, KEY_A, KEY_B } from "./lib.mjs";

let devs;
test("devices", async () => {
  const t = invite(4);
  devs = {};
  for (const [i, n] of ["alice", "bob", "carol", "dave"].entries()) devs[n] = await register(n, t[i]);
});

test("the upgrade wants a valid bearer token; refusals are JSON errors", async () => {
  for (const token of [null, "nonsense", forged(devs.alice.access)]) {
    const c = new Client("/connect", token);
    await assert.rejects(c.opened, (e) => e.status === 401);
  }
  const r1 = await expectError(upgradeRefused("/connect"), 401, "missing authorization");
  assert.equal(r1.headers.get("www-authenticate"), "Bearer");
  await expectError(upgradeRefused("/connect", "nonsense"), 401, "invalid or expired token");
});

test("joiner gets the others sorted by name; they get the joiner", async () => {
  const c = await joined(devs.carol, KEY_B, { address: "10.99.0.3/27" });
  assert.deepEqual(c.peers, []);
  const a = await joined(devs.alice, KEY_A, { routes: ["192.168.1.0/24"], metadata: { wg: "direct" } });
  assert.deepEqual(a.peers, [{ peerId: "carol", publicKey: KEY_B, address: "10.99.0.3/27" }]);
  assert.equal(await c.c.next(), JSON.stringify({ type: "peers", peers: [{ peerId: "alice", publicKey: KEY_A, routes: ["192.168.1.0/24"], metadata: { wg: "direct" } }] }));
  const b = await joined(devs.bob);
  assert.deepEqual(b.peers.map((p) => p.peerId), ["alice", "carol"]);
  await a.c.next("bob announced");
  await c.c.next("bob announced");
  // routing: verbatim to `to`; an unknown `to` dropped; from must be one's own name
  const offer = `{"type":"offer","from":"bob","to":"alice","sdp":"v=0\\r\\n" ,"x":1}`;
  b.c.send(offer);
  assert.equal(await a.c.next("the offer"), offer);
  b.c.send({ type: "ice-candidate", from: "bob", to: "nobody", candidate: "candidate:1 1 udp 1 1.2.3.4 5 typ host" });
  await b.c.quiet(200);
  // a client's peers and peer-left are ignored
  b.c.send({ type: "peer-left", peerId: "alice" });
  await a.c.quiet(200);
  b.c.send({ type: "answer", from: "alice", to: "carol", sdp: "v=0" });
  await b.c.closedWith(1008, 'answer: from "alice" is not your name ("bob")');
  assert.equal(await a.c.next("peer-left"), JSON.stringify({ type: "peer-left", peerId: "bob" }));
  assert.equal(await c.c.next("peer-left"), JSON.stringify({ type: "peer-left", peerId: "bob" }));
  // a join under the same name replaces the older connection, with no peer-left
  const a2 = await joined(devs.alice);
  assert.deepEqual(a2.peers.map((p) => p.peerId), ["carol"]);
  await a.c.closedWith(4000, "replaced by a newer connection");
  assert.equal(await c.c.next("alice again"), JSON.stringify({ type: "peers", peers: [{ peerId: "alice", publicKey: KEY_A }] }));
  await c.c.quiet(300);
  a2.c.close();
  assert.equal(await c.c.next("peer-left"), JSON.stringify({ type: "peer-left", peerId: "alice" }));
  c.c.close();
});

test("what closes a connection, and with what", async () => {
  const cases = [
    [[{ type: "offer", from: "dave", to: "x", sdp: "v=0" }], 1008, "the first message must be join, not offer"],
    [[join({ name: "alice" })], 1008, 'join: peerId "alice" is not the name your token grants ("dave")'],
    [[join(devs.dave), join(devs.dave)], 1008, "join sent twice on one connection"],
    [["{"], 1007, "malformed JSON"],
    [[join(devs.dave), "x".repeat(65537)], 1009, "at most 65536"],
  ];
  for (const [msgs, code, reason] of cases) {
    const c = new Client("/connect", devs.dave.access);
    await c.opened;
    for (const m of msgs) c.send(m);
    await c.closedWith(code, reason);
  }
  const c = new Client("/connect", devs.dave.access);
  await c.opened;
  c.ws.send(Buffer.from("hello"), { binary: true });
  await c.closedWith(1003, "binary frames are not signaling");
});

test("the message rate is limited per connection", async () => {
  const d = await joined(devs.dave);
  const cand = JSON.stringify({ type: "ice-candidate", from: "dave", to: "nobody", candidate: "candidate:1" });
  for (let i = 0; i < 260; i++) d.c.send(cand);
  await d.c.closedWith(1008, "rate limit: more than 50 messages or 262144 bytes/s");
});

test("a revoked device is closed at once (4001) and its peers told", async () => {
  const a = await joined(devs.alice);
  const c = await joined(devs.carol);
  await a.c.next("carol announced");
  const r = await http("DELETE", `/auth/devices/${devs.carol.id}`, { token: devs.alice.access });
  assert.equal(r.status, 200);
  await c.c.closedWith(4001, "credentials revoked");
  assert.equal(await a.c.next("peer-left"), JSON.stringify({ type: "peer-left", peerId: "carol" }));
  const again = new Client("/connect", devs.carol.access);
  await assert.rejects(again.opened, (e) => e.status === 401);
  a.c.close();
});

test("status counts connections", async () => {
  const r = await http("GET", "/status");
  assert.equal(r.status, 200);
  assert.equal(typeof r.body.connections, "number");
  assert.match(r.body.version, /^\d+\.\d+\.\d+/);
  await sleep(10);
});
