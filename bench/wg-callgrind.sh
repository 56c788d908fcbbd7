#!/usr/bin/env bash
# wg-callgrind.sh [BUILD-DIR] [SHORT-MIB] [LONG-MIB]: where riftgate's
# WireGuard spends its instructions, repeatable on a busy machine. Two
# `riftgate wg up` in two namespaces over one veth (as bench/wg-veth.sh),
# both under valgrind's callgrind, carry one iperf3 TCP transfer of
# SHORT-MIB (default 16) MiB A->B, then, fresh, one of LONG-MIB (default 48).
# Cost per MiB = (instructions of the long run - the short run) / (LONG -
# SHORT), so set-up, handshakes and teardown cancel out; A is the sender
# (reads the TUN, encrypts, sends UDP), B the receiver (receives, decrypts,
# writes the TUN; and the TCP ACKs back). Then the functions that cost most
# per MiB, each side (self cost; TOP, default 25). The long run's profiles
# are kept in OUT (default /tmp/wg-callgrind) for callgrind_annotate.
# RG_ARGS adds arguments to `riftgate wg up`. Caveats: user-space
# instructions only (the kernel's share, a third of the CPU with offloads,
# is not counted: bench/wg-veth.sh's CPU s/GB and calls/MB are); valgrind
# has no AVX-512, so it runs the AVX2 ChaCha20 where the machine may run
# AVX-512; the short/long difference moves by ~10 % between runs with
# TCP's retransmissions under valgrind's slowness.
# Needs root, valgrind and iperf3.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
short=${2:-16}
long=${3:-48}
out=${OUT:-/tmp/wg-callgrind}
rg=$(realpath "$build/src/rift/riftgate")
A=rgca$$ B=rgcb$$
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
rm -rf "$out"
mkdir -p "$out"
umask 077
ip netns add "$A"; ip netns add "$B"
ip link add va netns "$A" type veth peer name vb netns "$B"
ip -n "$A" addr add 192.168.78.1/24 dev va; ip -n "$A" link set va up; ip -n "$A" link set lo up
ip -n "$B" addr add 192.168.78.2/24 dev vb; ip -n "$B" link set vb up; ip -n "$B" link set lo up
for s in a b; do "$rg" genkey >"$tmp/$s.key"; "$rg" pubkey <"$tmp/$s.key" >"$tmp/$s.pub"; done
conf() { # ME OTHER ADDR PEERADDR ENDPOINT
	printf '[Interface]\nPrivateKey = %s\nAddress = %s/24\nListenPort = 51820\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\nEndpoint = %s:51820\n' \
		"$(cat "$tmp/$1.key")" "$3" "$(cat "$tmp/$2.pub")" "$4" "$5"
}
conf a b 10.78.0.1 10.78.0.2 192.168.78.2 >"$tmp/a.conf"
conf b a 10.78.0.2 10.78.0.1 192.168.78.1 >"$tmp/b.conf"

# run MIB: both sides under callgrind, one transfer of MIB MiB, profiles OUT/MIB.{a,b}.out
run() {
	local mib=$1 side ns
	for side in a b; do
		ns=$A; [ $side = b ] && ns=$B
		# shellcheck disable=SC2086
		ip netns exec "$ns" valgrind --tool=callgrind --callgrind-out-file="$out/$mib.$side.out" \
			"$rg" wg up "$tmp/$side.conf" --ifname "cg$side$$" ${RG_ARGS:-} >"$out/$mib.$side.log" 2>&1 &
		pids+=($!)
	done
	for ns in "$A" "$B"; do
		for _ in $(seq 300); do ip -n "$ns" addr show | grep -q 10.78.0 && break; sleep 0.1; done
	done
	ip netns exec "$A" ping -c 3 -W 5 -q 10.78.0.2 >/dev/null
	ip netns exec "$B" iperf3 -s -1 -D -p 5303 >/dev/null; sleep 0.5
	ip netns exec "$A" iperf3 -c 10.78.0.2 -p 5303 -n "${mib}M" -J >"$out/$mib.iperf.json"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done
	pids=()
}
run "$short"
run "$long"

# total instructions in a callgrind profile
total() { sed -n 's/^summary: *//p;s/^totals: *//p' "$1" | head -1 | cut -d' ' -f1; }
python3 - "$short" "$long" "$(total "$out/$short.a.out")" "$(total "$out/$long.a.out")" \
	"$(total "$out/$short.b.out")" "$(total "$out/$long.b.out")" <<'PY'
import sys
short, long = int(sys.argv[1]), int(sys.argv[2])
ir = [int(x) for x in sys.argv[3:7]]
mib = long - short
for name, a, b in (("A sender", ir[0], ir[1]), ("B receiver", ir[2], ir[3])):
    print(f"{name:11s}: {(b - a) / mib / 1e6:8.1f} M instructions per MiB "
          f"({(b - a) / (mib * 2**20 / 1368):6.0f} per 1368-byte TCP segment)")
PY
for side in a b; do
	echo "--- $side: instructions per MiB by function (self cost, top ${TOP:-25})"
	for mib in "$short" "$long"; do
		callgrind_annotate --auto=no --threshold=100 "$out/$mib.$side.out" 2>/dev/null >"$out/$mib.$side.txt"
	done
	python3 - "$out/$short.$side.txt" "$out/$long.$side.txt" "$((long - short))" "${TOP:-25}" <<'PY'
import re, sys
def funcs(path):
    d = {}
    for line in open(path):
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*)", line)
        if m and "PROGRAM TOTALS" not in m.group(2):
            name = re.sub(r" \[.*\]$", "", m.group(2)).split(":")[-1]
            lib = re.search(r"\[(.*)\]$", m.group(2))
            name += "  (" + (lib.group(1).split("/")[-1] if lib else "?") + ")"
            d[name] = d.get(name, 0) + int(m.group(1).replace(",", ""))
    return d
a, b = funcs(sys.argv[1]), funcs(sys.argv[2])
dm = int(sys.argv[3])
rows = sorted(((b.get(k, 0) - a.get(k, 0)) / dm, k) for k in set(a) | set(b))
for v, k in reversed(rows[-int(sys.argv[4]):]):
    print(f"{v / 1e6:8.2f} M  {k}")
PY
done
