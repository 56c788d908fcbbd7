// auth.test.mjs - the HTTP auth API (docs/protocol/auth.md): register,
// reclaim, refresh rotation and reuse detection, the device list, revoke,
// and every error with its status and text.
import { test } from "node:test";
import { Client, register, invite, joined, http, expectError, assert } from "./lib.mjs";

const TURN_USER = /^[0-9]{10}:[0-9a-f-]{36}$/;

test("register: a session, the lowest free address, TURN credentials", async () => {
  const a = await register("alpha");
  const s = a.session;
  assert.deepEqual(Object.keys(s), ["device_id", "access_token", "refresh_token", "expires_in", "address", "subnet", "network", "server_url", "ice_servers"]);
  assert.match(s.device_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(s.refresh_token, /^rgr_[0-9a-f]{64}$/);
  assert.equal(s.access_token.split(".").length, 3);
  assert.equal(s.expires_in, 3600);
  assert.equal(s.address, "10.99.0.1/27");
  assert.equal(s.subnet, "10.99.0.0/27");
  assert.equal(s.network, "conf");
  const turn = s.ice_servers.filter((x) => x.username !== undefined);
  assert.ok(turn.length >= 1, "a TURN server");
  for (const t of turn) {
    assert.match(t.username, TURN_USER);
    assert.ok(t.username.endsWith(":" + s.device_id));
    assert.match(t.credential, /^[A-Za-z0-9+/]{27}=$/);
  }
  const head = JSON.parse(Buffer.from(s.access_token.split(".")[0], "base64url"));
  assert.deepEqual(Object.keys(head), ["alg", "typ", "kid"]);
  assert.equal(head.alg, "HS256");
  const claims = JSON.parse(Buffer.from(s.access_token.split(".")[1], "base64url"));
  assert.deepEqual(Object.keys(claims).sort(), ["exp", "fam", "iat", "name", "net", "sub"]);
  assert.equal(claims.exp - claims.iat, 3600);
  assert.equal(claims.name, "alpha");
  assert.equal(claims.net, "conf");
  const b = await register("bravo");
  assert.equal(b.address, "10.99.0.2/27");
});

test("register: errors", async () => {
  const [t] = invite();
  const bad = [
    ["not json", "invalid request body"],
    ["[]", "invalid request body"],
    [{ device_name: 7, join_token: t }, "invalid request body"],
    [{ join_token: t }, "device_name is required"],
    [{ device_name: "", join_token: t }, "device_name is required"],
    [{ device_name: "x" }, "join_token is required"],
    [{ device_name: "a/b", join_token: t }, "device_name must be 1 to 64 bytes of text, no '/', no space at either end"],
    [{ device_name: " a", join_token: t }, "device_name must be 1 to 64 bytes of text, no '/', no space at either end"],
    [{ device_name: "a\u0085b", join_token: t }, "device_name must be 1 to 64 bytes of text, no '/', no space at either end"],
    [{ device_name: "x".repeat(65), join_token: t }, "device_name must be 1 to 64 bytes of text, no '/', no space at either end"],
    [{ device_name: "x", join_token: "rgj_ a" }, "malformed token"],
  ];
  for (const [body, reason] of bad) await expectError(http("POST", "/auth/register", { body }), 400, reason);
  // none of those consumed the token
  await register("charlie", t);
  await expectError(http("POST", "/auth/register", { body: { device_name: "delta", join_token: t } }), 401, "invalid or used join token");
  await expectError(http("POST", "/auth/register", { body: "x".repeat(5000) }), 413, "request body too large");
  await expectError(http("GET", "/auth/register"), 405, "method not allowed");
  await expectError(http("GET", "/auth/nothing"), 404, "not found");
});

test("register again by name: the same device and address, older tokens void", async () => {
  const e1 = await register("echo");
  const live = await joined(e1);
  const e2 = await register("echo");
  assert.equal(e2.id, e1.id);
  assert.equal(e2.address, e1.address);
  await live.c.closedWith(4001, "credentials revoked");
  await expectError(http("POST", "/auth/refresh", { body: { device_id: e1.id, refresh_token: e1.refresh } }), 401, "invalid refresh token");
  await expectError(http("GET", "/auth/devices", { token: e1.access }), 401, "invalid or expired token");
  assert.equal((await http("GET", "/auth/devices", { token: e2.access })).status, 200);
});

test("refresh rotates; a reused token revokes its family", async () => {
  const f = await register("foxtrot");
  const r1 = await http("POST", "/auth/refresh", { body: { device_id: f.id, refresh_token: f.refresh } });
  assert.equal(r1.status, 200);
  assert.deepEqual(Object.keys(r1.body), ["access_token", "refresh_token", "expires_in", "ice_servers"]);
  assert.notEqual(r1.body.refresh_token, f.refresh);
  const r2 = await http("POST", "/auth/refresh", { body: { device_id: f.id, refresh_token: r1.body.refresh_token } });
  assert.equal(r2.status, 200);
  const live = await joined({ ...f, access: r2.body.access_token });
  // the first token again: a thief; the whole family goes
  await expectError(http("POST", "/auth/refresh", { body: { device_id: f.id, refresh_token: f.refresh } }), 401, "refresh token reused: its token family is revoked");
  await live.c.closedWith(4001, "credentials revoked");
  await expectError(http("POST", "/auth/refresh", { body: { device_id: f.id, refresh_token: r2.body.refresh_token } }), 401, "invalid refresh token");
  await expectError(http("GET", "/auth/devices", { token: r2.body.access_token }), 401, "invalid or expired token");
  await expectError(http("POST", "/auth/refresh", { body: { device_id: "00000000-0000-4000-8000-000000000000", refresh_token: "rgr_x" } }), 401, "device not found or revoked");
  await expectError(http("POST", "/auth/refresh", { body: { device_id: f.id } }), 400, "refresh_token is required");
  await expectError(http("POST", "/auth/refresh", { body: { refresh_token: "x" } }), 400, "device_id is required");
});

test("a refresh repeated once within 60 s (a lost answer) gets the same successor", async () => {
  const k = await register("kilo");
  const body = { device_id: k.id, refresh_token: k.refresh };
  const r1 = await http("POST", "/auth/refresh", { body });
  assert.equal(r1.status, 200);
  const again = await http("POST", "/auth/refresh", { body });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.refresh_token, r1.body.refresh_token, "the same successor");
  assert.equal((await http("GET", "/auth/devices", { token: again.body.access_token })).status, 200);
  // a second repeat is a reuse: the family goes
  await expectError(http("POST", "/auth/refresh", { body }), 401, "refresh token reused: its token family is revoked");
  await expectError(http("POST", "/auth/refresh", { body: { device_id: k.id, refresh_token: r1.body.refresh_token } }), 401, "invalid refresh token");
  // a repeat once the successor was used is a reuse too
  const l = await register("lima");
  const s1 = await http("POST", "/auth/refresh", { body: { device_id: l.id, refresh_token: l.refresh } });
  const s2 = await http("POST", "/auth/refresh", { body: { device_id: l.id, refresh_token: s1.body.refresh_token } });
  assert.equal(s2.status, 200);
  await expectError(http("POST", "/auth/refresh", { body: { device_id: l.id, refresh_token: l.refresh } }), 401, "refresh token reused: its token family is revoked");
});

