#!/usr/bin/env bash
# wg-veth.sh [BUILD-DIR] [SECONDS] [ROUNDS]: userspace WireGuard through two
# namespaces joined by one veth, every implementation in the same run:
#
#   netns A: va 192.168.79.1, tunnel 10.79.0.1 --veth-- netns B: vb 192.168.79.2, tunnel 10.79.0.2
#
# Pairs (A-B; PAIRS chooses, e.g. PAIRS="up-up rg-rg"):
#   bare     the veth alone (the ceiling)
#   go-go    Debian's wireguard-go (0.0.20220316) on both sides
#   up-up    upstream wireguard-go (WG_UPSTREAM: TUN offloads, UDP GSO/GRO) on both sides
#   rg-rg    riftgate wg up on both sides
#   rg-up    riftgate (A, the sender) <-> upstream wireguard-go (B)
#   up-rg    upstream wireguard-go (A, the sender) <-> riftgate (B)
#   rg0-rg0  another riftgate build (RG_BASE=path/to/riftgate), for before/after in one run
# For each: iperf3 TCP A->B for SECONDS (default 10), the CPU time both
# WireGuard processes used during it ("CPU s/GB": their CPU seconds per
# 10^9 bytes received) and the system calls they made ("calls/MB": per 10^6
# bytes received, counted by perf's raw_syscalls:sys_enter), iperf3 UDP (1,300-byte datagrams, unlimited rate:
# what arrives, and the share lost), and the median ping RTT of 50 pings.
# ROUNDS (default 3) rounds each run every pair once, in turn, so load from
# other work on the machine spreads over all pairs; the table gives each
# cell's median over the rounds, and TCP's ratio to up-up (upstream
# wireguard-go, the implementation to beat). WG_BENCH_LOG keeps every
# round's line. RG_ARGS adds arguments to `riftgate wg up` (e.g.
# --no-offload), RG0_ARGS to RG_BASE's instead (RG_BASE may be the same
# build, to compare two settings in one run).
#
# A benchmark, not a test: numbers vary with the machine's load; nothing
# asserts on them. Needs root, iperf3, ping, wg and the wireguard-go builds.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
rounds=${3:-3}
pairs=${PAIRS:-bare go-go up-up rg-rg rg-up up-rg}
rg=$(realpath "$build/src/rift/riftgate")
rg0=${RG_BASE:+$(realpath "$RG_BASE")}
[ -n "$rg0" ] && [[ " $pairs " != *" rg0-rg0 "* ]] && pairs+=" rg0-rg0"
upstream=${WG_UPSTREAM:-/work/shared/tools/wireguard-go-upstream/wireguard-go-upstream}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init
A=rgba$$ B=rgbb$$
log=${WG_BENCH_LOG:-$tmp/rounds}
umask 077
: >"$log"
bench_veth "$A" "$B" 192.168.79
# listening NS PORT: a TCP or UDP socket bound to PORT in NS
listening() { ip netns exec "$1" ss -Hlntu "sport = :$2" | grep -q .; }

# up NS SIDE(a|b) IMPL(rg|rg0|go|up) IFNAME: tunnel address 10.79.0.1 (a) or .2 (b)
up() {
	local ns=$1 me=$2 impl=$3 ifn=$4 other ip oip oep bin args
	if [ "$me" = a ]; then other=b ip=10.79.0.1 oip=10.79.0.2 oep=192.168.79.2
	else other=a ip=10.79.0.2 oip=10.79.0.1 oep=192.168.79.1; fi
	case $impl in
	rg | rg0)
		bin=$rg; [ "$impl" = rg0 ] && bin=$rg0
		bench_wg_conf "$me" "$other" "$ip" "$oip" "$oep" >"$tmp/$ifn.conf"
		args=${RG_ARGS:-}; [ "$impl" = rg0 ] && args=${RG0_ARGS:-$args}
		# shellcheck disable=SC2086
		ip netns exec "$ns" "$bin" wg up "$tmp/$ifn.conf" --ifname "$ifn" $args \
			>"$tmp/$ifn.log" 2>&1 &
		lab_track $!
		;;
	go | up)
		bin=wireguard-go; [ "$impl" = up ] && bin=$upstream
		WG_PROCESS_FOREGROUND=1 ip netns exec "$ns" "$bin" -f "$ifn" >"$tmp/$ifn.log" 2>&1 &
		lab_track $!
		lab_wait_for 5 test -S "/var/run/wireguard/$ifn.sock" || lab_fail "$bin did not start"
		ip netns exec "$ns" wg set "$ifn" private-key "$tmp/$me.key" listen-port 51820 \
			peer "$(cat "$tmp/$other.pub")" allowed-ips "$oip/32" endpoint "$oep:51820"
		ip -n "$ns" addr add "$ip/24" dev "$ifn"
		ip -n "$ns" link set "$ifn" up mtu 1420
		;;
	esac
	lab_wait_for 5 ip -n "$ns" link show "$ifn" up || lab_fail "$ifn is not up in $ns"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure PAIR DEST-IP ROUND: one line
