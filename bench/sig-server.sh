#!/usr/bin/env bash
# sig-server.sh [BUILD-DIR] [CLIENTS...]: `riftgate server` under load on
# loopback: for each count (default 1000 and 10000) a server with that many
# devices across 100 networks, that many WebSocket clients joined (one
# process, bench/sig-load), then 2,000 offers relayed between random pairs of
# one network, one per millisecond. Prints the set-up time, the relay
# latency p50/p99, and the server's peak RSS. Plain HTTP (TLS costs the same
# per connection on both sides and is not what is measured).
# With AUTH_RATE=N (operations a second) the server also keeps accounts in
# its store (SQLite, WAL; every commit waits for fsync, SYNC=normal: not)
# and, during the relay, sig-load registers devices with join tokens and
# refreshes their tokens at that rate: the relay latency then shows what the
# database work costs the server's loop, beside the operations' own latency
# and the store's timing from GET /status. SLOW_FSYNC_MS=N (with AUTH_RATE)
# makes each of the server's fsyncs N ms slower (bench/slow-fsync.c, preloaded
# into the server only): a slow or busy disk, made repeatable.
# A benchmark, not a test: nothing asserts on the numbers. Needs root for
# more than ~500 clients (the open-files limit is raised).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 10000)
riftgate=$(realpath "$build/src/rift/riftgate")
load=$(realpath "$build/bench/sig-load")
tmp=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$tmp"' EXIT

for n in "${counts[@]}"; do
	{
		printf '[server]\nlisten = 127.0.0.1\nport = 0\n'
		[ "${AUTH_RATE:-0}" -gt 0 ] && printf '[store]\npath = %s/server.db\nsynchronous = %s\n' "$tmp" "${SYNC:-full}"
		for ((i = 0; i < n; i++)); do
			printf '[device.d%d]\nnetwork = n%d\ntoken = bench-token-%d-0123456789\n' \
				"$i" $((i % 100)) "$i"
		done
	} >"$tmp/server.conf"
	auth=()
	if [ "${AUTH_RATE:-0}" -gt 0 ]; then
		rm -f "$tmp"/server.db*
		"$riftgate" server init -c "$tmp/server.conf" --subnet 10.64.0.0/16 >/dev/null 2>&1
		# join tokens straight into the store (what riftgate server invite does, in bulk)
		python3 - "$tmp/server.db" "$tmp/tokens" 3000 <<-'PY'
		import hashlib, secrets, sqlite3, sys, time
		db = sqlite3.connect(sys.argv[1]); now = int(time.time()); toks = []
		for _ in range(int(sys.argv[3])):
		    t = "rgj_" + secrets.token_hex(16); toks.append(t)
		    db.execute("INSERT INTO join_tokens(hash, created_at, expires_at) VALUES (?, ?, ?)",
		               (hashlib.sha256(t.encode()).hexdigest(), now, now + 3600))
		db.commit(); open(sys.argv[2], "w").write("\n".join(toks) + "\n")
		PY
		auth=("$tmp/tokens" "$AUTH_RATE")
	fi
	# the soft limit only: `ulimit -n` lowers the hard one too, and the next, larger count
	# could not raise it again without CAP_SYS_RESOURCE
	ulimit -Sn $((n + 512)) 2>/dev/null || true
	preload=
	[ "${SLOW_FSYNC_MS:-0}" -gt 0 ] && preload=$(realpath "$build/bench/slow-fsync.so")
	LD_PRELOAD=$preload "$riftgate" server -c "$tmp/server.conf" >"$tmp/out" 2>/dev/null &
	spid=$!
	for _ in $(seq 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
	url=$(sed -n 's/^listening on //p' "$tmp/out")
	res=$("$load" "$url" "$n" 100 2000 "${auth[@]}")
	rss=$(awk '/VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$spid/status")
	kill "$spid"
	wait "$spid" || true
	spid=
	echo "$res; server peak RSS $rss"
done
