#!/usr/bin/env bash
# wg-interop.sh RIFTGATE go|upstream|ours [offload|no-offload]: `riftgate wg
# up` in namespace A and, in namespace B, wireguard-go configured with wg(8)
# (go: Debian's 0.0.20220316; upstream: WG_UPSTREAM, default the shared
# build of 0.0.20250522, which uses the TUN's and UDP's offloads) or a
# second riftgate (ours), over one veth:
#
#   netns A: va 192.168.77.1/24, tunnel 10.77.0.1 --veth-- netns B: vb .2, tunnel 10.77.0.2
#
# Checks, in order: A initiates (ping A->B, both sides report a handshake);
# wg(8) reads A's state from riftgate's UAPI socket and `riftgate wg show`
# prints the same; a 3 s iperf3 TCP transfer each way; persistent
# keepalive (1 s) seen on the wire as 32-byte messages (nft counter in B);
# A roams to a new address and B's endpoint follows; then, both restarted
# fresh with no endpoint for B on A's side, B initiates (ping B->A).
# no-offload runs A's riftgate with --no-offload (one packet per system
# call); with ours, B keeps its offloads, so the two kinds talk.
# Needs root (exits 77 without), wireguard-go, wg, iperf3, ping and nft.
set -u
rg=$(realpath "${1:?usage: wg-interop.sh path/to/riftgate go|upstream|ours [offload|no-offload]}")
mode=${2:-go}
offload=${3:-offload}
rg_args=()
[ "$offload" = no-offload ] && rg_args=(--no-offload)
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
lab_init
lab_require wg iperf3 ping nft
wggo=wireguard-go
[ "$mode" = upstream ] && wggo=${WG_UPSTREAM:-/work/shared/tools/wireguard-go-upstream/wireguard-go-upstream}
[ "$mode" = ours ] || lab_require "$wggo"

A=rgwa$$ B=rgwb$$
ifa=rga$$ ifb=rgb$$
apid='' bpid=''
lab_on_cleanup() {
	lab_stop "$apid"
	lab_stop "$bpid"
	rm -f "/var/run/wireguard/$ifa.sock" "/var/run/wireguard/$ifb.sock"
}
lab_on_fail() {
	echo "--- A"; ip netns exec "$A" "$rg" wg show "$ifa" 2>&1
	echo "--- B"; ip netns exec "$B" wg show "$ifb" 2>&1
}
inA() { ip netns exec "$A" "$@"; }
inB() { ip netns exec "$B" "$@"; }
umask 077
"$rg" genkey >"$tmp/a.key" && "$rg" pubkey <"$tmp/a.key" >"$tmp/a.pub" || lab_fail "genkey"
"$rg" genkey >"$tmp/b.key" && "$rg" pubkey <"$tmp/b.key" >"$tmp/b.pub" || lab_fail "genkey"

lab_netns "$A" "$B"
ip link add va netns "$A" type veth peer name vb netns "$B" || lab_fail "veth"
inA ip addr add 192.168.77.1/24 dev va
inB ip addr add 192.168.77.2/24 dev vb
inA ip link set va up
inB ip link set vb up

