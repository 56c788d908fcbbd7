# shellcheck shell=bash
# shellcheck disable=SC2154 # rg, tmp, id, nat and names are the caller's (below)
# riftnet.sh - sourced: riftgate devices in home networks, each behind its
# own NAT router, with `riftgate server` and coturn on the "internet"
# between them. Used by tests/lab/rift-agent.sh and scripts/demo.
#
#  netns (agent alice)          netns (agent bob)            netns (agent carol)
#  rg-alice 10.77.0.1/24        rg-bob 10.77.0.2/24          rg-carol 10.77.0.3/24
#  eth0 10.1.0.2/24             eth0 10.2.0.2/24             eth0 10.3.0.2/24
#    |                            |                            |
#  router lan 10.1.0.1          router lan 10.2.0.1          router lan 10.3.0.1
#         wan 198.51.100.2 --+         wan 198.51.100.3 --+         wan 198.51.100.6
#                            |                            |              |
#                     netns pub: br0 198.51.100.1/24 -----+--------------+
#                     riftgate server https://198.51.100.1:8443 (its certificate
#                     pinned by the agents), coturn :3478 (STUN; TURN user rift,
#                     relaying on 198.51.100.1 to 198.51.100.0/24 only)
#
# Each router masquerades what leaves by wan (fully-random when symmetric)
# and drops what arrives on wan unsolicited, as home routers do
# (../shared/notes/lab.md: otherwise hole punching fails through plain
# masquerade).
#
# The caller sets before sourcing:
#   rg     the riftgate binary          tmp    a directory of its own
#   id     a tag for names ($$)         nat    cone or symmetric
#   names  the devices ("alice bob")    RN_PREFIX (optional) namespace prefix
# and may set per device, before riftnet_agents:
#   RN_ROUTES[name]    routes it advertises      RN_ACCEPT[name]    "peer:routes"
# With RN_ACCOUNTS=1 the server keeps its devices in a database (riftgate server init,
# the tunnel subnet 10.77.0.0/24) and coturn checks time-limited credentials
# (use-auth-secret, packaging/coturn/turnserver.conf's way) on UDP and TCP 3478 and
# TLS 5349 (the server's certificate, its fingerprint told to the agents with the
# TURN URLs): each device registers with `riftgate setup` and a join token of
# `riftgate server invite`, in its own namespace, in the order of $names (so alice
# gets .1, bob .2, carol .3); its files are in $tmp/NAME/ and $tmp/NAME.conf.
#   RN_AGENT[name]     a line for its [agent] group ("wg-direct = false")
# RN_WORKER=DIR (the repository's worker/) with RN_WORKERD (the workerd binary) and
# RN_ADMIN (its admin token): the Worker in workerd on $SERVER:8787 (plain HTTP) is the
# server and the relay (TURN over WebSocket), no coturn; devices register with it
# (RN_ACCOUNTS is implied).
# RN_WAN_BLOCK (before riftnet_up): what every router drops on its way out, nft
# matches with their verdicts separated by ";" ("meta l4proto udp drop; tcp dport 3478 drop").
# It sources ../lib.sh (unless the caller did) and uses its helpers: lab_fail
# MESSAGE on any error (the caller's lab_on_fail adds its diagnostics),
# lab_track for every process it starts, lab_wait_for, lab_stop; riftnet_cleanup
# stops every tracked process (LAB_PIDS, by PID), reaps it (RN_CRASHED: those that
# crashed), forgets it and removes every namespace.
# shellcheck source=tests/lab/lib.sh
declare -F lab_fail >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SERVER=198.51.100.1
# per device, by name (global even when sourced inside a function)
declare -gA RN_ROUTES RN_ACCEPT RN_AGENT RN_PID
RN_PREFIX=${RN_PREFIX:-rga}
PUB=$RN_PREFIX-pub$id
ns_of() { echo "$RN_PREFIX-l${1:0:1}$id"; }
router_of() { echo "$RN_PREFIX-r${1:0:1}$id"; }
tunnel_ip() { case $1 in alice) echo 10.77.0.1 ;; bob) echo 10.77.0.2 ;; carol) echo 10.77.0.3 ;; esac; }
wan_of() { case $1 in alice) echo 198.51.100.2 ;; bob) echo 198.51.100.3 ;; carol) echo 198.51.100.6 ;; esac; }
lan_of() { case $1 in alice) echo 10.1.0 ;; bob) echo 10.2.0 ;; carol) echo 10.3.0 ;; esac; }
ifname_of() { echo "rg-$1$id"; }

