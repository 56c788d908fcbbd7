#!/usr/bin/env bash
# rtc-dc.sh [BUILD-DIR] [MIB]: WebRTC data-channel throughput between two
# processes on loopback, one run: riftgate <-> riftgate, riftgate <->
# node-datachannel, node-datachannel <-> node-datachannel. Each side sends
# MIB MiB in 1,200-byte binary messages on a reliable channel at the same
# time (tests/interop/rtc-interop.sh); the figure is both directions' bytes
# over the whole time from start to both SHA-256 checks, set-up included.
# A benchmark, not a test: numbers vary; nothing asserts on them.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mib=${2:-50}
peer=$(realpath "$build/tests/interop/rtc-peer")
export BUILD_ROOT=$(realpath "$build")
report() { # LABEL MS
	awk -v l="$1" -v m="$mib" -v ms="$2" 'BEGIN { printf "%-10s %4d MiB each way in %6d ms: %6.1f MB/s both directions, %7.0f msg/s\n", l, m, ms, 2 * m * 1.048576 * 1000 / ms, 2 * m * 1048576 / 1200 * 1000 / ms }'
}
run() { # LABEL OTHER
	local line ms
	line=$(bash tests/interop/rtc-interop.sh "$peer" "$2" offer "$mib" | grep '^PASS') || { echo "$1: failed"; return; }
	ms=$(echo "$line" | sed -n 's/.*, \([0-9]*\) ms in all/\1/p')
	report "$1" "$ms"
}
run rg-rg ours
run rg-ndc ndc
# node-datachannel against itself, through the same FIFO wiring
mods=$BUILD_ROOT/interop-node
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/a" "$tmp/b"
start=$(date +%s%3N)
node "$mods/peer.mjs" --lib ndc --role offer --mib "$mib" <"$tmp/b" | grep --line-buffered -v '"log"\|"result"' >"$tmp/a" &
node "$mods/peer.mjs" --lib ndc --role answer --mib "$mib" <"$tmp/a" | grep --line-buffered -v '"log"\|"result"' >"$tmp/b"
wait
ms=$(($(date +%s%3N) - start))
report ndc-ndc "$ms"
