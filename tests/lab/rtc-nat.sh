#!/usr/bin/env bash
# rtc-nat.sh RTC-PEER MODE: two riftgate peer connections
# (tests/interop/rtc-peer.c, paired by tests/interop/rtc-interop.sh) in two
# home networks behind NAT routers, with coturn as STUN and TURN server on
# the "internet" between them.
#
#  netns $LA (peer A, offers)                                      netns $LB (peer B, answers)
#  eth0 10.1.0.2/24                                                eth0 10.2.0.2/24
#    |                                                               |
#  lan 10.1.0.1/24  netns $RA (router A)      netns $RB (router B)  lan 10.2.0.1/24
#  wan 198.51.100.2 ----+                                  +------- wan 198.51.100.3
#                       |      netns $PUB ("internet")     |
#                       +- pa -- br0 198.51.100.1/24 -- pb +
#                                coturn :3478 UDP and TCP: STUN, and TURN with
#                                long-term credentials (realm rift.lab),
#                                relays on 198.51.100.1
#
# In the stun-late modes B has no router: its eth0 is 198.51.100.4/24 on br0
# (a public address).
#
# Each router masquerades what leaves by wan and, as real routers do, drops
# what arrives on wan unsolicited (otherwise a peer's first check creates a
# conntrack entry that makes the NAT pick another port, and hole punching
# fails; see ../shared/notes/lab.md). coturn relays only to 198.51.100.0/24,
# never into a home network.
#
# MODE (both peers have the same STUN and TURN servers; the network decides):
#   cone       plain masquerade (one mapping per socket): the path is
#              hole-punched, both sides report srflx/srflx, and the routers'
#              counters show the data went router to router, not to coturn
#   symmetric  masquerade fully-random (--random-fully: a mapping per
#              destination): hole punching fails and the connection goes
#              through a TURN relay: both report type relay (the side whose
#              peer holds the relay has a prflx candidate of its own), and no
#              data went router to router
#   tcp        both routers drop all outbound UDP: TURN over TCP to coturn
#              still connects, relay/relay on both sides
#   stun-late  B public, A behind the cone NAT; A's requests to coturn are
#              dropped until A has a pair, so A learns its NAT mapping from
#              B's answer first. libnice calls it prflx and later drops the
#              server's identical answer (A never signals a srflx); the pair is
#              still hole-punched and rift/ice reports srflx
#   stun-late-symmetric  the same behind the symmetric NAT: the server's late
#              answer shows another mapping, so A's report turns to prflx
#   roam       cone NATs, each router's wan limited to 20 Mbit/s (tc tbf) so
#              the transfer takes seconds; once the channels are open,
#              router A's ISP renumbers it (198.51.100.2 -> .5): the path
#              dies; A is told (SIGUSR1) and restarts ICE, gathers its new
#              mapping and the same channels carry on: srflx/srflx again, A
#              signaled a srflx on .5, and every byte arrived
#   consent    cone NATs, each router's wan limited to 2.5 Mbit/s (the
#              transfer takes 14 s at least, about 20); once the channels are
#              open, the routers drop every STUN binding success response:
#              neither side's consent checks are answered while the data
#              flows. libnice 0.1.21 gives consent up after 10 s (rift/ice/
#              ice.c, CONSENT_PROOF_MS); each side must keep its pair (logged),
#              none may lose its path, and every byte arrives
#   mtu        cone NATs, the "internet" carries IP packets of at most 1,260
#              bytes (UDP payloads of 1,232, what IPv6's minimum MTU of 1,280
#              leaves) and, like many firewalls, the routers drop IP
#              fragments: every datagram must fit on its own. srflx/srflx,
#              no fragment seen, every byte arrived (with the sizes before,
#              DTLS datagrams up to 1,280 bytes, the peers never connected)
#
# 4 MiB cross each way byte-exact (SHA-256) on a reliable channel, and 100
# messages on an unordered maxRetransmits-0 one; both peers say "ok" and exit
# 0. Needs root (exits 77 without), ip, nft and turnserver (coturn).
set -u
peer=$(realpath "${1:?usage: rtc-nat.sh path/to/rtc-peer MODE}")
mode=${2:-cone}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/lib.sh
source "$here/lib.sh"
lab_init
lab_require ip nft turnserver ss
case $mode in
cone | symmetric | tcp) nat_a=$mode nat_b=$mode hold=0 ;;
stun-late) nat_a=cone nat_b=none hold=1 ;;
stun-late-symmetric) nat_a=symmetric nat_b=none hold=1 ;;
roam | mtu | consent) nat_a=cone nat_b=cone hold=0 ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac

