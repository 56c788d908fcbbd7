#!/usr/bin/env bash
# rift-agent.sh RIFTGATE SIG-CLIENT MODE: riftgate agents (`riftgate up`) in
# home networks, each behind its own NAT router, with `riftgate server` and
# coturn on the "internet" between them: the VPN end to end.
#
# The networks are drawn in lib/riftnet.sh. In lan-route and kill9 alice also
# has a LAN behind her: eth1 192.168.50.1/24 to a host 192.168.50.2 ($HA)
# that has no route back to the tunnel.
#
# MODE:
#   two        alice and bob: ping both ways, a 10 s iperf3 transfer through the
#              tunnel; `riftgate status --json` says connected on a srflx pair,
#              path direct; the 32 MiB transfer and iperf3 reach bob through
#              his batch receiver (status rx_batched); `riftgate status` and the
#              stock `wg show` on the interface; SIGTERM removes the interface
#              and the socket
#   channel    bob keeps WireGuard in the data channel (wg-direct = false): alice
#              sees he does not offer the direct way and uses the channel too;
#              both say transport channel, and 32 MiB cross byte-exact (SHA-256)
#              (in the other modes both go straight on the ICE path: transport
#              ice, checked in two with the same transfer)
#   mesh       three agents: every pair reaches every other
#   symmetric  both NATs symmetric (fully-random): the tunnel comes up through
#              coturn and says relay / relayed
#   relay      both NATs symmetric and the devices registered with the server
#              (accounts): the tunnel comes up relayed through coturn with the
#              time-limited credentials the server handed out (use-auth-secret,
#              as packaging/coturn/turnserver.conf)
#   turn-tls   as relay, and the routers let no UDP out and no TCP to 3478: only
#              TURN over TLS (5349, the certificate pinned by the fingerprint the
#              server told) reaches coturn; the tunnel comes up over it
#   worker     the Worker (worker/ in workerd) is the server and the relay, and the
#              routers let no UDP out: alice and bob register with it and come up
#              relayed through its TURN over WebSocket; ping, 8 MiB byte-exact and a
#              10 s iperf3 transfer; then both agents are stopped (SIGSTOP) until the
#              Durable Object is evicted for being idle, and go on (SIGCONT): replies
#              resume within 3 s, no tunnel rebuilt
#   worker-restart  as worker, then workerd is restarted mid-flood: the agents
#              re-join, ICE restarts on new allocations, replies resume
#   lan-route  alice advertises 192.168.50.0/24 (a LAN host behind her), bob
#              accepts it: bob reaches the host through alice (forwarded and
#              masqueraded by alice's gateway)
#   server-restart  the server is stopped in the middle of a transfer and
#              started again 2 s later: the transfer goes on, both re-join
#   nat-flush  both routers' conntrack tables are flushed in the middle of a
#              ping flood: replies resume within 10 s
#   renumber   router A's ISP renumbers it (198.51.100.2 -> .5) mid-flood: the
#              path is dead; alice notices (no answers), restarts ICE and
#              replies resume within 10 s
#   kill9      alice advertises her LAN (forwarding on, a masquerade table); she
#              is killed with SIGKILL (both left behind) and started again: the
#              new run cleans up first, so one table with one rule; a SIGTERM
#              then restores forwarding and removes the table and its state file
#   accounts   the server keeps its devices in a database: alice and bob register
#              with join tokens (riftgate server invite, riftgate setup in their
#              namespaces), get their addresses and TURN credentials from it, and
#              refresh their access tokens (each rotation kept in their secrets);
#              riftgate devices lists both connected, riftgate refresh refreshes
#              the agent's token; alice revokes bob: bob's agent stops with exit
#              status 0 and "device revoked or expired", the server lists him
#              revoked; no token in any log
#   rogue      a device of the same network (mallory, valid token) sends
#              malformed, oversized, forged and hostile messages: the server
#              closes it with the reason, the agents log and ignore what
#              reaches them; the tunnel's ping never misses a beat
#
# Needs root, ip, nft, turnserver, iperf3, conntrack, openssl; exits 77 when not root.
set -u
rg=$(realpath "${1:?usage: rift-agent.sh RIFTGATE SIG-CLIENT MODE}")
sigc=$(realpath "${2:?}")
mode=${3:-two}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip nft turnserver iperf3 conntrack openssl ss python3 curl; do
	command -v $t >/dev/null || { echo "FAIL: no $t (scripts/install-deps installs it)"; exit 1; }
