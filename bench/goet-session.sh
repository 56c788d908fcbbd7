#!/usr/bin/env bash
# goet-session.sh [BUILD-DIR] [MIB]: goet end to end, a real `goet session`
# and `goet --local` client on loopback, QUIC and TCP+TLS.
#   bulk     the session's shell cats MIB MiB of base64; the client writes it
#            to a file: MiB/s from the command's start to the client's exit,
#            plus the session's and the client's peak RSS
#   resume   (root only) the lab's two-namespace run with 3 s cuts and an
#            address move (tests/lab/goet-cuts.sh): time from the link's
#            restore to the first byte of resumed output
# A benchmark, not a test: numbers vary with the machine; nothing asserts on them.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mib=${2:-200}
goet=$(realpath "$build/src/goet/cli/goet")
tmp=$(mktemp -d)
export XDG_RUNTIME_DIR="$tmp" # the session registers there (goet list), removed with it
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$tmp" /tmp/goet-bench$$-*.log' EXIT
[ -x "$goet" ] || { echo "build first: ninja -C $build" >&2; exit 1; }

head -c $((mib * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76 >"$tmp/data.b64"
bytes=$(stat -c %s "$tmp/data.b64")

bulk() {
	local transport=$1 flag=
	[ "$transport" = tcp ] && flag=--tcp
	local key
	key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	rm -f "$tmp/key" && mkfifo "$tmp/key"
	/usr/bin/time -f '%M' -o "$tmp/s.rss" "$goet" session -f "bench$$-$transport" \
		<"$tmp/key" >"$tmp/port" 2>/dev/null &
	spid=$!
	exec 7>"$tmp/key"
	echo "$key" >&7
	for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	local t0 t1
	t0=$(date +%s%N)
	printf 'stty -echo -opost; cat %s; exit\n' "$tmp/data.b64" |
		/usr/bin/time -f '%M' -o "$tmp/c.rss" "$goet" --local $flag -p "$(cat "$tmp/port")" \
			-k "$key" 127.0.0.1 >"$tmp/out" 2>/dev/null
	t1=$(date +%s%N)
	wait "$spid" || true
	spid=
	exec 7>&-
	local got
	got=$(stat -c %s "$tmp/out")
	[ "$got" -ge "$bytes" ] || echo "  (short: $got of $bytes bytes)"
	awk -v b="$bytes" -v ns=$((t1 - t0)) -v t="$transport" -v s="$(cat "$tmp/s.rss")" \
		-v c="$(cat "$tmp/c.rss")" 'BEGIN { printf "bulk %-4s %7.1f MiB/s  (%d MiB in %.2f s; peak RSS session %.1f MiB, client %.1f MiB)\n",
			t, b / 1048576 / (ns / 1e9), b / 1048576, ns / 1e9, s / 1024, c / 1024 }'
	rm -f "$tmp/out"
}

bulk quic
bulk tcp
if [ "$(id -u)" -eq 0 ] && command -v nft >/dev/null; then
	for t in quic tcp; do
		echo "resume $t: $(bash tests/lab/goet-cuts.sh "$goet" "$t" | grep '^resumed')"
	done
else
	echo "resume: skipped (needs root and nft)"
fi
