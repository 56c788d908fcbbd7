#!/usr/bin/env bash
# rift-tunnel.sh [BUILD-DIR] [SECONDS]: the riftgate agent's tunnel through
# the NAT lab (tests/lab/lib/riftnet.sh: two homes, each behind its own NAT
# router, a server and coturn between them), in one run, next to plain
# WireGuard over UDP on the same path (each router forwarding UDP 51820 to
# its home, as a wireguard-go user behind NAT must):
#
#   agent-direct    riftgate up <-> riftgate up, cone NATs: hole-punched path,
#                   WireGuard straight on it (the default)
#   agent-channel   the same with wg-direct = false: WireGuard in the data channel
#   agent-relayed   agent-direct through symmetric NATs: via coturn
#   rg-udp          riftgate wg up <-> itself over UDP (the agent's WireGuard without WebRTC)
#   go-debian       Debian's wireguard-go <-> itself over UDP
#   go-upstream     upstream wireguard-go 0.0.20250522 (../shared/tools) <-> itself
#
# For each: iperf3 TCP alice -> bob (Mbit/s, retransmits), iperf3 UDP at the
# rate TCP reached (delivered Mbit/s and loss), ping RTT (average of 20).
# Then: time from bob's agent's start (alice already up) to the first ping
# reply through the tunnel (5 times or FIRST_PING_RUNS, median); the agent's RSS (VmRSS) with 1
# peer and with 10 peers (eleven agents on one switch, no NAT).
# Ratios are to go-debian's TCP and to rg-udp's (the issue's goal for the direct path:
# at least 0.8 of rg-udp). A benchmark, not a test: nothing asserts.
# ROWS="agent-direct rg-udp" measures only those rows (no first ping, no RSS).
# UDP_RATE=800M offers iperf3 UDP that rate instead of the rate TCP reached.
# Needs root, iperf3, wg, wireguard-go, coturn, nft, openssl.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=$(realpath "${1:-build}")
secs=${2:-10}
rg=$build/src/rift/riftgate
# upstream wireguard-go: WG_UPSTREAM, else the shared tools beside the checkout
upstream=${WG_UPSTREAM:-$(realpath ../shared/tools/wireguard-go-upstream/wireguard-go-upstream 2>/dev/null)}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init
bench_labs

declare -A tcp retr udp loss rtt
# RSS_ONLY=1: only the memory figures
rows=()

# measure ROW FROM-NS TO-NS TO-ADDR
measure() {
	local row=$1 from=$2 to=$3 addr=$4 j
	ip netns exec "$to" iperf3 -s -D -B "$addr" -I "$tmp/iperf.pid" >/dev/null 2>&1
	lab_wait_for 5 listening "$to" -t "$addr:5201" || lab_fail "$row: iperf3 -s"
	j=$(ip netns exec "$from" iperf3 -c "$addr" -t "$secs" -J 2>/dev/null)
	tcp[$row]=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.0f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' <<<"$j" 2>/dev/null || echo 0)
	retr[$row]=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["end"]["sum_sent"].get("retransmits", 0))' <<<"$j" 2>/dev/null || echo -)
	j=$(ip netns exec "$from" iperf3 -c "$addr" -u -b "${UDP_RATE:-${tcp[$row]}M}" -l 1200 -t "$secs" -J 2>/dev/null)
	udp[$row]=$(python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["end"]["sum"]; print("%.0f" % (s["bits_per_second"]*(1-s["lost_percent"]/100)/1e6))' <<<"$j" 2>/dev/null || echo 0)
	loss[$row]=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.1f" % d["end"]["sum"]["lost_percent"])' <<<"$j" 2>/dev/null || echo -)
	kill "$(cat "$tmp/iperf.pid")" 2>/dev/null
	rtt[$row]=$(ip netns exec "$from" ping -c 20 -i 0.05 -q "$addr" | sed -n 's/.*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p')
	rows+=("$row")
	echo "  $row: TCP ${tcp[$row]} Mbit/s, UDP ${udp[$row]} Mbit/s (${loss[$row]} % lost), ping ${rtt[$row]} ms" >&2
}

# lab NAT: a fresh riftnet topology (globals as riftnet.sh wants them)
lab() {
	id=$((RANDOM % 10000)) nat=$1 names="alice bob" RN_PREFIX=rgb
	bench_lab_dir
	# shellcheck source=tests/lab/lib/riftnet.sh
	. tests/lab/lib/riftnet.sh
	riftnet_up
}
lab_down() {
	riftnet_cleanup
	rm -rf "$tmp"
	tmp=$top
}

agents() { # ROW NAT [AGENT-LINE]
	lab "$2"
	RN_AGENT[alice]=${3:-} RN_AGENT[bob]=${3:-}
	riftnet_agents
	riftnet_connected 30
	lab_wait_for 10 reach alice 10.77.0.2 || lab_fail "$1: no ping"
	measure "$1" "$(ns_of alice)" "$(ns_of bob)" 10.77.0.2
	lab_down
}