# "PAIR ROUND tcp-mbit cpu-s-per-gb udp-mbit udp-lost rtt-ms calls-per-mb"
measure() {
	local name=$1 dst=$2 round=$3 tcp udp rtt c0=() ticks=0 perf=- calls=-
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -q "$dst" >/dev/null # the handshake, first
	ip netns exec "$B" iperf3 -s -1 -D -p 5301 >/dev/null
	lab_wait_for 5 listening "$B" 5301 || lab_fail "iperf3 -s in $B"
	for p in "${LAB_PIDS[@]}"; do c0+=("$(cpu_ticks "$p")"); done
	if [ ${#LAB_PIDS[@]} -gt 0 ] && command -v perf >/dev/null; then
		perf stat -x, -e raw_syscalls:sys_enter -p "$(IFS=,; echo "${LAB_PIDS[*]}")" \
			-o "$tmp/perf" -- sleep "$secs" 2>/dev/null &
		perf=$!
	fi
	tcp=$(ip netns exec "$A" iperf3 -c "$dst" -p 5301 -t "$secs" -J |
		python3 -c 'import json,sys; print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))')
	for i in "${!LAB_PIDS[@]}"; do ticks=$((ticks + $(cpu_ticks "${LAB_PIDS[$i]}") - ${c0[$i]})); done
	if [ "$perf" != - ]; then
		wait "$perf" || true
		calls=$(awk -F, '/raw_syscalls/ {print $1}' "$tmp/perf")
		calls=$(python3 -c "print('%.0f' % (${calls:-0} / ($tcp * $secs / 8)))")
	fi
	ip netns exec "$B" iperf3 -s -1 -D -p 5302 >/dev/null
	lab_wait_for 5 listening "$B" 5302 || lab_fail "iperf3 -s in $B"
	udp=$(ip netns exec "$A" iperf3 -c "$dst" -p 5302 -u -b 0 -l 1300 -t "$secs" -J |
		python3 -c 'import json,sys; s=json.load(sys.stdin)["end"]["sum"]; print("%.0f %.1f" % (s["bits_per_second"]*(100-s["lost_percent"])/100/1e6, s["lost_percent"]))')
	rtt=$(ip netns exec "$A" ping -c 50 -i 0.02 -q "$dst" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
	# CPU seconds per 10^9 bytes: ticks / CLK_TCK over Mbit/s * secs / 8000
	local cpu=-
	[ ${#LAB_PIDS[@]} -gt 0 ] && cpu=$(python3 -c "print('%.2f' % (($ticks / $(getconf CLK_TCK)) / ($tcp * $secs / 8000)))")
	echo "$name $round $tcp $cpu $udp $rtt $calls" | tee -a "$log" >&2
}

for round in $(seq "$rounds"); do
	for pair in $pairs; do
		a=${pair%-*} b=${pair#*-}
		if [ "$pair" = bare ]; then measure bare 192.168.79.2 "$round"; continue; fi
		up "$A" a "$a" "wa$a$$"; up "$B" b "$b" "wb$b$$"
		measure "$pair" 10.79.0.2 "$round" || echo "$pair $round failed" >&2
		lab_stop_all
	done
done

python3 - "$log" "$pairs" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 8:
        rows.setdefault(f[0], []).append(f[2:])
def med(vals):
    vals = [float(v) for v in vals if v != "-"]
    return statistics.median(vals) if vals else None
ref = med([r[0] for r in rows.get("up-up", [])])
print(f"{'pair':8s} {'TCP Mbit/s':>10s} {'x up-up':>7s} {'CPU s/GB':>8s} {'calls/MB':>8s} {'UDP Mbit/s':>10s} {'lost %':>6s} {'ping ms':>7s}  (medians of {max(len(v) for v in rows.values())} rounds; TCP each round)")
for p in sys.argv[2].split():
    if p not in rows:
        continue
    r = rows[p]
    tcp, cpu, udp, lost, rtt, calls = (med([x[i] for x in r]) for i in range(6))
    ratio = f"{tcp / ref:7.2f}" if ref else "      -"
    cpu_s = f"{cpu:8.2f}" if cpu is not None else "       -"
    calls_s = f"{calls:8.0f}" if calls is not None else "       -"
    print(f"{p:8s} {tcp:10.0f} {ratio} {cpu_s} {calls_s} {udp:10.0f} {lost:6.1f} {rtt:7.3f}  [{' '.join(x[0] for x in r)}]")
PY