LA=rtn-la$$ RA=rtn-ra$$ PUB=rtn-pub$$ RB=rtn-rb$$ LB=rtn-lb$$
SERVER=198.51.100.1 MIB=4 wait_s=30
[ "$mode" = roam ] && MIB=8
[ "$mode" = consent ] && wait_s=60
# what each side must report receiving: the SHA-256 of rtc-peer's pattern
# (byte i is (31 i + i / 256) mod 256) over MIB MiB
WANT=$(python3 -c '
import hashlib, sys
n = int(sys.argv[1]) << 20
print("{\"result\":\"ok\",\"why\":\"sha256:%s bytes:%d\"}" % (hashlib.sha256(bytes((i * 31 + i // 256) & 255 for i in range(n))).hexdigest(), n))' $MIB)
t0=$(lab_now_ms)
routers() { for r in "$RA" "$RB"; do [ -e "/run/netns/$r" ] && echo "$r"; done; }
# bytes NAME: through counter NAME, summed over the routers
bytes() {
	local n=0 r
	for r in $(routers); do
		n=$((n + $(ip netns exec "$r" nft list counter inet lab "$1" | sed -n 's/.*bytes \([0-9]*\).*/\1/p')))
	done
	echo $n
}
lab_on_fail() {
	echo "(mode $mode)"
	for side in ours theirs; do
		echo "--- peer $side: reported pairs, last lines"
		grep -ho 'selected pair [a-z/]* type [a-z]*' "$tmp/$side.out" 2>/dev/null
		tail -c 600 "$tmp/$side.out" 2>/dev/null; tail -5 "$tmp/$side.err" 2>/dev/null
	done
	echo "--- coturn log (last lines)"; tail -15 "$tmp/turn.log" 2>/dev/null
	for r in $(routers); do
		echo "--- $r: counters, conntrack"
		ip netns exec "$r" nft list counters table inet lab 2>&1 | grep -o 'counter [a-z_]*\|packets.*'
		ip netns exec "$r" cat /proc/net/nf_conntrack 2>/dev/null | tail -8
	done
}
# --- the networks --------------------------------------------------------------
lab_netns "$LA" "$RA" "$PUB" "$LB"
[ "$nat_b" = none ] || lab_netns "$RB"
ip -n "$PUB" link add br0 type bridge || lab_fail "bridge"
ip -n "$PUB" addr add $SERVER/24 dev br0
ip -n "$PUB" link set br0 up
# wire NS IF ADDRESS PORT: a link from NS (IF, ADDRESS/24) to port PORT of br0
wire() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$PUB" || lab_fail "veth $1"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$PUB" link set "$4" master br0
	ip -n "$1" link set "$2" up
	ip -n "$PUB" link set "$4" up
}
# router NS NAT: masquerade out of wan (fully-random when symmetric, after
# dropping all UDP from the LAN when tcp); drop unsolicited input from wan;
# count what is forwarded to the server and to anyone else (the other
# side); the chain hold (empty unless $hold) drops requests to coturn
router() {
	local masq=masquerade block='' held='' frag=''
	[ "$2" = symmetric ] && masq="masquerade fully-random"
	[ "$2" = tcp ] && block='iifname "lan" meta l4proto udp counter name udp_blocked drop'
	[ "$hold" = 1 ] && held="ip daddr $SERVER udp dport 3478 counter name held drop"
	# before conntrack reassembles them (priority -400)
	[ "$mode" = mtu ] && frag="ip frag-off & 0x3fff != 0 counter name fragments drop"
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$1" nft -f - <<-NFT || lab_fail "nft in $1"
	table inet lab {
		counter unsolicited {}
		counter udp_blocked {}
		counter held {}
		counter to_server {}
		counter to_other {}
		counter fragments {}
		counter stun_answers {}
		chain raw {
			type filter hook prerouting priority -450; policy accept;
			$frag
		}
		chain input {
			type filter hook input priority filter; policy accept;
			iifname "wan" ct state established,related accept
			iifname "wan" counter name unsolicited drop
		}
		chain hold {
			$held
		}
		chain forward {
			type filter hook forward priority filter; policy drop;
			iifname "lan" jump hold
			$block
			iifname "lan" oifname "wan" ip daddr $SERVER counter name to_server accept
			iifname "lan" oifname "wan" counter name to_other accept
			iifname "wan" oifname "lan" ct state established,related accept
		}
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "wan" $masq
		}
	}
	NFT
}
# home NS ROUTER LAN-PREFIX WAN-ADDRESS PORT NAT: a peer behind its router
home() {
	ip link add eth0 netns "$1" type veth peer name lan netns "$2" || lab_fail "veth $1"
	ip -n "$1" addr add "$3.2/24" dev eth0
	ip -n "$2" addr add "$3.1/24" dev lan
	ip -n "$1" link set eth0 up
	ip -n "$2" link set lan up
	ip -n "$1" route add default via "$3.1"
	wire "$2" wan "$4" "$5"
	router "$2" "$6"
}
home "$LA" "$RA" 10.1.0 198.51.100.2 pa "$nat_a"
if [ "$nat_b" = none ]; then
	wire "$LB" eth0 198.51.100.4 pb
else
	home "$LB" "$RB" 10.2.0 198.51.100.3 pb "$nat_b"
fi
if [ "$mode" = mtu ]; then
	for l in "$RA wan" "$RB wan" "$PUB pa" "$PUB pb"; do
		ip -n "${l% *}" link set "${l#* }" mtu 1260 || lab_fail "mtu of ${l#* } in ${l% *}"
	done
fi
for ns in "$LA" "$LB"; do
	ip netns exec "$ns" ping -c 1 -W 2 -q $SERVER >/dev/null || lab_fail "$ns cannot reach the server"
done
if [ "$mode" = mtu ]; then
	# the path is what it says: 1,232 bytes of ICMP payload pass, 1,233 do not (DF)
	ip netns exec "$LA" ping -c 1 -W 2 -q -M 'do' -s 1232 $SERVER >/dev/null ||
		lab_fail "a 1,260-byte packet does not pass"
	ip netns exec "$LA" ping -c 1 -W 2 -q -M 'do' -s 1233 $SERVER >/dev/null 2>&1 &&
		lab_fail "a 1,261-byte packet passes"
	ip netns exec "$LA" ping -c 1 -W 2 -q -M dont -s 1300 $SERVER >/dev/null 2>&1 &&
		lab_fail "fragments pass"
fi

# --- coturn -----------------------------------------------------------------------
# not through a wrapper: $! must be turnserver itself (ip netns exec execs it)
ip netns exec "$PUB" turnserver -n --listening-ip=$SERVER --relay-ip=$SERVER \
	--listening-port=3478 --min-port=49152 --max-port=49407 \
	--lt-cred-mech --user=rift:lab-secret --realm=rift.lab \
	--denied-peer-ip=0.0.0.0-255.255.255.255 --allowed-peer-ip=198.51.100.0-198.51.100.255 \
	--no-multicast-peers --no-tcp-relay --no-tls --no-dtls --no-cli \
	--db="$tmp/turndb" --pidfile="$tmp/turn.pid" \
	--log-file="$tmp/turn.log" --simple-log --no-stdout-log >/dev/null 2>&1 &
turnpid=$!
lab_track "$turnpid"
listening() { ip netns exec "$PUB" ss -Hln "$1" "src $SERVER:3478" | grep -q .; }
lab_wait_for 5 listening -u && lab_wait_for 5 listening -t || lab_fail "coturn is not listening"

# --- the peers --------------------------------------------------------------------
turn=udp
[ "$mode" = tcp ] && turn=tcp
ice="--stun $SERVER:3478 --turn $turn:$SERVER:3478:rift:lab-secret"
if [ "$hold" = 1 ]; then
	# let A reach coturn once it has a pair
	(
		for _ in $(seq 300); do
			grep -q 'selected pair' "$tmp/ours.out" 2>/dev/null && break
			sleep 0.1
		done
		ip netns exec "$RA" nft flush chain inet lab hold
	) &
	watcher=$!
	lab_track "$watcher"
fi
# limit RATE: each router's wan sends at most RATE (tc tbf): the transfer takes seconds
limit() {
	local r
	for r in "$RA" "$RB"; do
		ip netns exec "$r" tc qdisc add dev wan root tbf rate "$1" burst 32kb latency 400ms ||
			lab_fail "tbf in $r"
	done
}
# once_open CMD...: run CMD in the background once data flows (0.5 s after
# A's reliable channel opened)
once_open() {
	(
		for _ in $(seq 300); do
			grep -q 'channel reliable open' "$tmp/ours.out" 2>/dev/null && break
			sleep 0.1
		done
		sleep 0.5
		"$@"
	) &
	watcher=$!
	lab_track "$watcher"
}
# renumber router A, tell A, note when
roam() {
	ip -n "$RA" addr del 198.51.100.2/24 dev wan &&
		ip -n "$RA" addr add 198.51.100.5/24 dev wan && date +%s%3N >"$tmp/moved"
	sleep 0.5
	kill -USR1 "$(cat "$tmp/ours.pid")" && date +%s%3N >"$tmp/told"
}
# no STUN binding success response (type 0x0101, the magic cookie after the
# length) crosses a router any more
mute_answers() {
	local r
	for r in "$RA" "$RB"; do
		ip netns exec "$r" nft insert rule inet lab forward meta l4proto udp \
			@th,64,16 0x0101 @th,96,32 0x2112a442 counter name stun_answers drop
	done
	date +%s%3N >"$tmp/muted"
}
[ "$mode" = roam ] && limit 20mbit && once_open roam
[ "$mode" = consent ] && limit 2500kbit && once_open mute_answers
# the fragments dropped so far (the pings'): the peers must add none
frags=$(bytes fragments)
t1=$(lab_now_ms)
# G_SLICE: GLib 2.74 carves small objects out of slabs that stay reachable,
# which hides their leaks from LeakSanitizer in an ASan build
G_SLICE=always-malloc RTC_WRAP_OURS="ip netns exec $LA" RTC_WRAP_THEIRS="ip netns exec $LB" \
	RTC_ARGS_OURS=$ice RTC_ARGS_THEIRS=$ice RTC_LOGS=$tmp RTC_WAIT_S=$wait_s \
	bash "$here/../interop/rtc-interop.sh" "$peer" ours offer $MIB >"$tmp/interop.log" 2>&1 ||
	{ cat "$tmp/interop.log"; lab_fail "the peers did not both succeed"; }
t2=$(lab_now_ms)

# --- what was reported, and what the routers saw ------------------------------------
# the last pair a side reported, as LOCAL/REMOTE:TYPE (a pair may be replaced)
pair() { grep -o 'selected pair [a-z/]* type [a-z]*' "$tmp/$1.out" | tail -1 | awk '{print $3 ":" $5}'; }
a=$(pair ours) b=$(pair theirs)
# what the data alone makes the routers forward: MIB MiB each way, once per router
direct=$(bytes to_other) server=$(bytes to_server) data=$(($(routers | wc -l) * MIB << 20))
echo "pairs (local/remote:type): A $a, B $b; the routers forwarded $direct bytes to the other side, $server to the server, and dropped $(bytes unsolicited) unsolicited bytes from wan"
expect() { # A-PAIR B-PAIR: the pairs reported last
	[ "$a" = "$1" ] && [ "$b" = "$2" ] || lab_fail "pairs $a and $b, want $1 and $2"
}
went_direct() { [ "$direct" -gt "$data" ] && [ "$server" -lt 65536 ] || lab_fail "not a direct path"; }
went_relayed() { [ "$direct" -lt 65536 ] && [ "$server" -gt "$data" ] || lab_fail "not through the server"; }
case $mode in
cone) expect srflx/srflx:srflx srflx/srflx:srflx && went_direct ;;
symmetric)
	case "$a $b" in
	"prflx/relay:relay relay/prflx:relay" | "relay/prflx:relay prflx/relay:relay") ;;
	"relay/relay:relay relay/relay:relay") ;;
	*) lab_fail "pairs $a and $b do not say relay" ;;
	esac
	went_relayed
	;;
