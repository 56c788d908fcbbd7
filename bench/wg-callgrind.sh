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
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init
A=rgca$$ B=rgcb$$
rm -rf "$out"
mkdir -p "$out"
umask 077
bench_veth "$A" "$B" 192.168.78
bench_wg_conf a b 10.78.0.1 10.78.0.2 192.168.78.2 >"$tmp/a.conf"
bench_wg_conf b a 10.78.0.2 10.78.0.1 192.168.78.1 >"$tmp/b.conf"
has_addr() { ip -n "$1" addr show | grep -q 10.78.0; }

# run MIB: both sides under callgrind, one transfer of MIB MiB, profiles OUT/MIB.{a,b}.out
run() {
	local mib=$1 side ns
	for side in a b; do
		ns=$A; [ $side = b ] && ns=$B
		# shellcheck disable=SC2086
		ip netns exec "$ns" valgrind --tool=callgrind --callgrind-out-file="$out/$mib.$side.out" \
			"$rg" wg up "$tmp/$side.conf" --ifname "cg$side$$" ${RG_ARGS:-} >"$out/$mib.$side.log" 2>&1 &
		lab_track $!
	done
	for ns in "$A" "$B"; do
		lab_wait_for 30 has_addr "$ns" || lab_fail "riftgate wg up under valgrind did not start in $ns"
	done
	ip netns exec "$A" ping -c 3 -W 5 -q 10.78.0.2 >/dev/null
	ip netns exec "$B" iperf3 -s -1 -D -p 5303 >/dev/null; sleep 0.5
	ip netns exec "$A" iperf3 -c 10.78.0.2 -p 5303 -n "${mib}M" -J >"$out/$mib.iperf.json"
	lab_stop_all 120 # valgrind writes the profile as it exits
}
run "$short"
run "$long"

python3 - "$short" "$long" "$(bench_callgrind_total "$out/$short.a.out")" "$(bench_callgrind_total "$out/$long.a.out")" \
	"$(bench_callgrind_total "$out/$short.b.out")" "$(bench_callgrind_total "$out/$long.b.out")" <<'PY'
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
	bench_callgrind_top "$out/$short.$side.out" "$out/$long.$side.out" "$((long - short))" "${TOP:-25}"
done
