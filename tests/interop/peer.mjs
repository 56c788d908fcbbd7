// peer.mjs --lib ndc|werift --role offer|answer [--mib N]
//
// A WebRTC data-channel peer for the interop tests, signaled through
// stdin/stdout, one JSON object per line:
//   {"type":"offer"|"answer","sdp":"..."}   {"candidate":"candidate:...","mid":"0"}
//   {"log":"..."}  (stdout only: progress for the test's log)
//   {"result":"ok"|"fail","why":"..."}        (stdout only, last line)
// The offerer creates two channels: "reliable" (ordered) and "lossy"
// (unordered, maxRetransmits 0). On "reliable" each side sends N MiB of the
// shared pattern (byte i = (i * 31 + (i >> 8)) & 255) in 1,200-byte binary
// messages, then the string "end"; on receiving "end" it answers
// "sha256:<hex> bytes:<n>" of what it received. On "lossy" each side sends
// 100 messages "lossy-<k>" and counts what arrives (logged as "lossy: N received"
// before the result; a malformed or repeated one fails). The process exits 0
// when the peer's answer matches the SHA-256 of what it sent. Received
// messages that are not the pattern at their place are logged ("mismatch:",
// slot:content) before the hash is answered, so a lost, repeated or
// reordered message shows as such.
//
// Bench mode (bench/rtc-dc.sh), node-datachannel only, the same lines and
// rules as tests/interop/rtc-peer.c's bench mode:
//   peer.mjs --role offer|answer --bench reliable|unreliable|setup [--size BYTES] [--seconds N]
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';

const arg = (name, def) => {
	const i = process.argv.indexOf('--' + name);
	return i > 0 ? process.argv[i + 1] : def;
};
const lib = arg('lib', 'ndc'), role = arg('role', 'answer');
const total = Number(arg('mib', '10')) * 1024 * 1024;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let finished = false;
const finish = (ok, why) => {
	if (finished) return;
	finished = true;
	out({ log: `lossy: ${lossySeen.size} received` });
	out({ result: ok ? 'ok' : 'fail', why });
	setTimeout(() => process.exit(ok ? 0 : 1), 1000);
};
setTimeout(() => finish(false, 'timed out after 150 s'), 150000);

function pattern(off, len) {
	const b = Buffer.alloc(len);
	for (let k = 0; k < len; k++) { const i = off + k; b[k] = (i * 31 + Math.floor(i / 256)) & 255; }
	return b;
}
const expected = createHash('sha256');
for (let off = 0; off < total; off += 1 << 20) expected.update(pattern(off, Math.min(1 << 20, total - off)));
const expectedHex = expected.digest('hex');

// Channel logic shared by both libraries: ch = {send(buf|string), buffered(), onLow(fn), cap}:
// the pump pauses while more than cap bytes are buffered and resumes at cap / 4.
function reliable(ch) {
	const h = createHash('sha256');
	let n = 0, msgs = 0, mismatches = [], off = 0, ended = false, replied = false, verdict = null;
	const pump = () => {
		while (off < total && ch.buffered() < ch.cap) {
			const len = Math.min(1200, total - off);
			ch.send(pattern(off, len));
			off += len;
		}
		if (off >= total && !ended) { ch.send('end'); ended = true; out({ log: 'sent all' }); }
	};
	ch.onLow(pump);
	pump();
	return (msg) => {
		if (typeof msg === 'string') {
			if (msg === 'end') {
				if (mismatches.length) out({ log: `mismatch: ${mismatches.length} messages out of place (slot:content): ${mismatches.slice(0, 8).join(' ')} ... ${mismatches.slice(-4).join(' ')}` });
				ch.send(`sha256:${h.digest('hex')} bytes:${n}`); replied = true;
			}
			else if (msg.startsWith('sha256:')) verdict = [msg === `sha256:${expectedHex} bytes:${total}`, `peer says ${msg}, expected ${expectedHex} ${total}`];
			// done when the peer's verdict is in and our answer to its "end" is sent
			if (verdict && replied) finish(...verdict);
			return;
		}
		h.update(msg);
		if (!pattern(n, msg.length).equals(msg)) {
			// which message's bytes these are: lost, repeated and reordered messages look different
			let k = 1;
			while (k <= 4096 && !pattern(n + k * msg.length, msg.length).equals(msg) && !pattern(n - k * msg.length, msg.length).equals(msg)) k++;
			const c = k > 4096 ? '?' : pattern(n + k * msg.length, msg.length).equals(msg) ? msgs + k : msgs - k;
			mismatches.push(`${msgs}:${c}`);
		}
		n += msg.length;
		msgs++;
	};
}
// "lossy": unordered with maxRetransmits 0 (checked where the library says: werift; libdatachannel
// does not tell), each message "lossy-<k>" (k < 100) at most once; the count goes in the log.
const lossySeen = new Set();
function lossy(ch, props) {
	if (props && (props.ordered !== false || props.maxRetransmits !== 0))
		finish(false, `lossy: the channel is ordered=${props.ordered} maxRetransmits=${props.maxRetransmits}`);
	for (let k = 0; k < 100; k++) ch.send(`lossy-${k}`);
	return (m) => {
		const k = typeof m === 'string' ? /^lossy-(\d+)$/.exec(m) : null;
		if (!k || Number(k[1]) >= 100 || lossySeen.has(k[1]))
			return finish(false, `lossy: unexpected or repeated message ${JSON.stringify(String(m)).slice(0, 40)}`);
		lossySeen.add(k[1]);
	};
}