# riftnet_cleanup: RN_CRASHED lists what died of a crash signal on its own (SIGABRT,
# SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP: "PID:status"), at the end or before it; a
# process stopped here or killed by a test (TERM, KILL, INT) is not one
riftnet_cleanup() {
	local p rc
	RN_CRASHED=
	for p in "${LAB_PIDS[@]}"; do
		lab_stop "$p"
		wait "$p" 2>/dev/null
		rc=$?
		case $rc in 132 | 133 | 134 | 135 | 136 | 139) RN_CRASHED="$RN_CRASHED $p:$rc" ;; esac
	done
	LAB_PIDS=()
	for n in alice bob carol; do
		ip netns del "$(ns_of $n)" 2>/dev/null
		ip netns del "$(router_of $n)" 2>/dev/null
		rm -f "/var/run/wireguard/$(ifname_of $n).sock"
	done
	ip netns del "$PUB" 2>/dev/null
}
listening() { # NS -t|-u ADDR:PORT
	ip netns exec "$1" ss -Hln "$2" "src $3" | grep -q .
}

# the forward rules of RN_WAN_BLOCK, lan to wan
rn_wan_block() {
	local r
	local IFS=';'
	for r in ${RN_WAN_BLOCK:-}; do printf 'iifname "lan" oifname "wan" %s\n' "$r"; done
}

# home NAME: its namespace behind its router
riftnet_home() {
	local n=$1 l r lan masq=masquerade
	l=$(ns_of "$n") r=$(router_of "$n") lan=$(lan_of "$n")
	[ "$nat" = symmetric ] && masq="masquerade fully-random"
	ip netns add "$l" && ip netns add "$r" || lab_fail "namespaces"
	ip -n "$l" link set lo up
	ip -n "$r" link set lo up
	ip link add eth0 netns "$l" type veth peer name lan netns "$r" || lab_fail "veth"
	ip -n "$l" addr add "$lan.2/24" dev eth0
	ip -n "$r" addr add "$lan.1/24" dev lan
	ip -n "$l" link set eth0 up
	ip -n "$r" link set lan up
	ip -n "$l" route add default via "$lan.1"
	ip link add wan netns "$r" type veth peer name "w$n" netns "$PUB" || lab_fail "veth"
	ip -n "$r" addr add "$(wan_of "$n")/24" dev wan
	ip -n "$PUB" link set "w$n" master br0
	ip -n "$r" link set wan up
	ip -n "$PUB" link set "w$n" up
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$r" nft -f - <<-NFT || lab_fail "nft in $r"
	table inet lab {
		chain input {
			type filter hook input priority filter; policy accept;
			iifname "wan" ct state established,related accept
			iifname "wan" drop
		}
		chain forward {
			type filter hook forward priority filter; policy drop;
			$(rn_wan_block)
			iifname "lan" oifname "wan" accept
			iifname "wan" oifname "lan" ct state established,related accept
		}
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "wan" $masq
		}
	}
	NFT
}