# plain WireGuard between the two homes, each router forwarding UDP 51820 in
wgo() { # ROW BINARY (riftgate: riftgate wg up)
	local row=$1 bin=$2 n other ip oip
	lab cone
	for n in alice bob; do
		"$rg" genkey >"$tmp/$n.key"
		"$rg" pubkey <"$tmp/$n.key" >"$tmp/$n.pub"
		ip netns exec "$(router_of $n)" nft add table ip pfwd
		ip netns exec "$(router_of $n)" nft add chain ip pfwd pre '{ type nat hook prerouting priority dstnat; }'
		ip netns exec "$(router_of $n)" nft add rule ip pfwd pre iifname wan udp dport 51820 \
			dnat to "$(lan_of $n).2"
		ip netns exec "$(router_of $n)" nft insert rule inet lab forward iifname wan udp dport 51820 accept
	done
	for n in alice bob; do
		if [ $n = alice ]; then other=bob; else other=alice; fi
		ip=$(tunnel_ip $n) oip=$(tunnel_ip $other)
		if [ "$bin" = riftgate ]; then
			printf '[Interface]\nPrivateKey = %s\nAddress = %s/24\nListenPort = 51820\nMTU = 1420\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\nEndpoint = %s:51820\nPersistentKeepalive = 25\n' \
				"$(cat "$tmp/$n.key")" "$ip" "$(cat "$tmp/$other.pub")" "$oip" "$(wan_of $other)" >"$tmp/wg$n.conf"
			ip netns exec "$(ns_of $n)" "$rg" wg up "$tmp/wg$n.conf" --ifname "wg$n$id" >/dev/null 2>&1 &
			lab_track $!
			lab_wait_for 5 test -S "/var/run/wireguard/wg$n$id.sock" || lab_fail "$row: riftgate wg up did not start"
			continue
		fi
		WG_PROCESS_FOREGROUND=1 ip netns exec "$(ns_of $n)" "$bin" -f "wg$n$id" >/dev/null 2>&1 &
		lab_track $!
		lab_wait_for 5 test -S "/var/run/wireguard/wg$n$id.sock" || lab_fail "$row: $bin did not start"
		ip netns exec "$(ns_of $n)" wg set "wg$n$id" private-key "$tmp/$n.key" listen-port 51820 \
			peer "$(cat "$tmp/$other.pub")" allowed-ips "$oip/32" \
			endpoint "$(wan_of $other):51820" persistent-keepalive 25
		ip -n "$(ns_of $n)" addr add "$ip/24" dev "wg$n$id"
		ip -n "$(ns_of $n)" link set "wg$n$id" up mtu 1420
	done
	lab_wait_for 10 reach alice 10.77.0.2 || lab_fail "$row: no ping"
	measure "$row" "$(ns_of alice)" "$(ns_of bob)" 10.77.0.2
	for n in alice bob; do rm -f "/var/run/wireguard/wg$n$id.sock"; done
	lab_down
}