tcp)
	expect relay/relay:relay relay/relay:relay && went_relayed
	[ "$(bytes udp_blocked)" -gt 0 ] || lab_fail "the routers blocked no UDP: the case tests nothing"
	;;
mtu)
	expect srflx/srflx:srflx srflx/srflx:srflx && went_direct
	[ "$frags" -gt 0 ] || lab_fail "the routers dropped no fragment of the pings: the case tests nothing"
	[ "$(bytes fragments)" -eq "$frags" ] || lab_fail "the peers sent datagrams that needed fragmenting"
	;;
roam)
	expect srflx/srflx:srflx srflx/srflx:srflx && went_direct
	[ -e "$tmp/moved" ] && [ -e "$tmp/told" ] || lab_fail "router A was not renumbered during the transfer"
	[ "$(grep -c '"ice restart"' "$tmp/ours.out")" -eq 1 ] || lab_fail "A did not restart ICE once"
	grep -q 'candidate:[^"]* 198\.51\.100\.5 [0-9]* typ srflx' "$tmp/ours.out" ||
		lab_fail "A never signaled a srflx candidate on its new address"
	[ "$(grep -c 'selected pair' "$tmp/ours.out")" -ge 2 ] || lab_fail "A selected no new pair"
	echo "renumbered $(($(cat "$tmp/moved") - t1)) ms after the start, restart told $(($(cat "$tmp/told") - $(cat "$tmp/moved"))) ms later"
	;;
