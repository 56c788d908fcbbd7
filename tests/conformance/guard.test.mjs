// guard.test.mjs - token guessing is slowed per source address: ten wrong
// tokens, then 429 with Retry-After before any token is read (the right one
// too); right tokens cost nothing.
import { test } from "node:test";
import { Client, register, invite, http, expectError, upgradeRefused, assert } from "./lib.mjs";

test("ten wrong tokens, then 429", async () => {
  const dev = await register("guarded");
  const [good] = invite();
  // right tokens cost nothing
  for (let i = 0; i < 12; i++) assert.equal((await http("GET", "/auth/devices", { token: dev.access })).status, 200);
  // an expired or missing authorization costs nothing either
  for (let i = 0; i < 3; i++) await expectError(http("GET", "/auth/devices"), 401, "missing authorization");
  for (let i = 0; i < 4; i++)
    await expectError(http("POST", "/auth/register", { body: { device_name: "x", join_token: `rgj_${"0".repeat(31)}${i}` } }), 401, "invalid or used join token");
  for (let i = 0; i < 3; i++) await expectError(http("GET", "/auth/devices", { token: "forged.token.here" }), 401, "invalid or expired token");
  for (let i = 0; i < 2; i++) {
    const c = new Client("/connect", `${dev.access}x`);
    await assert.rejects(c.opened, (e) => e.status === 401);
  }
  await expectError(http("POST", "/auth/refresh", { body: { device_id: dev.id, refresh_token: "rgr_wrong" } }), 401, "invalid refresh token");
  // the eleventh: refused before its token is read, the right one too
  const r = await expectError(http("POST", "/auth/register", { body: { device_name: "y", join_token: good } }), 429, "too many wrong tokens from this address; retry later");
  const after = Number(r.headers.get("retry-after"));
  assert.ok(after >= 1 && after <= 10, `Retry-After ${after}`);
  await expectError(http("GET", "/auth/devices", { token: dev.access }), 429, "too many wrong tokens from this address; retry later");
  const c = new Client("/connect", dev.access);
  await assert.rejects(c.opened, (e) => e.status === 429);
  const u = await expectError(upgradeRefused("/connect", dev.access), 429, "too many wrong tokens from this address; retry later");
  assert.ok(Number(u.headers.get("retry-after")) >= 1);
});
