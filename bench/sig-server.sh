#!/usr/bin/env bash
# sig-server.sh [BUILD-DIR] [CLIENTS...]: `riftgate server` under load on
# loopback: for each count (default 1000 and 10000) a server with that many
# devices across 100 networks, that many WebSocket clients joined (one
# process, bench/sig-load), then 2,000 offers relayed between random pairs of
# one network, one per millisecond. Prints the set-up time, the relay
# latency p50/p99, and the server's peak RSS. Plain HTTP (TLS costs the same
# per connection on both sides and is not what is measured).
# A benchmark, not a test: nothing asserts on the numbers. Needs root for
# more than ~500 clients (the open-files limit is raised).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
counts=("${@:-1000 10000}")
riftgate=$(realpath "$build/src/rift/riftgate")
load=$(realpath "$build/bench/sig-load")
tmp=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$tmp"' EXIT

for n in ${counts[@]}; do
	{
		printf '[server]\nlisten = 127.0.0.1\nport = 0\n'
		for ((i = 0; i < n; i++)); do
			printf '[device.d%d]\nnetwork = n%d\ntoken = bench-token-%d-0123456789\n' \
				"$i" $((i % 100)) "$i"
		done
	} >"$tmp/server.conf"
	ulimit -n $((n + 512)) 2>/dev/null || true
	"$riftgate" server -c "$tmp/server.conf" >"$tmp/out" 2>/dev/null &
	spid=$!
	for _ in $(seq 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
	url=$(sed -n 's/^listening on //p' "$tmp/out")
	res=$("$load" "$url" "$n" 100 2000)
	rss=$(awk '/VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$spid/status")
	kill "$spid"
	wait "$spid" || true
	spid=
	echo "$res; server peak RSS $rss"
done