consent)
	expect srflx/srflx:srflx srflx/srflx:srflx && went_direct
	[ -e "$tmp/muted" ] && [ "$(bytes stun_answers)" -gt 0 ] ||
		lab_fail "no STUN answer was dropped: the case tests nothing"
	for side in ours theirs; do
		grep -q 'consent lost (checks unanswered), but the peer.s datagrams came' \
			"$tmp/$side.err" || lab_fail "peer $side never kept its pair (consent never lost?)"
		grep -q 'ICE path lost' "$tmp/$side.err" && lab_fail "peer $side lost its path"
	done
	echo "answers muted $(($(cat "$tmp/muted") - t1)) ms after the start, for the remaining $((t2 - $(cat "$tmp/muted"))) ms; $(cat "$tmp"/ours.err "$tmp"/theirs.err | grep -c 'consent lost (checks') consent losses survived"
	;;
stun-late*)
	[ "$(bytes held)" -gt 0 ] || lab_fail "no request to coturn was held back: the case tests nothing"
	[ "$direct" -gt "$data" ] || lab_fail "not a direct path"
	if [ "$mode" = stun-late ]; then
		expect srflx/host:srflx host/prflx:host
		grep -q 'typ srflx' "$tmp/ours.out" && lab_fail "A signaled a srflx candidate: the race was lost"
	else
		expect prflx/host:prflx host/prflx:host
		grep -q 'typ srflx' "$tmp/ours.out" || lab_fail "coturn never answered A"
	fi
	;;
esac
lossy=
for side in ours theirs; do
	[ "$(grep -h '"result"' "$tmp/$side.out")" = "$WANT" ] || lab_fail "$side: not the expected result"
	# the unordered maxRetransmits-0 channel may lose some of its 100, not all
	n=$(sed -n 's/.*"lossy: \([0-9]*\) received".*/\1/p' "$tmp/$side.out")
	[ "${n:-0}" -gt 0 ] || lab_fail "$side received nothing on the lossy channel"
	lossy="$lossy $n"
done
echo "coturn refused $(grep -c 'peer IP 10\.[0-9.]* denied' "$tmp/turn.log") permissions into the home networks"
echo "PASS ($mode): $MIB MiB each way byte-exact (both SHA-256 as expected), lossy channel:$lossy of 100; networks and coturn $((t1 - t0)) ms, peers $((t2 - t1)) ms"
