// vectors.test.mjs - tests/data/sig against the server: every invalid vector,
// sent as a connection's first message, closes it with 1007 (1009 when too
// large) and a reason containing invalid.tsv's text; the valid ones are
// accepted: joins announced re-encoded (the schema's order, unknown fields
// dropped), offers, answers and candidates relayed byte for byte, and the
// server's own types from a client ignored.
import { test } from "node:test";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client, register, invite, joined, assert, KEY_B } from "./lib.mjs";

const here = path.dirname(fs.realpathSync(fileURLToPath(import.meta.url)));
const data = process.env.RG_SIG_DATA || path.join(here, "../../tests/data/sig");
const vectors = fs.existsSync(data) ? data : path.join(process.env.SOURCE_ROOT || "", "tests/data/sig");
const tsv = fs
  .readFileSync(path.join(vectors, "invalid.tsv"), "utf8")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => l.split("\t"));

test("every invalid vector is refused with its reason", async () => {
  const dev = await register("vectors");
  assert.equal(tsv.length, fs.readdirSync(path.join(vectors, "invalid")).length);
  for (const [name, want] of tsv) {
    const bytes = fs.readFileSync(path.join(vectors, "invalid", `${name}.json`));
    const c = new Client("/connect", dev.access);
    await c.opened;
    c.ws.send(bytes, { binary: false });
    await c.closedWith(name === "too-large" ? 1009 : 1007, want);
  }
});

test("valid joins are announced re-encoded", async () => {
  const [t1, t2, t3] = invite(3);
  const home = await register("home", t1), laptop = await register("laptop", t2), pc = await register("pc", t3);
  const h = await joined(home, KEY_B);
  for (const [dev, file, expect] of [
    [laptop, "join-minimal", { peerId: "laptop", publicKey: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" }],
    [laptop, "join-full", null],
    [pc, "join-unknown-fields", { peerId: "pc", publicKey: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" }],
  ]) {
    const text = fs.readFileSync(path.join(vectors, "valid", `${file}.json`), "utf8");
    const c = new Client("/connect", dev.access);
    await c.opened;
    c.send(text);
    const list = await c.next("the peers list");
    assert.equal(list, JSON.stringify({ type: "peers", peers: [{ peerId: "home", publicKey: KEY_B }] }));
    const want = expect || (({ type, ...rest }) => rest)(JSON.parse(text));
    assert.equal(await h.c.next(`${file} announced`), JSON.stringify({ type: "peers", peers: [want] }));
    c.close();
    await c.until(() => c.closed !== null, "closed");
    assert.equal(await h.c.next("peer-left"), JSON.stringify({ type: "peer-left", peerId: dev.name }));
  }
  h.c.close();
});

test("valid offers, answers and candidates are relayed verbatim; the server's own types ignored", async () => {
  const [t1, t2, t3] = invite(3);
  const home = await register("home", t1), laptop = await register("laptop", t2), buero = await register("büro-pc", t3);
  const h = await joined(home, KEY_B);
  const l = await joined(laptop);
  await h.c.next("laptop announced");
  for (const [file, from, to] of [
    ["offer", h, l],
    ["offer-no-key", h, l],
    ["answer", l, h],
    ["ice-candidate", l, h],
  ]) {
    const text = fs.readFileSync(path.join(vectors, "valid", `${file}.json`), "utf8");
    from.c.send(text);
    assert.equal(await to.c.next(file), text);
  }
  const b = await joined(buero);
  for (const file of ["peers-empty", "peers-null", "peers-two", "peers-metadata", "peer-left", "name-utf8"])
    b.c.send(fs.readFileSync(path.join(vectors, "valid", `${file}.json`), "utf8"));
  await b.c.quiet();
  await h.c.next("büro-pc announced");
  await l.c.next("büro-pc announced");
  await h.c.quiet(100);
  for (const x of [h, l, b]) x.c.close();
});
