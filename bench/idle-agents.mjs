// idle-agents.mjs URL N INVITE-CMD: register N devices with the server at URL
// (a join token each from INVITE-CMD N), connect each to /connect and join;
// print "connected N" and keep them open, idle, until stdin closes. For
// bench/rift-relay.sh: the server's memory with N idle agents.
import { execFileSync } from "node:child_process";
import WebSocket from "ws";

const [url, n, invite] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const tokens = execFileSync(invite, [String(n)], { encoding: "utf8" }).split("\n").filter((l) => l.startsWith("rgj_"));
const key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const sockets = [];
for (let i = 0; i < n; i++) {
  const name = `idle-${i}`;
  const r = await fetch(`${url}/auth/register`, { method: "POST", body: JSON.stringify({ device_name: name, join_token: tokens[i] }) });
  const s = await r.json();
  if (r.status !== 200) throw new Error(`register ${name}: ${JSON.stringify(s)}`);
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/connect", { headers: { authorization: `Bearer ${s.access_token}` } });
  await new Promise((ok, no) => {
    ws.on("open", () => ws.send(JSON.stringify({ type: "join", peerId: name, publicKey: key })));
    ws.once("message", ok);
    ws.on("error", no);
  });
  sockets.push(ws);
}
console.log(`connected ${sockets.length}`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
