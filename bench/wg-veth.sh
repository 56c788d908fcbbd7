#!/usr/bin/env bash
# wg-veth.sh [BUILD-DIR] [SECONDS]: WireGuard through two namespaces joined
# by one veth, in one run: iperf3 TCP and UDP throughput and ping RTT for
#   bare     the veth alone (the ceiling)
#   go-go    wireguard-go <-> wireguard-go
#   rg-rg    riftgate <-> riftgate
#   rg-go    riftgate (client side) <-> wireguard-go
# and the CPU time each WireGuard process used during the TCP run.
# A benchmark, not a test: numbers vary with the machine; nothing asserts on them.
# Needs root, iperf3, ping, wg and wireguard-go.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
rg=$(realpath "$build/src/rift/riftgate")
A=rgba$$ B=rgbb$$
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
umask 077
ip netns add "$A"; ip netns add "$B"
ip link add va netns "$A" type veth peer name vb netns "$B"
ip -n "$A" addr add 192.168.79.1/24 dev va; ip -n "$A" link set va up; ip -n "$A" link set lo up
ip -n "$B" addr add 192.168.79.2/24 dev vb; ip -n "$B" link set vb up; ip -n "$B" link set lo up
for s in a b; do "$rg" genkey >"$tmp/$s.key"; "$rg" pubkey <"$tmp/$s.key" >"$tmp/$s.pub"; done

# up NS SIDE(a|b) IMPL(rg|go) IFNAME: a tunnel address 10.79.0.1 (a) or .2 (b)
up() {
	local ns=$1 me=$2 impl=$3 ifn=$4 other ip oip oep
	if [ "$me" = a ]; then other=b ip=10.79.0.1 oip=10.79.0.2 oep=192.168.79.2
	else other=a ip=10.79.0.2 oip=10.79.0.1 oep=192.168.79.1; fi
	if [ "$impl" = rg ]; then
		printf '[Interface]\nPrivateKey = %s\nAddress = %s/24\nListenPort = 51820\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\nEndpoint = %s:51820\n' \
			"$(cat "$tmp/$me.key")" "$ip" "$(cat "$tmp/$other.pub")" "$oip" "$oep" >"$tmp/$ifn.conf"
		ip netns exec "$ns" "$rg" wg up "$tmp/$ifn.conf" --ifname "$ifn" >/dev/null 2>&1 &
		pids+=($!)
	else
		ip netns exec "$ns" wireguard-go -f "$ifn" >/dev/null 2>&1 &
		pids+=($!)
		for _ in $(seq 50); do [ -S "/var/run/wireguard/$ifn.sock" ] && break; sleep 0.1; done
		ip netns exec "$ns" wg set "$ifn" private-key "$tmp/$me.key" listen-port 51820 \
			peer "$(cat "$tmp/$other.pub")" allowed-ips "$oip/32" endpoint "$oep:51820"
		ip -n "$ns" addr add "$ip/24" dev "$ifn"
		ip -n "$ns" link set "$ifn" up mtu 1420
	fi
	for _ in $(seq 50); do ip -n "$ns" link show "$ifn" >/dev/null 2>&1 && break; sleep 0.1; done
}
down() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
	pids=()
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # NAME DEST-IP
	local name=$1 dst=$2 tcp udp rtt c0=() c1=() cpu=""
	ip netns exec "$A" ping -c 3 -W 2 -q "$dst" >/dev/null
	for p in "${pids[@]}"; do c0+=("$(cpu_ticks "$p")"); done
	ip netns exec "$B" iperf3 -s -1 -D -p 5301 >/dev/null; sleep 0.3
	tcp=$(ip netns exec "$A" iperf3 -c "$dst" -p 5301 -t "$secs" -J |
		python3 -c 'import json,sys; print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))')
	for i in "${!pids[@]}"; do
		c1=$(cpu_ticks "${pids[$i]}")
		cpu+=" $(( (c1 - ${c0[$i]}) * 100 / $(getconf CLK_TCK) / secs ))%"
	done
	ip netns exec "$B" iperf3 -s -1 -D -p 5302 >/dev/null; sleep 0.3
	udp=$(ip netns exec "$A" iperf3 -c "$dst" -p 5302 -u -b 0 -l 1300 -t "$secs" -J |
		python3 -c 'import json,sys; s=json.load(sys.stdin)["end"]["sum"]; print("%.0f Mbit/s, %.1f%% lost" % (s["bits_per_second"]*(100-s["lost_percent"])/100/1e6, s["lost_percent"]))')
	rtt=$(ip netns exec "$A" ping -c 50 -i 0.02 -q "$dst" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
	printf '%-6s TCP %6s Mbit/s   UDP %-24s ping %s ms   CPU%s\n' "$name" "$tcp" "$udp" "$rtt" "${cpu:- -}"
}

measure bare 192.168.79.2
up "$A" a go wgba$$; up "$B" b go wgbb$$; measure go-go 10.79.0.2; down
up "$A" a rg rgxa$$; up "$B" b rg rgxb$$; measure rg-rg 10.79.0.2; down
up "$A" a rg rgxa$$; up "$B" b go wgbb$$; measure rg-go 10.79.0.2; down