# conf KEY PEERPUB ADDR PEERADDR [ENDPOINT [KEEPALIVE]]
conf() {
	printf '[Interface]\nPrivateKey = %s\nAddress = %s/24\nListenPort = 51820\n\n' \
		"$(cat "$1")" "$3"
	printf '[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\n' "$(cat "$2")" "$4"
	[ -n "${5:-}" ] && printf 'Endpoint = %s\n' "$5"
	[ -n "${6:-}" ] && printf 'PersistentKeepalive = %s\n' "$6"
	return 0
}
start_a() { # [ENDPOINT [KEEPALIVE]]
	conf "$tmp/a.key" "$tmp/b.pub" 10.77.0.1 10.77.0.2 "$@" >"$tmp/a.conf"
	# not through inA: $! must be riftgate itself (ip netns exec execs it)
	ip netns exec "$A" "$rg" wg up "$tmp/a.conf" --ifname "$ifa" "${rg_args[@]}" >>"$tmp/a.log" 2>&1 &
	apid=$!
	lab_wait_for 5 inA ip link show "$ifa" || lab_fail "riftgate did not bring $ifa up"
	lab_wait_for 5 test -S "/var/run/wireguard/$ifa.sock" || lab_fail "no UAPI socket for $ifa"
}
start_b() { # [ENDPOINT]
	if [ "$mode" = ours ]; then
		conf "$tmp/b.key" "$tmp/a.pub" 10.77.0.2 10.77.0.1 "$@" >"$tmp/b.conf"
		ip netns exec "$B" "$rg" wg up "$tmp/b.conf" --ifname "$ifb" >>"$tmp/b.log" 2>&1 &
		bpid=$!
		lab_wait_for 5 inB ip link show "$ifb" || lab_fail "riftgate did not bring $ifb up"
		lab_wait_for 5 test -S "/var/run/wireguard/$ifb.sock" || lab_fail "no UAPI socket for $ifb"
		return
	fi
	ip netns exec "$B" "$wggo" -f "$ifb" >>"$tmp/b.log" 2>&1 &
	bpid=$!
	lab_wait_for 5 test -S "/var/run/wireguard/$ifb.sock" || lab_fail "wireguard-go did not start"
	inB wg set "$ifb" private-key "$tmp/b.key" listen-port 51820 \
		peer "$(cat "$tmp/a.pub")" allowed-ips 10.77.0.1/32 ${1:+endpoint $1} || lab_fail "wg set"
	inB ip addr add 10.77.0.2/24 dev "$ifb"
	inB ip link set "$ifb" up mtu 1420
}
handshake_time() { # NS IF: B's or A's latest handshake (0: none)
	ip netns exec "$1" wg show "$2" latest-handshakes | awk '{print $2}'
}

# 1. A initiates
start_b
start_a 192.168.77.2:51820
inA ping -c 3 -W 2 -q 10.77.0.2 >"$tmp/ping1.log" 2>&1 || lab_fail "ping A->B"
[ "$(handshake_time "$B" "$ifb")" -gt 0 ] || lab_fail "B reports no handshake"
[ "$(handshake_time "$A" "$ifa")" -gt 0 ] || lab_fail "A reports no handshake (wg on riftgate's socket)"
inA "$rg" wg show "$ifa" >"$tmp/show.txt" || lab_fail "riftgate wg show"
inA wg show "$ifa" >"$tmp/wgshow.txt" || lab_fail "wg show on riftgate's socket"
grep -q "^peer: $(cat "$tmp/b.pub")\$" "$tmp/show.txt" || lab_fail "wg show lacks the peer"
grep -q "latest handshake: " "$tmp/show.txt" || lab_fail "wg show lacks the handshake"
grep -q "^  public key: $(cat "$tmp/a.pub")\$" "$tmp/wgshow.txt" || lab_fail "wg(8) sees another key"
diff <(grep -v 'latest handshake' "$tmp/show.txt") <(grep -v 'latest handshake' "$tmp/wgshow.txt") \
	>/dev/null || lab_fail "riftgate wg show differs from wg show"
echo "ok 1 A initiates; ping; wg(8) and riftgate wg show agree"

# 2. iperf3, 3 s each way (throughput is bench/wg-veth.sh's; this checks the path)
# iperf_server PORT: a one-off iperf3 server in B, listening before this returns
iperf_server() {
	inB iperf3 -s -D -1 -p "$1" >/dev/null 2>&1
	lab_wait_for 5 sh -c "ip netns exec $B ss -Hltn 'sport = :$1' | grep -q ." || lab_fail "iperf3 -s on $1"
}
# mbit FILE: received Mbit/s of an iperf3 -J report, or its error
mbit() {
	python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))
