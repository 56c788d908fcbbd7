#!/usr/bin/env bash
# rift-relay.sh [BUILD-DIR] [SECONDS]: the relays, in one run, next to a direct
# path: two agents in the NAT lab (tests/lab/lib/riftnet.sh), registered with
# the server, alice -> bob:
#
#   direct   cone NATs, riftgate server: the hole-punched path
#   coturn   symmetric NATs, riftgate server handing out coturn (use-auth-secret):
#            relayed through coturn over UDP
#   worker   symmetric NATs that let no UDP out, the Worker (worker/ in workerd)
#            as server and relay: TURN over WebSocket
#
# For each: iperf3 TCP (Mbit/s, retransmits) for SECONDS, ping RTT (average of
# 20) and what the relay adds to the direct path's. Then the memory (RSS) of
# workerd and of riftgate server with 100 idle agents connected and joined
# (bench/idle-agents.mjs: signaling clients; the Worker's after its object was
# evicted for idleness too). A benchmark, not a test: nothing asserts.
# Needs root, iperf3, coturn, nft, openssl, node/npm (the Worker).
set -uo pipefail
cd "$(dirname "$0")/.." || exit
build=$(realpath "${1:-build}")
secs=${2:-10}
rg=$build/src/rift/riftgate
mods=$build/conformance-node
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_init
bench_labs
tests/conformance/npm.sh "$mods" >/dev/null || lab_fail "no npm packages for the Worker"
declare -A tcp retr rtt
rows=()

measure() { # ROW
	local row=$1 j
	ip netns exec "$(ns_of bob)" iperf3 -s -D -B 10.77.0.2 -I "$tmp/iperf.pid" >/dev/null 2>&1
	sleep 0.3
	j=$(ip netns exec "$(ns_of alice)" iperf3 -c 10.77.0.2 -t "$secs" -J 2>/dev/null)
	tcp[$row]=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.0f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' <<<"$j" 2>/dev/null || echo 0)
	retr[$row]=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["end"]["sum_sent"].get("retransmits", 0))' <<<"$j" 2>/dev/null || echo -)
	kill "$(cat "$tmp/iperf.pid")" 2>/dev/null
	rtt[$row]=$(ip netns exec "$(ns_of alice)" ping -c 20 -i 0.05 -q 10.77.0.2 | sed -n 's/.*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p')
	rows+=("$row")
	echo "  $row: TCP ${tcp[$row]} Mbit/s (${retr[$row]} retransmits), ping ${rtt[$row]} ms" >&2
}

run() { # ROW NAT [worker]
	id=$((RANDOM % 10000)) nat=$2 names="alice bob" RN_PREFIX=rgr RN_ACCOUNTS=1
	RN_WORKER='' RN_WAN_BLOCK=''
	if [ "${3:-}" = worker ]; then
		RN_WORKER=$(pwd)/worker RN_WORKERD=$mods/node_modules/.bin/workerd
		RN_ADMIN=bench-admin-token-0123456789 RN_WAN_BLOCK="meta l4proto udp drop"
	fi
	bench_lab_dir
	# shellcheck source=tests/lab/lib/riftnet.sh
	. tests/lab/lib/riftnet.sh
	riftnet_up
	riftnet_agents
	riftnet_connected 30
	lab_wait_for 10 reach alice 10.77.0.2 || lab_fail "$1: no ping"
	measure "$1"
	riftnet_cleanup
	rm -rf "$tmp"
	tmp=$top
}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# idle SERVER: the RSS (KiB) of the server process before, with 100 idle agents, and
# (the Worker) after its object was evicted; "base with100 evicted"
idle() {
	local kind=$1 d port pid holder base with evicted=-
	d=$(mktemp -d) port=$(free_port)
	if [ "$kind" = worker ]; then
		ADMIN_TOKEN=bench-admin-token-0123456789 worker/local.sh "$mods/node_modules/.bin/workerd" \
			"$d/w" 127.0.0.1:"$port" >"$d/log" 2>&1 &
		pid=$!
		sleep 1.5
		curl -sf -X POST -H "Authorization: Bearer bench-admin-token-0123456789" \
			"http://127.0.0.1:$port/admin/init" -d '{"name":"bench","subnet":"10.0.0.0/24"}' >/dev/null ||
			lab_fail "the Worker's init"
		printf '#!/bin/sh\nfor i in $(seq "$1"); do curl -sf -X POST -H "Authorization: Bearer bench-admin-token-0123456789" http://127.0.0.1:%s/admin/invite | python3 -c "import json,sys; print(json.load(sys.stdin)[\\"join_token\\"])"; done\n' "$port" >"$d/invite"
	else
		printf '[server]\nlisten = 127.0.0.1\nport = %s\n[store]\npath = %s/db\n' "$port" "$d" >"$d/conf"
		"$rg" server init -c "$d/conf" --name bench --subnet 10.0.0.0/24 >/dev/null 2>&1 || lab_fail "init"
		"$rg" server -c "$d/conf" >"$d/log" 2>&1 &
		pid=$!
		sleep 0.5
		printf '#!/bin/sh\nfor i in $(seq "$1"); do "%s" server invite -c "%s" | sed -n "s/^join token: //p"; done\n' "$rg" "$d/conf" >"$d/invite"
	fi
	chmod +x "$d/invite"
	base=$(rss_kib $pid)
	cp bench/idle-agents.mjs "$mods/"
	mkfifo "$d/hold"
	(cd "$mods" && node idle-agents.mjs "http://127.0.0.1:$port" 100 "$d/invite" <"$d/hold" >"$d/agents" 2>&1) &
	holder=$!
	exec 7>"$d/hold"
	for _ in $(seq 600); do grep -q "^connected 100" "$d/agents" && break; sleep 0.1; done
	grep -q "^connected 100" "$d/agents" || { cat "$d/agents"; lab_fail "$kind: 100 agents did not connect"; }
	sleep 2
	with=$(rss_kib $pid)
	if [ "$kind" = worker ]; then
		sleep 13 # evicted after about 10 s of idleness
		evicted=$(rss_kib $pid)
	fi
	exec 7>&-
	wait $holder
	kill $pid
	for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rm -rf "$d"
	echo "$base $with $evicted"
}

echo "relays, $secs s each:" >&2
run direct cone
run coturn symmetric
run worker symmetric worker
echo "memory with 100 idle agents:" >&2
read -r wb ww we < <(idle worker)
read -r sb sw _ < <(idle server)

echo
echo "| path | TCP Mbit/s | retransmits | ping ms | added RTT ms |"
echo "|---|---|---|---|---|"
for r in "${rows[@]}"; do
	add=$(python3 -c "print('%.2f' % (${rtt[$r]:-0} - ${rtt[direct]:-0}))")
	echo "| $r | ${tcp[$r]} | ${retr[$r]} | ${rtt[$r]} | $add |"
done
echo
echo "| server | RSS before | with 100 idle agents | per agent | after the eviction |"
echo "|---|---|---|---|---|"
echo "| workerd (the Worker) | $((wb / 1024)) MiB | $((ww / 1024)) MiB | $(((ww - wb) / 100)) KiB | $((we / 1024)) MiB |"
echo "| riftgate server | $((sb / 1024)) MiB | $((sw / 1024)) MiB | $(((sw - sb) / 100)) KiB | - |"