test("devices and revoke", async () => {
  const g = await register("golf"), h = await register("hotel");
  await expectError(http("GET", "/auth/devices"), 401, "missing authorization");
  await expectError(http("GET", "/auth/devices", { headers: { authorization: "Basic x" } }), 401, "missing authorization");
  const list = await http("GET", "/auth/devices", { token: g.access });
  assert.equal(list.status, 200);
  const names = list.body.devices.map((d) => d.device_name);
  assert.deepEqual(names.slice(-2), ["golf", "hotel"]);
  const dh = list.body.devices.find((d) => d.device_name === "hotel");
  assert.deepEqual(Object.keys(dh), ["device_id", "device_name", "address", "created_at", "last_seen_at", "revoked"]);
  assert.equal(dh.revoked, false);
  assert.equal(typeof dh.created_at, "number");
  await expectError(http("DELETE", `/auth/devices/${g.id}`, { token: g.access }), 400, "cannot revoke your own device");
  await expectError(http("DELETE", "/auth/devices/00000000-0000-4000-8000-000000000000", { token: g.access }), 404, "device not found");
  await expectError(http("DELETE", "/auth/devices/NOT-AN-ID", { token: g.access }), 404, "device not found");
  const r = await http("DELETE", `/auth/devices/${h.id}`, { token: g.access });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { ok: true });
  await expectError(http("DELETE", `/auth/devices/${h.id}`, { token: g.access }), 404, "device not found");
  const after = await http("GET", "/auth/devices", { token: g.access });
  assert.equal(after.body.devices.find((d) => d.device_id === h.id).revoked, true);
  await expectError(http("POST", "/auth/refresh", { body: { device_id: h.id, refresh_token: h.refresh } }), 401, "device not found or revoked");
  await expectError(http("GET", "/auth/devices", { token: h.access }), 401, "invalid or expired token");
  // its address is free for the next one
  const i = await register("india");
  assert.equal(i.address, h.address);
});

test("the subnet fills: 507", async () => {
  const list = await http("GET", "/auth/devices", { token: (await register("juliet")).access });
  const live = list.body.devices.filter((d) => !d.revoked).length;
  const tokens = invite(30 - live + 1);
  for (let i = 0; i < 30 - live; i++) await register(`filler-${i}`, tokens[i]);
  await expectError(http("POST", "/auth/register", { body: { device_name: "one-too-many", join_token: tokens[30 - live] } }), 507, "no addresses available in subnet");
  // ... and a name already there still reclaims its address
  const [t] = invite();
  const again = await register("filler-0", t);
  assert.match(again.address, /^10\.99\.0\.\d+\/27$/);
});
