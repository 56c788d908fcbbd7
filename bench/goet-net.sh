#!/usr/bin/env bash
# goet-net.sh [BUILD-DIR] [MIB]: goet transport throughput between two
# processes on loopback, QUIC and TCP+TLS, and the peak RSS of the receiving
# (session-side) process. For scale, bare TCP on the same machine in the same
# run with iperf3 when it is installed. Prints one line per transport.
#
# A benchmark, not a test: numbers vary with the machine; nothing asserts on them.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mib=${2:-256}
peer=$(realpath "$build/tests/integration/goet/net-peer")
tmp=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$tmp"' EXIT

[ -x "$peer" ] || { echo "build first: ninja -C $build" >&2; exit 1; }
key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

run() {
	local transport=$1
	"$peer" server "$key" >"$tmp/s.out" 2>"$tmp/s.err" &
	spid=$!
	for _ in $(seq 50); do grep -q '^port ' "$tmp/s.out" && break; sleep 0.1; done
	local port
	port=$(sed -n 's/^port //p' "$tmp/s.out")
	local cline
	cline=$("$peer" client "$key" 127.0.0.1 "$port" "$mib" "$transport" fast 2>"$tmp/c.err") ||
		{ echo "$transport: the client failed: $(tail -5 "$tmp/c.err")" >&2; exit 1; }
	wait "$spid" || { spid=; echo "$transport: the server failed: $(tail -5 "$tmp/s.err")" >&2; exit 1; }
	spid=
	local sline
	sline=$(grep '^accepted=' "$tmp/s.out")
	local csum=${cline#*sha256=}; csum=${csum%% *}
	case "$sline" in *"sha256=$csum "*) ;; *) echo "$transport: hash mismatch" >&2; exit 1 ;; esac
	printf '%-5s %4d MiB  %7s MiB/s  receiver peak RSS %s KiB\n' "$transport" "$mib" \
		"${cline##*mib_s=}" "${sline##*rss_kib=}"
}

echo "goet transport throughput, one direction, 64 KiB Data frames, loopback, 2 processes"
run quic
run tcp
if command -v iperf3 >/dev/null 2>&1; then
	iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
	spid=$!
	sleep 0.3
	bare=$(iperf3 -c 127.0.0.1 -p 5299 -n "${mib}M" -J 2>/dev/null |
		python3 -c 'import json,sys; print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/8/1048576))')
	wait "$spid" || true
	spid=
	printf '%-5s %4d MiB  %7s MiB/s  (bare TCP, iperf3, no TLS: the ceiling)\n' "bare" "$mib" "$bare"
fi