async function runNdc() {
	const ndc = await import('node-datachannel');
	const pc = new ndc.PeerConnection('interop', { iceServers: [], enableIceTcp: false });
	pc.onLocalDescription((sdp, type) => out({ type: type.toLowerCase(), sdp }));
	pc.onLocalCandidate((candidate, mid) => out({ candidate: candidate.replace(/^a=/, ''), mid }));
	const wrap = (dc) => ({
		send: (m) => (typeof m === 'string' ? dc.sendMessage(m) : dc.sendMessageBinary(m)),
		buffered: () => dc.bufferedAmount(),
		cap: 1 << 20,
		onLow: (fn) => { dc.setBufferedAmountLowThreshold(256 * 1024); dc.onBufferedAmountLow(fn); },
	});
	// onMessage is set once, at once: libdatachannel delivers messages that arrive
	// while it is being set out of order (one arrives hundreds of messages late)
	const attach = (dc) => {
		let h = null;
		const early = [];
		dc.onMessage((m) => (h ? h(m) : early.push(m)));
		const handle = () => { h = dc.getLabel() === 'reliable' ? reliable(wrap(dc)) : lossy(wrap(dc)); for (const m of early.splice(0)) h(m); };
		if (dc.isOpen()) handle(); else dc.onOpen(handle);
	};
	pc.onDataChannel(attach);
	if (role === 'offer') {
		attach(pc.createDataChannel('reliable'));
		attach(pc.createDataChannel('lossy', { unordered: true, maxRetransmits: 0 }));
	}
	return {
		remote: (o) => (o.sdp ? pc.setRemoteDescription(o.sdp, o.type) : pc.addRemoteCandidate(o.candidate, o.mid || '0')),
	};
}

