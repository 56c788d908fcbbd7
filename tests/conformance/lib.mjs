// lib.mjs - what the conformance tests share: the server under test (RG_URL,
// RG_INVITE from run.sh), HTTP, registration, and a WebSocket client that
// records every message and the close code and reason. Every wait is bounded.
import { execFileSync } from "node:child_process";
import { after } from "node:test";
import { request as httpRequest } from "node:http";
import assert from "node:assert/strict";
import WebSocket from "ws";

export const URL_ = process.env.RG_URL;
export const WS_URL = URL_.replace(/^http/, "ws");
export const TARGET = process.env.RG_TARGET;
export const KEY_A = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
export const KEY_B = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

export function invite(n = 1) {
  const out = execFileSync(process.env.RG_INVITE, [String(n)], { encoding: "utf8" });
  const tokens = out.split("\n").filter((l) => l.startsWith("rgj_"));
  assert.equal(tokens.length, n, `invite gave ${out}`);
  return tokens;
}

// One request on a connection of its own (no keep-alive: a server may close an idle
// one just as a pooled request goes out): {status, body (parsed JSON or null), text, headers}
export function http(method, path, { body, token, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const data = typeof body === "string" || body === undefined ? body : JSON.stringify(body);
  if (data !== undefined) h["content-length"] = String(Buffer.byteLength(data));
  return raw(method, path, h, data);
}

function raw(method, path, headers, data) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(URL_ + path, { method, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        let parsed = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode, body: parsed, text, headers: new Headers(res.headers) });
      });
    });
    req.on("upgrade", () => reject(new Error("upgraded")));
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("timed out")));
    req.end(data);
  });
}

// An upgrade request, refused: {status, body, text, headers}
export function upgradeRefused(path, token) {
  const headers = { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" };
  if (token) headers.authorization = `Bearer ${token}`;
  return raw("GET", path, headers, undefined);
}

// A token whose MAC no longer matches: one character in the middle of its
// signature changed (the last one holds padding bits a lenient decoder ignores:
// "...xw" read as "...xx" is the same MAC, 1 run in 1024)
export function forged(token) {
  const i = token.length - 10;
  return token.slice(0, i) + (token[i] === "A" ? "B" : "A") + token.slice(i + 1);
}

export async function expectError(res, status, reason) {
  const r = await res;
  assert.equal(r.status, status, `status of ${r.text}`);
  assert.deepEqual(r.body, { error: reason });
  return r;
}

// A registered device: {name, id, access, refresh, address, session}
export async function register(name, token = invite()[0]) {
  const r = await http("POST", "/auth/register", { body: { device_name: name, join_token: token } });
  assert.equal(r.status, 200, `register ${name}: ${r.text}`);
  return { name, id: r.body.device_id, access: r.body.access_token, refresh: r.body.refresh_token, address: r.body.address, session: r.body };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// every socket ends with the file, passed or failed (an open one would keep node running)
const all = new Set();
after(() => {
  for (const c of all) c.ws.terminate();
});

// A WebSocket that keeps what it receives. open: resolves on open, rejects with the HTTP status.
export class Client {
  constructor(path, token) {
    this.msgs = [];
    this.closed = null; // {code, reason}
    this.waiters = [];
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    this.ws = new WebSocket(WS_URL + path, { headers, maxPayload: 4 << 20 });
    all.add(this);
    this.opened = new Promise((resolve, reject) => {
      this.ws.on("open", resolve);
      this.ws.on("unexpected-response", (req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      this.ws.on("error", reject);
    });
    this.ws.on("message", (data, binary) => {
      this.msgs.push(binary ? data : data.toString("utf8"));
      this.poke();
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString("utf8") };
      this.poke();
    });
    this.ws.on("error", () => {});
  }

  poke() {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(cond, what, ms = 5000) {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.msgs.map(String))} closed ${JSON.stringify(this.closed)}`);
      await new Promise((r) => {
        this.waiters.push(r);
        setTimeout(r, Math.min(left, 100));
      });
    }
  }

  // text as it is, bytes as a binary frame, anything else as JSON text
  send(x) {
    this.ws.send(typeof x === "string" || x instanceof Uint8Array ? x : JSON.stringify(x));
  }

  // the next message not yet taken
  async next(what = "a message", ms) {
    this.taken = this.taken || 0;
    await this.until(() => this.msgs.length > this.taken, what, ms);
    return this.msgs[this.taken++];
  }

  async closedWith(code, reasonPart, ms) {
    await this.until(() => this.closed !== null, `a close ${code}`, ms);
    assert.equal(this.closed.code, code, `close code (reason "${this.closed.reason}")`);
    if (reasonPart !== undefined) assert.ok(this.closed.reason.includes(reasonPart), `close reason "${this.closed.reason}" lacks "${reasonPart}"`);
  }

  // nothing more arrives within ms, and the socket stays open
  async quiet(ms = 300) {
    const n = this.msgs.length;
    await sleep(ms);
    assert.equal(this.msgs.length, n, `unexpected: ${JSON.stringify(this.msgs.slice(n).map(String))}`);
    assert.equal(this.closed, null, `closed: ${JSON.stringify(this.closed)}`);
  }

  close() {
    try {
      this.ws.close(1000);
    } catch {
      /* gone */
    }
  }
}

export const join = (dev, key = KEY_A, extra = {}) => ({ type: "join", peerId: dev.name, publicKey: key, ...extra });

// A connected and joined client: {c, peers (its first message, parsed)}
export async function joined(dev, key = KEY_A, extra = {}) {
  const c = new Client("/connect", dev.access);
  await c.opened;
  c.send(join(dev, key, extra));
  const first = JSON.parse(await c.next("the peers list"));
  assert.equal(first.type, "peers");
  return { c, peers: first.peers };
}

export { sleep, assert };
