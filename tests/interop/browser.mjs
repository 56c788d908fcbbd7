// browser.mjs --role offer|answer [--mib N] [--restart-after M]
//
// The same peer as peer.mjs (same stdio protocol, channels, pattern and
// checks), but running inside headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) on a page served from 127.0.0.1. Signaling
// lines cross between this process and the page with exposeFunction and
// evaluate. --restart-after M: Chromium restarts ICE (restartIce and a new
// offer) once M MiB are sent.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const arg = (name, def) => {
	const i = process.argv.indexOf('--' + name);
	return i > 0 ? process.argv[i + 1] : def;
};
const role = arg('role', 'answer'), mib = Number(arg('mib', '10'));
const restartAfter = Number(arg('restart-after', '0')) * 1024 * 1024;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const page_js = `
const total = ${mib} * 1024 * 1024, role = '${role}';
let restartAt = ${restartAfter};
const pattern = (off, len) => { const b = new Uint8Array(len); for (let k = 0; k < len; k++) { const i = off + k; b[k] = (i * 31 + Math.floor(i / 256)) & 255; } return b; };
const hex = (buf) => [...new Uint8Array(buf)].map((x) => x.toString(16).padStart(2, '0')).join('');
const sha = async (parts) => { let n = 0; for (const p of parts) n += p.length; const all = new Uint8Array(n); let o = 0; for (const p of parts) { all.set(p, o); o += p.length; } return hex(await crypto.subtle.digest('SHA-256', all)); };
const want = (async () => { const parts = []; for (let off = 0; off < total; off += 1 << 20) parts.push(pattern(off, Math.min(1 << 20, total - off))); return sha(parts); })();
const pc = new RTCPeerConnection({ iceServers: [] });
const lossySeen = new Set();
let gotBytes = 0;
// where the page stood, for a timeout's log: bytes the JS got, and each candidate pair's and
// data channel's counters as Chromium's stats report them
window.stats = async () => { const r = ['page got ' + gotBytes + ' bytes', 'ice ' + pc.iceConnectionState + ', sctp ' + (pc.sctp ? pc.sctp.state + ' maxMessageSize ' + pc.sctp.maxMessageSize : 'none')]; (await pc.getStats()).forEach((x) => { if (x.type === 'candidate-pair') r.push('pair ' + x.id + ' ' + x.state + (x.nominated ? ' nominated' : '') + ' sent ' + x.bytesSent + ' received ' + x.bytesReceived + ' requests ' + x.requestsReceived + '/' + x.requestsSent + ' responses ' + x.responsesReceived + '/' + x.responsesSent + ' last packet received ' + Math.round(performance.timeOrigin + performance.now() - (x.lastPacketReceivedTimestamp || 0)) + ' ms ago'); else if (x.type === 'transport') r.push('transport selected ' + x.selectedCandidatePairId + ' dtls ' + x.dtlsState + ' changes ' + x.selectedCandidatePairChanges + ' received ' + x.bytesReceived); else if (x.type === 'data-channel') r.push('channel ' + x.label + ' ' + x.state + ' messages in ' + x.messagesReceived + ' bytes in ' + x.bytesReceived + ' out ' + x.bytesSent); else if (x.type === 'local-candidate' || x.type === 'remote-candidate') r.push(x.type + ' ' + x.id + ' ' + x.candidateType + ' ' + x.address + ':' + x.port); }); return r.join('; '); };
pc.onicecandidate = (e) => e.candidate && e.candidate.candidate && window.out({ candidate: e.candidate.candidate, mid: e.candidate.sdpMid || '0' });
const attach = (dc) => {
  dc.binaryType = 'arraybuffer';
  const go = () => {
    if (dc.label !== 'reliable') {
      if (dc.ordered !== false || dc.maxRetransmits !== 0) window.done(false, 'lossy: the channel is ordered=' + dc.ordered + ' maxRetransmits=' + dc.maxRetransmits);
      for (let k = 0; k < 100; k++) dc.send('lossy-' + k);
      dc.onmessage = (e) => { const k = typeof e.data === 'string' ? /^lossy-(\\d+)$/.exec(e.data) : null; if (!k || Number(k[1]) >= 100 || lossySeen.has(k[1])) window.done(false, 'lossy: unexpected or repeated message ' + String(e.data).slice(0, 40)); else lossySeen.add(k[1]); };
      return;
    }
    const parts = []; let n = 0, off = 0, ended = false, replied = false, verdict = null;
    const pump = () => { while (off < total && dc.bufferedAmount < 1 << 20) { if (restartAt && off >= restartAt) { restartAt = 0; window.out({ log: 'ice restart' }); pc.restartIce(); pc.setLocalDescription().then(describe); } const len = Math.min(1200, total - off); dc.send(pattern(off, len)); off += len; } if (off >= total && !ended) { dc.send('end'); ended = true; window.out({ log: 'sent all' }); } };
    // On a channel the peer opened, Chromium 156 sometimes never sends the first messages given to
    // it at once (riftgate's trace: the first DATA on the stream held the JS's 2nd, 11th, 91st or
    // 327th message; about 1 run in 40 under load, also when deferred past ondatachannel). So the
    // answerer sends once the peer's first message has arrived: its stream is then up here too.
    dc.bufferedAmountLowThreshold = 256 * 1024; dc.onbufferedamountlow = pump;
    let started = role === 'offer';
    if (started) pump();
    dc.onmessage = async (e) => {
      if (!started) { started = true; pump(); }
      if (typeof e.data !== 'string') { parts.push(new Uint8Array(e.data)); n += e.data.byteLength; gotBytes += e.data.byteLength; return; }
      if (e.data === 'end') { dc.send('sha256:' + (await sha(parts)) + ' bytes:' + n); replied = true; }
      else if (e.data.startsWith('sha256:')) { const w = 'sha256:' + (await want) + ' bytes:' + total; verdict = [e.data === w, 'peer says ' + e.data + ', expected ' + w]; }
      if (verdict && replied) setTimeout(() => { window.out({ log: 'lossy: ' + lossySeen.size + ' received' }); window.done(...verdict); }, 1000);
    };
  };
  if (dc.readyState === 'open') go(); else dc.onopen = go;
};
pc.ondatachannel = (e) => attach(e.channel);
const describe = () => window.out({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
window.remote = async (o) => {
  if (o.sdp) { await pc.setRemoteDescription({ type: o.type, sdp: o.sdp }); if (o.type === 'offer') { await pc.setLocalDescription(); describe(); } }
  else await pc.addIceCandidate({ candidate: o.candidate, sdpMid: o.mid || '0' });
};
if (role === 'offer') { attach(pc.createDataChannel('reliable')); attach(pc.createDataChannel('lossy', { ordered: false, maxRetransmits: 0 })); pc.setLocalDescription().then(describe); }
`;