done
case $mode in
two | channel | lan-route | kill9 | server-restart | nat-flush | renumber | rogue)
	nat=cone names="alice bob" ;;
mesh) nat=cone names="alice bob carol" ;;
accounts) nat=cone names="alice bob" RN_ACCOUNTS=1 ;;
symmetric) nat=symmetric names="alice bob" ;;
relay) nat=symmetric names="alice bob" RN_ACCOUNTS=1 ;;
worker | worker-restart)
	nat=symmetric names="alice bob" RN_ACCOUNTS=1 RN_WAN_BLOCK="meta l4proto udp drop"
	RN_WORKER=$(cd "$(dirname "$0")/../../worker" && pwd)
	mods=${BUILD_ROOT:?}/conformance-node
	"$RN_WORKER/../tests/conformance/npm.sh" "$mods" || exit $?
	RN_WORKERD=$mods/node_modules/.bin/workerd RN_ADMIN=lab-admin-token-0123456789
	;;
turn-tls) nat=symmetric names="alice bob" RN_ACCOUNTS=1 RN_WAN_BLOCK="meta l4proto udp drop; tcp dport 3478 drop" ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac

id=$$
tmp=$(mktemp -d)
HA=rga-ha$id
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/lib/riftnet.sh
. "$here/lib/riftnet.sh"
cleanup() {
	local rc=$? n p
	riftnet_cleanup
	ip netns del "$HA" 2>/dev/null
	# an agent or server that crashed (SIGABRT, SIGSEGV...), even as it stopped, fails the test
	if [ -n "$RN_CRASHED" ]; then
		echo "FAIL ($mode): crashed (PID:status):$RN_CRASHED"
		for n in $names; do
			p=${RN_PID[$n]:-}
			case " $RN_CRASHED" in *" $p:"*) echo "--- agent $n (last lines)"; tail -25 "$tmp/$n.log" ;; esac
		done
		case " $RN_CRASHED" in *" ${server:-none}:"*) echo "--- server (last lines)"; tail -25 "$tmp/server.log" ;; esac
		rc=1
	fi
	# RG_LOGS=DIR keeps every log
	[ -n "${RG_LOGS:-}" ] && mkdir -p "$RG_LOGS" && cp "$tmp"/*.log "$RG_LOGS"/ 2>/dev/null
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
# lab_fail (../lib.sh): the reason, the mode, then every log's last lines (agents, server, coturn)
lab_on_fail() { echo "mode: $mode"; }

riftnet_up
if [ "$mode" = lan-route ] || [ "$mode" = kill9 ]; then
	ip netns add "$HA"
	ip -n "$HA" link set lo up
	ip link add eth1 netns "$(ns_of alice)" type veth peer name eth0 netns "$HA"
	ip -n "$(ns_of alice)" addr add 192.168.50.1/24 dev eth1
	ip -n "$HA" addr add 192.168.50.2/24 dev eth0
	ip -n "$(ns_of alice)" link set eth1 up
	ip -n "$HA" link set eth0 up
	RN_ROUTES[alice]=192.168.50.0/24
	[ "$mode" = lan-route ] && RN_ACCEPT[bob]=alice:all
fi
[ "$mode" = channel ] && RN_AGENT[bob]="wg-direct = false"
t0=$(date +%s%3N)
riftnet_agents
riftnet_connected 30
t1=$(date +%s%3N)
echo "all connected $((t1 - t0)) ms after the start"
for a in $names; do
	for b in $names; do
		[ "$a" = "$b" ] && continue
		lab_wait_for 10 reach "$a" "$(tunnel_ip "$b")" || lab_fail "$a cannot ping $b through the tunnel"
	done
done
echo "every pair pings"

# flood FROM TO SECONDS: ping every 0.1 s for SECONDS with timestamps into $tmp/flood
flood() {
	date +%s.%N >"$tmp/flood.start"
	ip netns exec "$(ns_of "$1")" ping -D -i 0.1 -W 1 -w "$3" "$2" >"$tmp/flood" 2>&1 &
	flood_pid=$!
	lab_track "$flood_pid"
}
# the longest time without a reply (from the flood's start to its end), in ms, and the replies
longest_gap() {
	date +%s.%N >"$tmp/flood.end"
	python3 - "$tmp/flood" "$(cat "$tmp/flood.start")" "$(cat "$tmp/flood.end")" <<-'PY'
	import re, sys
	ts = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\].*bytes from", open(sys.argv[1]).read(), re.M)]
	edges = [float(sys.argv[2])] + ts + [float(sys.argv[3])]
	print(int(max(b - a for a, b in zip(edges, edges[1:])) * 1000), len(ts))
	PY
}
iperf() { # FROM TO SECONDS: a TCP transfer; its JSON report in $tmp/iperf.json
	ip netns exec "$(ns_of "$2")" iperf3 -s -1 -B "$(tunnel_ip "$2")" >/dev/null 2>&1 &
	lab_track $!
	lab_wait_for 5 sh -c "ip netns exec $(ns_of "$2") ss -Hlnt 'src $(tunnel_ip "$2"):5201' | grep -q ." ||
		lab_fail "iperf3 server"
	ip netns exec "$(ns_of "$1")" iperf3 -c "$(tunnel_ip "$2")" -t "$3" -J >"$tmp/iperf.json" 2>&1
}
iperf_report() {
	python3 - "$tmp/iperf.json" <<-'PY'
	import json, sys
	try:
	    d = json.load(open(sys.argv[1]))
	except Exception as e:
	    print("no report:", open(sys.argv[1]).read()[-300:]); sys.exit(1)
	if "error" in d:
	    print("iperf3:", d["error"]); sys.exit(1)
	s = d["end"]["sum_received"]
	print("%d bytes in %.1f s: %.1f Mbit/s" % (s["bytes"], s["seconds"], s["bits_per_second"] / 1e6))
	sys.exit(0 if s["bytes"] > 1 << 20 else 1)
	PY
}

# transfer FROM TO MIB: MIB MiB of a fixed pattern over TCP through the tunnel; the
# receiver's SHA-256 must be the sender's
transfer() {
	local want got
	want=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(bytes(range(256)) * (int(sys.argv[1]) << 12)).hexdigest())' "$3")
	ip netns exec "$(ns_of "$2")" python3 -c '
import hashlib, socket, sys
s = socket.create_server((sys.argv[1], 7000)); s.settimeout(60)
c, _ = s.accept(); c.settimeout(60); h = hashlib.sha256()
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b)
print(h.hexdigest())' "$(tunnel_ip "$2")" >"$tmp/got" 2>&1 &
	local srv=$!
	lab_wait_for 5 listening "$(ns_of "$2")" -t "$(tunnel_ip "$2")":7000 || lab_fail "transfer: no receiver"
	ip netns exec "$(ns_of "$1")" python3 -c '
import socket, sys
c = socket.create_connection((sys.argv[1], 7000), timeout=60)
block = bytes(range(256)) * 4096
for _ in range(int(sys.argv[2])): c.sendall(block)
c.close()' "$(tunnel_ip "$2")" "$3" || lab_fail "transfer: the sender failed"
	wait $srv
	got=$(cat "$tmp/got")
	[ "$got" = "$want" ] || lab_fail "transfer: received $got, sent $want"
	echo "$3 MiB crossed byte-exact"
}

case $mode in
accounts)
	for n in alice bob; do
		grep -q "^registered $n: device [0-9a-f-]*, tunnel address $(tunnel_ip $n)/24 in network lab$" \
			"$tmp/$n.setup" || { cat "$tmp/$n.setup"; lab_fail "riftgate setup for $n"; }
		[ "$(stat -c %a "$tmp/$n/secrets.conf")" = 600 ] || lab_fail "$n's secrets are not 0600"
		grep -q '^refresh-token = rgr_[0-9a-f]\{64\}$' "$tmp/$n/secrets.conf" ||
			lab_fail "$n's secrets hold no refresh token"
	done
	# the CLI runs where alice is: it reaches the server through her router
	in_alice() { ip netns exec "$(ns_of alice)" "$rg" "$@"; }
	in_alice devices -c "$tmp/alice.conf" >"$tmp/devices.txt" 2>&1 || { cat "$tmp/devices.txt"; lab_fail "riftgate devices"; }
	grep -Eq '^alice \(this device\) +10\.77\.0\.1/24 +online ' "$tmp/devices.txt" &&
		grep -Eq '^bob +10\.77\.0\.2/24 +connected +(srflx|host|prflx|relay) ' "$tmp/devices.txt" ||
		{ cat "$tmp/devices.txt"; lab_fail "riftgate devices does not show both"; }
	in_alice refresh -c "$tmp/alice.conf" >"$tmp/refresh.txt" 2>&1 &&
		grep -q "^the agent refreshed its access token" "$tmp/refresh.txt" ||
		{ cat "$tmp/refresh.txt"; lab_fail "riftgate refresh"; }
	lab_wait_for 5 reach alice "$(tunnel_ip bob)" || lab_fail "the tunnel stopped after the refresh"
	in_alice devices revoke bob -c "$tmp/alice.conf" >"$tmp/revoke.txt" 2>&1 &&
		grep -qx 'Device "bob" has been revoked.' "$tmp/revoke.txt" || { cat "$tmp/revoke.txt"; lab_fail "revoke"; }
	t0=$SECONDS
	until ! kill -0 "${RN_PID[bob]}" 2>/dev/null; do
		[ $((SECONDS - t0)) -lt 20 ] || lab_fail "bob's agent still runs 20 s after its revocation"
		sleep 0.2
	done
	wait "${RN_PID[bob]}"
	rc=$?
	[ $rc -eq 0 ] || lab_fail "bob's agent exited with $rc, not 0"
	grep -q "device revoked or expired, run riftgate setup" "$tmp/bob.log" || lab_fail "bob's agent did not say why"
	echo "bob's agent stopped $((SECONDS - t0)) s after its revocation, status 0"
	in_alice devices -c "$tmp/alice.conf" | grep -Eq '^bob +10\.77\.0\.2/24 +revoked ' || lab_fail "bob is not listed revoked"
	grep -l 'rgr_\|rgj_' "$tmp"/*.log && lab_fail "a token in a log"
	;;
channel)
	for side in "alice bob" "bob alice"; do
		read -r -a pair <<<"$side"
		set -- "${pair[@]}"
		[ "$(peer_field "$1" "$2" transport)" = channel ] || lab_fail "$1 sends to $2 by $(peer_field "$1" "$2" transport)"
	done
	transfer alice bob 32
	transfer bob alice 8
	;;
two)
	for side in "alice bob" "bob alice"; do
		read -r -a pair <<<"$side"
		set -- "${pair[@]}"
		[ "$(peer_field "$1" "$2" ice_type)" = srflx ] || lab_fail "$1's pair is $(peer_field "$1" "$2" ice_type), not srflx"
		[ "$(peer_field "$1" "$2" path)" = direct ] || lab_fail "$1's path is not direct"
		[ "$(peer_field "$1" "$2" rtt_ms)" -ge 0 ] || lab_fail "$1 has no RTT for $2"
		[ "$(peer_field "$1" "$2" transport)" = ice ] || lab_fail "$1 sends to $2 by $(peer_field "$1" "$2" transport)"
	done
	transfer alice bob 32
	# bob read alice's WireGuard beside libnice, in batches (ice.h: batch receive)
	b0=$(peer_field bob alice rx_batched)
	[ "$b0" -gt 8000 ] || lab_fail "bob's batch receiver took $b0 datagrams of 32 MiB"
	echo "bob read $b0 datagrams in $(peer_field bob alice rx_batch_messages) batch messages"
	[ "$(peer_field alice bob rx_batched)" -gt 0 ] || lab_fail "alice's batch receiver took none"
	[ "$(peer_field alice bob endpoint)" = "$(peer_field alice bob endpoint | grep '^198\.51\.100\.3:[0-9]*$')" ] ||
		lab_fail "alice's endpoint for bob is not bob's router: $(peer_field alice bob endpoint)"
	iperf alice bob 10 || true
	iperf_report || lab_fail "the transfer through the tunnel failed"
	[ "$(peer_field bob alice rx_batched)" -gt "$b0" ] || lab_fail "iperf3 did not use bob's batch receiver"
	[ "$(stat -c %a "$tmp/alice.sock")" = 660 ] || lab_fail "the control socket is $(stat -c %a "$tmp/alice.sock"), not 660"
	"$rg" status -s "$tmp/alice.sock" >"$tmp/status.txt" || lab_fail "riftgate status"
	grep -q '^Device:   alice$' "$tmp/status.txt" && grep -Eq '^bob +10\.77\.0\.2/24 +connected +srflx +direct ' "$tmp/status.txt" ||
		{ cat "$tmp/status.txt"; lab_fail "riftgate status does not show bob connected"; }
	if command -v wg >/dev/null; then
		ip netns exec "$(ns_of alice)" wg show "$(ifname_of alice)" >"$tmp/wg.txt" 2>&1 || { cat "$tmp/wg.txt"; lab_fail "wg show"; }
		grep -q "allowed ips: 10.77.0.2/32" "$tmp/wg.txt" && grep -q "latest handshake" "$tmp/wg.txt" &&
			grep -q "endpoint: 198\.51\.100\.3:[0-9]" "$tmp/wg.txt" ||
			{ cat "$tmp/wg.txt"; lab_fail "wg show does not show bob"; }
	fi
	lab_stop "${RN_PID[alice]}"
	ip -n "$(ns_of alice)" link show "$(ifname_of alice)" >/dev/null 2>&1 && lab_fail "the interface outlived the agent"
	[ -e "$tmp/alice.sock" ] && lab_fail "the control socket outlived the agent"
	grep -q "ERROR\|AddressSanitizer" "$tmp/alice.log" && lab_fail "errors in alice's log"
	;;
mesh) ;;
relay | turn-tls)
	for side in "alice bob" "bob alice"; do
		read -r -a pair <<<"$side"
		set -- "${pair[@]}"
		[ "$(peer_field "$1" "$2" ice_type)" = relay ] || lab_fail "$1's pair is $(peer_field "$1" "$2" ice_type), not relay"
		[ "$(peer_field "$1" "$2" path)" = relayed ] || lab_fail "$1's path is not relayed"
	done
	# coturn saw the server's credentials (expiry:device id), over TLS in turn-tls
	grep -Eq "username=<[0-9]{10}:[0-9a-f-]{36}>" "$tmp/turn.log" || lab_fail "coturn saw no time-limited username"
	if [ "$mode" = turn-tls ]; then
		# every session that allocated is one coturn says ran over TLS
		awk '/ALLOCATE processed, success/ { s[$4] = 1 } /method=TLS/ { t[$4] = 1 }
			END { n = 0; for (k in s) { n++; if (!(k in t)) { print "not TLS: " k; exit 1 } }
			      if (n == 0) { print "no allocation"; exit 1 } }' "$tmp/turn.log" ||
			lab_fail "a TURN allocation not over TLS"
	fi
	transfer bob alice 8
	iperf alice bob 3 || true
	iperf_report || lab_fail "the transfer through the relay failed"
	;;
worker | worker-restart)
	for side in "alice bob" "bob alice"; do
		read -r -a pair <<<"$side"
		set -- "${pair[@]}"
		[ "$(peer_field "$1" "$2" ice_type)" = relay ] || lab_fail "$1's pair is $(peer_field "$1" "$2" ice_type), not relay"
		[ "$(peer_field "$1" "$2" path)" = relayed ] || lab_fail "$1's path is not relayed"
	done
	if [ "$mode" = worker ]; then
		transfer alice bob 8
		iperf alice bob 10 || true
		iperf_report || lab_fail "the transfer through the Worker's relay failed"
		ups=$(grep -c "^\[network\] up" "$tmp/server.log")
		kill -STOP "${RN_PID[alice]}" "${RN_PID[bob]}"
		t0=$SECONDS
		# workerd evicts an object idle for about 10 s; a request then wakes it anew (its
		# constructor logs "up"), and a request before that keeps it: ask every 12 s
		until [ "$(grep -c "^\[network\] up" "$tmp/server.log")" -gt "$ups" ]; do
			[ $((SECONDS - t0)) -lt 60 ] || { kill -CONT "${RN_PID[alice]}" "${RN_PID[bob]}"; lab_fail "the Durable Object was not evicted in 60 s"; }
			sleep 12
			ip netns exec "$PUB" curl -s -o /dev/null "http://$SERVER:8787/status"
			sleep 0.5
		done
		echo "the Durable Object was evicted and woke again $((SECONDS - t0)) s after the agents stopped"
		kill -CONT "${RN_PID[alice]}" "${RN_PID[bob]}"
		flood alice 10.77.0.2 8
		wait "$flood_pid"
		read -r gap replies < <(longest_gap)
		echo "after the eviction: the longest gap between replies was $gap ms ($replies replies)"
		# a stopped process finds its STUN checks timed out when it goes on (libnice then
		# restarts ICE: the woken object allocates anew); the relay's own state across an
		# eviction is tests/worker/relay.test.mjs's
		[ "$gap" -lt 3000 ] || lab_fail "replies stopped for $gap ms after the eviction"
		grep -q "rebuilding" "$tmp/alice.log" "$tmp/bob.log" && lab_fail "a tunnel was rebuilt"
	else
		flood alice 10.77.0.2 40
		sleep 3
		lab_stop "$server"
		sleep 2
		riftnet_server
		wait "$flood_pid"
		read -r gap replies < <(longest_gap)
		echo "workerd restarted: the longest gap between replies was $gap ms ($replies replies)"
		[ "$replies" -gt 100 ] || lab_fail "only $replies replies"
		for n in alice bob; do
			lab_wait_for 40 sh -c "'$rg' status --json -s '$tmp/$n.sock' | grep -q '\"server_connected\":true'" ||
				lab_fail "$n did not re-join"
		done
		lab_wait_for 30 reach alice 10.77.0.2 || lab_fail "no tunnel after workerd's restart"
		transfer bob alice 4
	fi
	;;
symmetric)
	for side in "alice bob" "bob alice"; do
		read -r -a pair <<<"$side"
		set -- "${pair[@]}"
		[ "$(peer_field "$1" "$2" ice_type)" = relay ] || lab_fail "$1's pair is $(peer_field "$1" "$2" ice_type), not relay"
		[ "$(peer_field "$1" "$2" path)" = relayed ] || lab_fail "$1's path is not relayed"
		[ "$(peer_field "$1" "$2" transport)" = ice ] || lab_fail "$1 sends to $2 by $(peer_field "$1" "$2" transport)"
	done
	transfer bob alice 8
	iperf alice bob 3 || true
	iperf_report || lab_fail "the transfer through the relay failed"
	;;
lan-route)
	lab_wait_for 10 sh -c "[ \"\$('$rg' status --json -s '$tmp/bob.sock' | grep -o '192.168.50.0/24' | head -1)\" ]" ||
		lab_fail "bob did not accept alice's route"
	ip -n "$(ns_of bob)" route show 192.168.50.0/24 | grep -q "$(ifname_of bob)" || lab_fail "no kernel route on bob"
	lab_wait_for 10 reach bob 192.168.50.2 || lab_fail "bob cannot reach the host behind alice"
	;;
kill9)
	la=$(ns_of alice)
	fwd() { ip netns exec "$la" cat "/proc/sys/net/ipv4/conf/$1/forwarding"; }
	rules() { ip netns exec "$la" nft list table ip riftgate 2>/dev/null | grep -c masquerade; }
	[ "$(fwd eth1)" = 1 ] && [ "$(fwd "$(ifname_of alice)")" = 1 ] || lab_fail "forwarding is not on"
	[ "$(fwd eth0)" = 0 ] || lab_fail "forwarding on eth0, which owns no advertised route"
	[ "$(rules)" = 1 ] || lab_fail "no masquerade rule"
	kill -9 "${RN_PID[alice]}"
	wait "${RN_PID[alice]}" 2>/dev/null
	[ "$(rules)" = 1 ] && [ "$(fwd eth1)" = 1 ] || lab_fail "SIGKILL left nothing behind: the case tests nothing"
	riftnet_agent alice
	lab_wait_for 30 connected alice bob || lab_fail "alice did not come back"
	[ "$(rules)" = 1 ] || lab_fail "$(rules) masquerade rules after the restart"
	grep -q "gateway" "$tmp/alice.log" || true
	lab_stop "${RN_PID[alice]}"
	[ "$(ip netns exec "$la" nft list tables | grep -c riftgate)" = 0 ] || lab_fail "the table outlived the agent"
	[ "$(fwd eth1)" = 0 ] || lab_fail "forwarding on eth1 outlived the agent"
	ls "$tmp"/*.gateway >/dev/null 2>&1 && lab_fail "a gateway state file outlived the agent"
	;;
server-restart)
	iperf alice bob 10 &
	transfer=$!
	sleep 3
	lab_stop "$server"
	sleep 2
	riftnet_server
	wait "$transfer"
	iperf_report || lab_fail "the transfer did not survive the server's restart"
	for n in alice bob; do
		lab_wait_for 40 sh -c "'$rg' status --json -s '$tmp/$n.sock' | grep -q '\"server_connected\":true'" ||
			lab_fail "$n did not re-join"
	done
	grep -q "rebuilding" "$tmp/alice.log" "$tmp/bob.log" && lab_fail "a tunnel was rebuilt"
	;;
nat-flush)
	flood alice 10.77.0.2 20
	sleep 5
	for n in alice bob; do ip netns exec "$(router_of $n)" conntrack -F >/dev/null 2>&1 || lab_fail "conntrack -F"; done
	wait "$flood_pid"
	read -r gap replies < <(longest_gap)
	echo "conntrack flushed: the longest gap between replies was $gap ms ($replies replies)"
	[ "$gap" -lt 10000 ] || lab_fail "replies stopped for $gap ms"
	;;
renumber)
	flood alice 10.77.0.2 25
	sleep 4
	ip -n "$(router_of alice)" addr del 198.51.100.2/24 dev wan &&
		ip -n "$(router_of alice)" addr add 198.51.100.5/24 dev wan || lab_fail "renumbering"
	ip netns exec "$(router_of alice)" conntrack -F >/dev/null 2>&1
	wait "$flood_pid"
	read -r gap replies < <(longest_gap)
	echo "router A renumbered: the longest gap between replies was $gap ms ($replies replies)"
	[ "$gap" -lt 10000 ] || lab_fail "replies stopped for $gap ms"
	grep -q "ICE restart 1 of 3" "$tmp/alice.log" "$tmp/bob.log" || lab_fail "nobody restarted ICE"
	;;
rogue)
	flood alice 10.77.0.2 12
	run_rogue() { # one connection of mallory's, sending stdin
		ip netns exec "$PUB" "$sigc" "https://$SERVER:8443" mallory-token-0123456789 "$pin" >"$tmp/rogue.out" 2>&1
	}
	expect_close() { # CODE REASON-PATTERN
		grep -q "^closed $1 .*$2" "$tmp/rogue.out" || { cat "$tmp/rogue.out"; lab_fail "rogue not closed with $1 ($2)"; }
	}
	echo '{"type":"join","peerId":"mallory","publicKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}' >"$tmp/join"
	printf 'not json\n' | run_rogue; expect_close 1007 ""
	printf '{"type":"join","peerId":"bob","publicKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}\n' | run_rogue; expect_close 1008 ""
	{ cat "$tmp/join"; echo "#big 70000"; } | run_rogue; expect_close 1009 ""
	{ cat "$tmp/join"; echo "#binary"; } | run_rogue; expect_close 1003 ""
	{ cat "$tmp/join"; echo '{"type":"offer","from":"bob","to":"alice","sdp":"v=0"}'; } | run_rogue; expect_close 1008 ""
	# what reaches alice: a garbage offer, a candidate for nothing, an answer to nothing
	{
		cat "$tmp/join"
		printf '%s\n' '{"type":"offer","from":"mallory","to":"alice","sdp":"v=0\r\ngarbage"}'
		printf '%s\n' '{"type":"answer","from":"mallory","to":"alice","sdp":"v=0\r\ngarbage"}'
		echo '{"type":"ice-candidate","from":"mallory","to":"alice","candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host"}'
		echo '{"type":"answer","from":"mallory","to":"bob","sdp":"v=0"}'
		echo '#sleep 500'
	} | run_rogue
	grep -q "^< " "$tmp/rogue.out" || { cat "$tmp/rogue.out"; lab_fail "mallory was not let in"; }
	wait "$flood_pid"
	read -r gap replies < <(longest_gap)
	echo "during the rogue's messages the longest gap between replies was $gap ms ($replies replies)"
	[ "$gap" -lt 1500 ] || lab_fail "the tunnel was disturbed: a gap of $gap ms"
	grep -q 'mallory.*refusing its answer: ' "$tmp/alice.log" || lab_fail "alice did not log the bad answer"
	for n in alice bob; do kill -0 "${RN_PID[$n]}" || lab_fail "$n died"; done
	connected alice bob || lab_fail "the tunnel is down"
	;;
esac
# every agent still running leaves on SIGTERM with status 0 and a clean sanitizer report
for n in $names; do
	p=${RN_PID[$n]}
	if kill -0 "$p" 2>/dev/null; then
		kill "$p"
		wait "$p"
		rc=$?
		[ $rc -eq 0 ] || lab_fail "agent $n exited with $rc on SIGTERM"
	elif [ "$mode" != two ] && [ "$mode" != kill9 ] && ! { [ "$mode" = accounts ] && [ "$n" = bob ]; }; then
		lab_fail "agent $n died"
	fi
	grep -q "Sanitizer\|runtime error:" "$tmp/$n.log" && lab_fail "agent $n: sanitizer report"
done
echo "PASS ($mode)"