print(int(r["end"]["sum_received"]["bits_per_second"] / 1e6) if "sum_received" in r.get("end", {}) else "error: " + r.get("error", "no result"))' "$1" 2>&1
}
iperf_server 5202
inA iperf3 -c 10.77.0.2 -p 5202 -t 3 -J >"$tmp/up.json" 2>"$tmp/iperf.log" || lab_fail "iperf3 A->B: $(mbit "$tmp/up.json")"
iperf_server 5203
inA iperf3 -c 10.77.0.2 -p 5203 -t 3 -R -J >"$tmp/down.json" 2>>"$tmp/iperf.log" || lab_fail "iperf3 B->A: $(mbit "$tmp/down.json")"
up=$(mbit "$tmp/up.json") down=$(mbit "$tmp/down.json")
# 10 Mbit/s, over RG_TEST_TIME_SCALE (the sanitizer stage runs slower: scripts/check)
scale=${RG_TEST_TIME_SCALE:-1}
case $scale in '' | *[!0-9]* | 0) scale=1 ;; esac
min_mbit=$((10 / scale))
[ "${up//[0-9]/}" = "" ] && [ "${down//[0-9]/}" = "" ] && [ "$up" -gt "$min_mbit" ] &&
	[ "$down" -gt "$min_mbit" ] || lab_fail "iperf3: $up / $down Mbit/s (at least $min_mbit wanted)"
echo "ok 2 iperf3 TCP 3 s: A->B $up Mbit/s, B->A $down Mbit/s"

# 3. persistent keepalive on the wire: 32-byte messages from A (UDP length 40)
lab_stop "$apid"; apid=
inB nft add table inet rgt
inB nft add chain inet rgt in '{ type filter hook input priority 0; }'
inB nft add rule inet rgt in ip saddr 192.168.77.1 udp dport 51820 udp length 40 counter
start_a 192.168.77.2:51820 1
sleep 3.5
n=$(inB nft list chain inet rgt in | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "${n:-0}" -ge 2 ] || lab_fail "persistent keepalive: ${n:-0} keepalives in 3.5 s"
echo "ok 3 persistent keepalive: $n keepalives in 3.5 s"

# 4. A roams to 192.168.77.11; B follows
inA ip addr del 192.168.77.1/24 dev va # (first: deleting a primary takes its secondaries)
inA ip addr add 192.168.77.11/24 dev va
inA ping -c 2 -W 2 -q 10.77.0.2 >"$tmp/ping2.log" 2>&1 || lab_fail "ping after roaming"
ep=$(inB wg show "$ifb" endpoints | awk '{print $2}')
[ "$ep" = "192.168.77.11:51820" ] || lab_fail "B's endpoint for A is $ep"
echo "ok 4 A roamed; B's endpoint is $ep"

# 5. fresh start, A without an endpoint: only B can initiate
lab_stop "$apid"; apid=
lab_stop "$bpid"; bpid=
inA ip addr del 192.168.77.11/24 dev va
inA ip addr add 192.168.77.1/24 dev va
rm -f "/var/run/wireguard/$ifb.sock"
start_b 192.168.77.1:51820
start_a
inB ping -c 3 -W 2 -q 10.77.0.1 >"$tmp/ping3.log" 2>&1 || lab_fail "ping B->A"
[ "$(handshake_time "$A" "$ifa")" -gt 0 ] || lab_fail "A reports no handshake"
echo "ok 5 B initiates; ping B->A"

# 6. SIGTERM removes the interface and the socket
lab_stop "$apid"; apid=
inA ip link show "$ifa" >/dev/null 2>&1 && lab_fail "$ifa still exists after SIGTERM"
[ -e "/var/run/wireguard/$ifa.sock" ] && lab_fail "the UAPI socket is left behind"
grep -q "interface $ifa down" "$tmp/a.log" || lab_fail "no goodbye in the log"
echo "PASS: riftgate ($offload) <-> $mode: ping both ways, iperf3 $up/$down Mbit/s, keepalive, roaming"