# The public network, the homes, the server (with a certificate the agents pin) and coturn;
# with RN_WORKER, the Worker in workerd instead of both.
riftnet_up() {
	ip netns add "$PUB" || lab_fail "cannot create namespaces"
	ip -n "$PUB" link set lo up
	ip -n "$PUB" link add br0 type bridge
	ip -n "$PUB" addr add $SERVER/24 dev br0
	ip -n "$PUB" link set br0 up
	for n in $names; do riftnet_home "$n"; done
	if [ -n "${RN_WORKER:-}" ]; then
		riftnet_server
		ip netns exec "$PUB" curl -sf -X POST -H "Authorization: Bearer $RN_ADMIN" \
			"http://$SERVER:8787/admin/init" -d '{"name":"lab","subnet":"10.77.0.0/24"}' \
			>"$tmp/init.out" || lab_fail "the Worker's /admin/init"
		return
	fi
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=rift.lab" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null ||
		lab_fail "openssl"
	pin=$(openssl x509 -in "$tmp/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
	{
		printf '[server]\nlisten = %s\nport = 8443\ncert = %s\nkey = %s\n' $SERVER \
			"$tmp/cert.pem" "$tmp/key.pem"
		if [ -n "${RN_ACCOUNTS:-}" ]; then
			printf 'url = https://%s:8443\n[store]\npath = %s/server.db\n' $SERVER "$tmp"
			# the server hands out coturn's UDP, TCP and TLS (its certificate pinned)
			printf '[ice]\nstun = %s:3478\nturn = udp:%s:3478, tcp:%s:3478, tls:%s:5349\n' \
				$SERVER $SERVER $SERVER $SERVER
			printf 'turn-secret = %s\nturn-fingerprint = %s\n' lab-turn-secret-0123456789 "$pin"
		else
			for n in alice bob carol mallory; do
				printf '[device.%s]\nnetwork = lab\ntoken = %s-token-0123456789\n' $n $n
			done
		fi
	} >"$tmp/server.conf"
	if [ -n "${RN_ACCOUNTS:-}" ]; then
		"$rg" server init -c "$tmp/server.conf" --name lab --subnet 10.77.0.0/24 \
			>"$tmp/init.out" 2>"$tmp/init.err" || { cat "$tmp/init.err"; lab_fail "riftgate server init"; }
	fi
	local turn_auth=(--lt-cred-mech --user=rift:lab-secret --no-tls)
	# with accounts: time-limited credentials, and TLS on 5349 with the server's certificate
	[ -n "${RN_ACCOUNTS:-}" ] && turn_auth=(--use-auth-secret --static-auth-secret=lab-turn-secret-0123456789
		--tls-listening-port=5349 --cert="$tmp/cert.pem" --pkey="$tmp/key.pem" --verbose)
	riftnet_server
	# not through a wrapper: $! must be turnserver itself (ip netns exec execs it)
	ip netns exec "$PUB" turnserver -n --listening-ip=$SERVER --relay-ip=$SERVER \
		--listening-port=3478 --min-port=49152 --max-port=49407 \
		"${turn_auth[@]}" --realm=rift.lab \
		--denied-peer-ip=0.0.0.0-255.255.255.255 --allowed-peer-ip=198.51.100.0-198.51.100.255 \
		--no-multicast-peers --no-tcp-relay --no-dtls --no-cli \
		--db="$tmp/turndb" --pidfile="$tmp/turn.pid" \
		--log-file="$tmp/turn.log" --simple-log --no-stdout-log >/dev/null 2>&1 &
	lab_track $!
	lab_wait_for 5 listening "$PUB" -u $SERVER:3478 || lab_fail "coturn is not listening"
}

# (Re)start the server (the Worker: workerd, its state kept in $tmp/worker); its PID in $server.
riftnet_server() {
	if [ -n "${RN_WORKER:-}" ]; then
		# not through a wrapper: $! must be workerd itself (local.sh and ip netns exec exec it)
		# shellcheck disable=SC2153 # RN_WORKERD is the caller's, as RN_WORKER
		ADMIN_TOKEN=$RN_ADMIN ip netns exec "$PUB" "$RN_WORKER/local.sh" "$RN_WORKERD" \
			"$tmp/worker" $SERVER:8787 >>"$tmp/server.log" 2>&1 &
		server=$!
		lab_track "$server"
		lab_wait_for 15 listening "$PUB" -t $SERVER:8787 || lab_fail "workerd is not listening"
		return
	fi
	ip netns exec "$PUB" "$rg" server -c "$tmp/server.conf" >>"$tmp/server.log" 2>&1 &
	server=$!
	lab_track "$server"
	lab_wait_for 10 listening "$PUB" -t $SERVER:8443 || lab_fail "the server is not listening"
}

# riftnet_register NAME: a join token, then riftgate setup in its namespace, then the
# lab's own keys (interface, control socket, secrets path, routes) into $tmp/NAME.conf
riftnet_register() {
	local n=$1 token routes accept extra
	routes=${RN_ROUTES[$n]:-} accept=${RN_ACCEPT[$n]:-} extra=${RN_AGENT[$n]:-}
	if [ -n "${RN_WORKER:-}" ]; then
		token=$(ip netns exec "$PUB" curl -sf -X POST -H "Authorization: Bearer $RN_ADMIN" \
			"http://$SERVER:8787/admin/invite" | python3 -c 'import json, sys; print(json.load(sys.stdin)["join_token"])')
		[ -n "$token" ] || lab_fail "the Worker's /admin/invite"
		ip netns exec "$(ns_of "$n")" "$rg" setup --server "http://$SERVER:8787" --token "$token" \
			--name "$n" -c "$tmp/$n/riftgate.conf" >"$tmp/$n.setup" 2>&1 ||
			{ cat "$tmp/$n.setup"; lab_fail "riftgate setup for $n"; }
	else
		token=$("$rg" server invite -c "$tmp/server.conf" 2>/dev/null | sed -n 's/^join token: //p')
		[ -n "$token" ] || lab_fail "riftgate server invite"
		ip netns exec "$(ns_of "$n")" "$rg" setup --server "https://$SERVER:8443" --token "$token" \
			--fingerprint "$pin" --name "$n" -c "$tmp/$n/riftgate.conf" >"$tmp/$n.setup" 2>&1 ||
			{ cat "$tmp/$n.setup"; lab_fail "riftgate setup for $n"; }
	fi
	awk -v ifn="$(ifname_of "$n")" -v routes="$routes" '
		{ print }
		/^\[device\]$/ { print "interface=" ifn; if (routes != "") print "routes=" routes }
	' "$tmp/$n/riftgate.conf" >"$tmp/$n.conf"
	printf '[agent]\ncontrol = %s/%s.sock\nsecrets = %s/%s/secrets.conf\n' "$tmp" "$n" "$tmp" "$n" \
		>>"$tmp/$n.conf"
	[ -n "$extra" ] && printf '%s\n' "$extra" >>"$tmp/$n.conf"
	[ -n "$accept" ] && printf '[peer.%s]\naccept-routes = %s\n' "${accept%%:*}" "${accept#*:}" \
		>>"$tmp/$n.conf"
	return 0
}

# riftnet_conf NAME: its configuration and secrets
riftnet_conf() {
	local n=$1 routes accept extra
	[ -n "${RN_ACCOUNTS:-}" ] && { riftnet_register "$n"; return; }
	routes=${RN_ROUTES[$n]:-} accept=${RN_ACCEPT[$n]:-} extra=${RN_AGENT[$n]:-}
	{
		printf '[device]\nname = %s\naddress = %s/24\ninterface = %s\n' "$n" "$(tunnel_ip "$n")" \
			"$(ifname_of "$n")"
		[ -n "$routes" ] && printf 'routes = %s\n' "$routes"
		printf '[server]\nurl = https://%s:8443\nfingerprint = %s\n' $SERVER "$pin"
		printf '[ice]\nstun = %s:3478\nturn = udp:%s:3478\nturn-user = rift\n' $SERVER $SERVER
		printf '[agent]\ncontrol = %s/%s.sock\nsecrets = %s/%s.secrets\n' "$tmp" "$n" "$tmp" "$n"
		[ -n "$extra" ] && printf '%s\n' "$extra"
		[ -n "$accept" ] && printf '[peer.%s]\naccept-routes = %s\n' "${accept%%:*}" "${accept#*:}"
	} >"$tmp/$n.conf"
	(
		umask 077
		printf '[device]\nprivate-key = %s\ntoken = %s-token-0123456789\n[ice]\nturn-password = lab-secret\n' \
			"$("$rg" genkey)" "$n" >"$tmp/$n.secrets"
	)
}

# riftnet_agent NAME: start it (RG_WRAP runs it under a tool, RG_VERBOSE adds -v); PID in RN_PID[NAME]
riftnet_agent() {
	# shellcheck disable=SC2086 # RG_WRAP is a command line (valgrind ...), or nothing
	ip netns exec "$(ns_of "$1")" ${RG_WRAP:-} "$rg" up -c "$tmp/$1.conf" ${RG_VERBOSE:+-v} \
		>>"$tmp/$1.log" 2>&1 &
	# shellcheck disable=SC2034 # read by the callers
	RN_PID[$1]=$!
	lab_track $!
}
riftnet_agents() {
	for n in $names; do riftnet_conf "$n"; done
	for n in $names; do riftnet_agent "$n"; done
}

status() { "$rg" status --json -s "$tmp/$1.sock"; }
# peer_field NAME PEER FIELD: a field of PEER in NAME's status
peer_field() {
	status "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d["peers"]:
    if p["id"] == sys.argv[1]:
        print(p[sys.argv[2]])' "$2" "$3"
}
connected() { [ "$(peer_field "$1" "$2" state)" = connected ]; }
reach() { # FROM TO-ADDRESS: three pings
	ip netns exec "$(ns_of "$1")" ping -c 3 -i 0.2 -W 2 -q "$2" >/dev/null
}
# Every device sees every other connected, within SECONDS.
riftnet_connected() {
	for a in $names; do
		for b in $names; do
			[ "$a" = "$b" ] && continue
			lab_wait_for "$1" connected "$a" "$b" || lab_fail "$a does not see $b connected"
		done
	done
}