const server = createServer((req, res) => {
	res.setHeader('content-type', 'text/html');
	res.end('<!doctype html><title>riftgate interop</title><body>peer</body>');
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
let exiting = false;
const finish = async (ok, why) => {
	if (exiting) return;
	exiting = true;
	out({ result: ok ? 'ok' : 'fail', why });
	await browser.close().catch(() => {});
	server.close();
	process.exit(ok ? 0 : 1);
};
setTimeout(async () => {
	const s = await page.evaluate(() => window.stats()).catch((e) => 'no stats: ' + e.message);
	out({ log: 'at the timeout: ' + s });
	finish(false, 'timed out after 150 s');
}, 150000);
const page = await browser.newPage();
page.on('console', (m) => out({ log: 'console: ' + m.text() }));
page.on('pageerror', (e) => finish(false, 'page error: ' + e.message));
await page.exposeFunction('out', (o) => out(o));
await page.exposeFunction('done', (ok, why) => finish(ok, why));
await page.goto(`http://127.0.0.1:${server.address().port}/`);
const queue = [];
let ready = false;
createInterface({ input: process.stdin }).on('line', async (line) => {
	if (!line.trim()) return;
	if (!ready) { queue.push(line); return; }
	await page.evaluate((l) => window.remote(JSON.parse(l)), line).catch((e) => finish(false, e.message));
});
await page.evaluate(page_js);
ready = true;
for (const l of queue) await page.evaluate((x) => window.remote(JSON.parse(x)), l).catch((e) => finish(false, e.message));