# time from bob's start to the first reply, alice already up (ms, median of
# FIRST_PING_RUNS, default 5; bench/all.sh's quick run: 3)
first_ping() {
	local t0 times=() runs=${FIRST_PING_RUNS:-5} # not n: riftnet.sh loops on a global n
	lab cone
	riftnet_conf alice
	riftnet_conf bob
	riftnet_agent alice
	lab_wait_for 10 sh -c "'$rg' status --json -s '$tmp/alice.sock' | grep -q '\"server_connected\":true'"
	for _ in $(seq "$runs"); do
		t0=$(date +%s%3N)
		riftnet_agent bob
		until ip netns exec "$(ns_of bob)" ping -c 1 -W 0.1 -q 10.77.0.1 >/dev/null 2>&1; do
			[ $(($(date +%s%3N) - t0)) -lt 20000 ] || break
		done
		times+=($(($(date +%s%3N) - t0)))
		lab_stop "${RN_PID[bob]}"
		sleep 1
	done
	lab_down
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# eleven agents on one switch; alice's RSS with 1 peer, then with 10
rss() {
	local i one ten
	id=$((RANDOM % 10000)) names=
	bench_lab_dir
	# shellcheck source=tests/lab/lib/riftnet.sh
	. tests/lab/lib/riftnet.sh
	PUB=rgbr-pub$id
	ip netns add "$PUB"; ip -n "$PUB" link add br0 type bridge; ip -n "$PUB" link set br0 up
	ip -n "$PUB" addr add 198.51.100.1/24 dev br0; ip -n "$PUB" link set lo up
	printf '[server]\nlisten = 198.51.100.1\nport = 8443\n' >"$tmp/server.conf"
	for i in $(seq 0 10); do
		printf '[device.d%02d]\nnetwork = lab\ntoken = d%02d-token-0123456789\n' "$i" "$i" >>"$tmp/server.conf"
		ip netns add "rgbr$i-$id"
		ip link add eth0 netns "rgbr$i-$id" type veth peer name "p$i" netns "$PUB"
		ip -n "$PUB" link set "p$i" master br0; ip -n "$PUB" link set "p$i" up
		ip -n "rgbr$i-$id" addr add "198.51.100.$((10 + i))/24" dev eth0
		ip -n "rgbr$i-$id" link set eth0 up; ip -n "rgbr$i-$id" link set lo up
		printf '[device]\nname = d%02d\naddress = 10.78.0.%d/24\ninterface = rgr%d-%s\n[server]\nurl = http://198.51.100.1:8443\n[agent]\ncontrol = %s/d%02d.sock\nsecrets = %s/d%02d.secrets\n' \
			"$i" $((i + 1)) "$i" "$id" "$tmp" "$i" "$tmp" "$i" >"$tmp/d$i.conf"
		(umask 077; printf '[device]\nprivate-key = %s\ntoken = d%02d-token-0123456789\n' "$("$rg" genkey)" "$i" >"$tmp/$(printf d%02d "$i").secrets")
	done
	ip netns exec "$PUB" "$rg" server -c "$tmp/server.conf" >/dev/null 2>&1 &
	lab_track $!
	lab_wait_for 10 listening "$PUB" -t 198.51.100.1:8443 || lab_fail "rss: the server is not listening"
	local -A rpid
	start() { ip netns exec "rgbr$1-$id" "$rg" up -c "$tmp/d$1.conf" >"$tmp/d$1.log" 2>&1 & lab_track $!; rpid[$1]=$!; }
	# shellcheck disable=SC2317 # called through lab_wait_for
	peers_up() { [ "$("$rg" status --json -s "$tmp/d00.sock" | grep -o '"state":"connected"' | wc -l)" -ge "$1" ]; }
	start 0; start 1
	lab_wait_for 30 peers_up 1 || lab_fail "rss: 1 peer did not connect"
	ip netns exec rgbr0-$id ping -c 20 -i 0.05 -q 10.78.0.2 >/dev/null
	one=$(rss_kib "${rpid[0]}")
	for i in $(seq 2 10); do start "$i"; done
	lab_wait_for 60 peers_up 10 || lab_fail "rss: 10 peers did not connect"
	for i in $(seq 1 10); do ip netns exec rgbr0-$id ping -c 5 -i 0.05 -q "10.78.0.$((i + 1))" >/dev/null; done
	ten=$(rss_kib "${rpid[0]}")
	lab_stop_all
	for i in $(seq 0 10); do ip netns del "rgbr$i-$id"; rm -f "/var/run/wireguard/rgr$i-$id.sock"; done
	ip netns del "$PUB"
	rm -rf "$tmp"
	echo "$one $ten"
}

echo "riftgate $("$rg" version | cut -d' ' -f2-), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), ${secs} s per measurement" >&2
want() { # ROW: measured in this run
	[ -z "${RSS_ONLY:-}" ] && { [ -z "${ROWS:-}" ] || [[ " $ROWS " == *" $1 "* ]]; }
}
want agent-direct && agents agent-direct cone
want agent-channel && agents agent-channel cone "wg-direct = false"
want agent-relayed && agents agent-relayed symmetric
want rg-udp && wgo rg-udp riftgate
want go-debian && wgo go-debian "$(command -v wireguard-go)"
want go-upstream && [ -x "$upstream" ] && wgo go-upstream "$upstream"
fp=- rss1=- rss10=-
[ -n "${RSS_ONLY:-}" ] || [ -n "${ROWS:-}" ] || fp=$(first_ping)
[ -n "${ROWS:-}" ] || read -r rss1 rss10 < <(rss)

base=${tcp[go-debian]:-0} udpbase=${tcp[rg-udp]:-0}
printf '\n| path | TCP Mbit/s | x go-debian | x rg-udp | TCP retransmits | UDP Mbit/s delivered | UDP loss %% | ping ms |\n|---|---|---|---|---|---|---|---|\n'
for r in "${rows[@]}"; do
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$r" "${tcp[$r]}" \
		"$(python3 -c "print('%.2f' % (${tcp[$r]} / max($base, 1)))")" \
		"$(python3 -c "print('%.2f' % (${tcp[$r]} / max($udpbase, 1)))")" "${retr[$r]}" \
		"${udp[$r]}" "${loss[$r]}" "${rtt[$r]}"
done
printf '\nfirst ping after the second agent starts: %s ms (median of %s)\n' "$fp" "${FIRST_PING_RUNS:-5}"
printf 'agent RSS: %s KiB with 1 peer, %s KiB with 10 peers\n' "$rss1" "$rss10"