// werift 0.24.4's SCTP send() resolves only when its whole outbound queue is
// empty, and every queued message waits on one "flush" event whose once()
// subscribers are removed by filtering the list: each transmit costs O(n^2)
// in the messages queued. With 1 MiB (~870 messages) queued, that loop was
// 60 % of werift's CPU and 10 MiB took 30-50 s; with 64 KiB it takes ~5 s.
const WERIFT_CAP = 64 * 1024;
async function runWerift() {
	const { RTCPeerConnection } = await import('werift');
	const pc = new RTCPeerConnection({ iceServers: [] });
	pc.onIceCandidate.subscribe((c) => c && out({ candidate: c.candidate, mid: c.sdpMid || '0' }));
	const wrap = (dc) => ({
		send: (m) => dc.send(m),
		buffered: () => dc.bufferedAmount,
		cap: WERIFT_CAP,
		onLow: (fn) => { dc.bufferedAmountLowThreshold = WERIFT_CAP / 4; dc.bufferedAmountLow.subscribe(fn); },
	});
	const attach = (dc) => {
		const handle = () => {
			const h = dc.label === 'reliable' ? reliable(wrap(dc)) : lossy(wrap(dc), { ordered: dc.ordered, maxRetransmits: dc.maxRetransmits });
			dc.onMessage.subscribe((m) => h(typeof m === 'string' ? m : Buffer.from(m)));
		};
		if (dc.readyState === 'open') handle(); else dc.stateChanged.subscribe((s) => s === 'open' && handle());
	};
	pc.onDataChannel.subscribe(attach);
	const describe = async () => out({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
	if (role === 'offer') {
		attach(pc.createDataChannel('reliable'));
		attach(pc.createDataChannel('lossy', { ordered: false, maxRetransmits: 0 }));
		await pc.setLocalDescription(await pc.createOffer());
		await describe();
	}
	return {
		remote: async (o) => {
			if (o.sdp) {
				await pc.setRemoteDescription({ type: o.type, sdp: o.sdp });
				if (o.type === 'offer') { await pc.setLocalDescription(await pc.createAnswer()); await describe(); }
			} else await pc.addIceCandidate({ candidate: o.candidate, sdpMid: o.mid || '0' });
		},
	};
}

// --- bench mode: see rtc-peer.c's "bench mode" for the protocol ---
async function runBench(kind) {
	const size = Number(arg('size', '1400')), seconds = Number(arg('seconds', '5'));
	const HIGH = 1 << 20, LOW = 256 * 1024, IDLE_MS = 1000, LINGER_MS = 1000;
	const ndc = await import('node-datachannel');
	const pc = new ndc.PeerConnection('bench', { iceServers: [], enableIceTcp: false });
	const now = () => performance.now();
	const exitLater = () => setTimeout(() => process.exit(0), LINGER_MS);
	const msg = pattern(0, size);
	pc.onLocalDescription((sdp, type) => out({ type: type.toLowerCase(), sdp }));
	pc.onLocalCandidate((candidate, mid) => out({ candidate: candidate.replace(/^a=/, ''), mid }));
	let tOffer = 0;
	const send = (dc) => {
		const t0 = now();
		let msgs = 0, stopped = false, ended = false, tStop = 0;
		const end = () => {
			if (!ended) { out({ bench: 'send', msgs, bytes: msgs * size, ms: tStop - t0 }); dc.sendMessage('end'); ended = true; }
			if (dc.bufferedAmount() === 0) exitLater();
		};
		const pump = () => {
			while (!stopped && dc.bufferedAmount() < HIGH) {
				if (now() >= t0 + seconds * 1000) { stopped = true; tStop = now(); break; }
				dc.sendMessageBinary(msg);
				msgs++;
			}
			if (stopped) end();
		};
		dc.setBufferedAmountLowThreshold(LOW);
		dc.onBufferedAmountLow(() => { if (stopped) dc.setBufferedAmountLowThreshold(0); pump(); });
		setTimeout(pump, seconds * 1000);
		pump();
	};
	const receive = (dc) => {
		let msgs = 0, bytes = 0, first = 0, last = 0, reported = false;
		const report = () => { if (reported) return; reported = true; out({ bench: 'recv', msgs, bytes, ms: last - first }); exitLater(); };
		const idle = setInterval(() => { if (msgs > 0 && now() - last > IDLE_MS) { clearInterval(idle); report(); } }, 100);
		dc.onMessage((m) => {
			if (typeof m === 'string') { if (m === 'end') { clearInterval(idle); report(); } return; }
			last = now();
			if (msgs++ === 0) first = last;
			bytes += m.length;
		});
	};
	const keep = []; // a DataChannel nothing refers to is collected, and closed
	const opened = (dc) => {
		keep.push(dc);
		if (tOffer === 0) { if (kind === 'setup') exitLater(); else receive(dc); return; }
		out({ bench: 'setup', ms: now() - tOffer });
		if (kind === 'setup') exitLater(); else send(dc);
	};
	pc.onDataChannel((dc) => { if (dc.isOpen()) opened(dc); else dc.onOpen(() => opened(dc)); });
	if (role === 'answer') out({ ready: 'true' });
	return {
		remote: (o) => {
			if (o.ready !== undefined) {
				if (role !== 'offer' || tOffer !== 0) return;
				tOffer = now();
				const opts = kind === 'unreliable' ? { unordered: true, maxRetransmits: 0 } : {};
				const dc = pc.createDataChannel('bench', opts);
				dc.onOpen(() => opened(dc));
			} else if (o.sdp) pc.setRemoteDescription(o.sdp, o.type);
			else if (o.candidate) pc.addRemoteCandidate(o.candidate, o.mid || '0');
		},
	};
}

const bench = arg('bench', null);
const peer = bench ? await runBench(bench) : lib === 'werift' ? await runWerift() : await runNdc();
createInterface({ input: process.stdin }).on('line', async (line) => {
	if (!line.trim()) return;
	try { await peer.remote(JSON.parse(line)); } catch (e) { finish(false, `bad signaling line: ${e.message}`); }
});
