#!/usr/bin/env bash
# rift-gateway.sh GW-TOOL: the gateway of a device that advertises its LAN
# (src/rift/tun/gateway.h), driven by tests/integration/rift/gw-tool as the
# agent will drive it, against the real kernel.
#
#  netns $GW (the device advertising 192.168.77.0/24)      netns $LAN (a host on its LAN)
#  rg0  TUN 10.9.0.1/24 (ip tuntap, persistent)
#       ^ packets "from a peer" (10.9.0.2) are written
#       | into it by tun_ping (python3) below
#  lan0 192.168.77.1/24 ------------- veth --------------- eth0 192.168.77.2/24
#                                                          no route to 10.9.0.0/24: it answers
#                                                          only what is masqueraded
#
# 1. Before the gateway: forwarding is off, a ping from 10.9.0.2 through the
#    TUN gets no answer.
# 2. gw-tool start (routes 192.168.77.0/24 and 172.31.0.0/16, which no
#    interface has: a warning): forwarding on for rg0 and lan0 (sysctl), the
#    exact `nft list table ip riftgate`; the ping is answered; the LAN host
#    saw it from 192.168.77.1, never from 10.9.0.0/24 (its nft counters), and
#    our rule counted it.
# 3. The watchdog (every 300 ms here): forwarding on lan0 switched off by hand
#    is on again, a deleted table is back, each with a warning.
# 4. SIGTERM: gw-tool prints "stopped" and exits 0; forwarding is off on both,
#    the table and the state file are gone; the ping is unanswered again.
# 5. SIGKILL: forwarding, table and state file stay (what a crash leaves);
#    `gw-tool cleanup` (what the agent runs at start) restores all of it.
# 6. SIGKILL again, then the next start cleans up by itself and a clean stop
#    restores everything.
#
# Needs root (exits 77 without), ip, nft, sysctl and python3.
set -u
tool=$(realpath "${1:?usage: rift-gateway.sh path/to/gw-tool}")
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
lab_init
lab_require ip nft sysctl python3

GW=rgw-gw$$ LAN=rgw-lan$$
state=$tmp/run/gateway.state
gwpid=''
lab_on_cleanup() { lab_stop "$gwpid"; }
lab_on_fail() {
	echo "--- gw-tool stdout"; cat "$tmp/gw.out" 2>/dev/null
	echo "--- gw-tool stderr"; tail -20 "$tmp/gw.err" 2>/dev/null
	echo "--- $GW"; ip netns exec "$GW" nft list ruleset 2>&1
	ip netns exec "$GW" sysctl net.ipv4.conf.rg0.forwarding net.ipv4.conf.lan0.forwarding 2>&1
}
in_gw() { ip netns exec "$GW" "$@"; }
fwd() { in_gw sysctl -n "net.ipv4.conf.$1.forwarding"; }
# forwarding RG0 LAN0: both as expected
forwarding() { [ "$(fwd rg0)" = "$1" ] && [ "$(fwd lan0)" = "$2" ]; }
table() { in_gw nft list table ip riftgate 2>/dev/null; }
no_table() { ! in_gw nft list table ip riftgate >/dev/null 2>&1; }
lan_count() { ip netns exec "$LAN" nft list counter inet lab "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

# tun_ping: write an ICMP echo request from 10.9.0.2 to 192.168.77.2 into
# rg0 (as if a peer sent it through the tunnel) and wait 1.5 s for the reply
# to come out of rg0; exit 0 when it did.
tun_ping() {
	in_gw python3 - <<-'PY'
	import fcntl, os, select, socket, struct, sys, time
	fd = os.open("/dev/net/tun", os.O_RDWR)
	fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"rg0", 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN|IFF_NO_PI
	# Attached, rg0 has a carrier, but its queue stays the "noop" one (dropping
	# all) until the kernel's linkwatch work reactivates it, just after it sets
	# the operstate: a reply sent before is lost (1 run in 17 failed so).
	for _ in range(200):
	    if open("/sys/class/net/rg0/operstate").read().strip() != "down":
	        break
	    time.sleep(0.01)
	time.sleep(0.05)
	def csum(b):
	    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	    s = (s >> 16) + (s & 0xffff)
	    return ~(s + (s >> 16)) & 0xffff
	src, dst, ident = socket.inet_aton("10.9.0.2"), socket.inet_aton("192.168.77.2"), os.getpid() & 0xffff
	icmp = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"riftgate-gateway"
	icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
	ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), ident, 0x4000, 64, 1, 0, src, dst)
	ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
	os.write(fd, ip + icmp)
	deadline = time.time() + 1.5
	while time.time() < deadline:
	    if not select.select([fd], [], [], max(0, deadline - time.time()))[0]:
	        break
	    p = os.read(fd, 2048)
	    if len(p) >= 28 and p[0] >> 4 == 4 and p[9] == 1 and p[12:16] == dst and p[16:20] == src \
	            and p[20] == 0 and struct.unpack("!H", p[24:26])[0] == ident:
	        sys.exit(0)
	sys.exit(1)
	PY
}
start_gw() {
	: >"$tmp/gw.out"
	# not through a function: $! must be gw-tool itself (ip netns exec execs it)
	ip netns exec "$GW" "$tool" start --tun rg0 --tunnel 10.9.0.1/24 --route 192.168.77.0/24 \
		--route 172.31.0.0/16 --state "$state" --watchdog-ms 300 \
		>>"$tmp/gw.out" 2>>"$tmp/gw.err" &
	gwpid=$!
	lab_wait_for 5 grep -q '^started lans=lan0$' "$tmp/gw.out" || lab_fail "gw-tool did not start"
}
kill9_gw() {
	kill -9 "$gwpid"
	wait "$gwpid" 2>/dev/null
	gwpid=
}

# --- the networks --------------------------------------------------------------
lab_netns "$GW" "$LAN"
ip -n "$GW" tuntap add dev rg0 mode tun || lab_fail "tuntap"
ip -n "$GW" addr add 10.9.0.1/24 dev rg0
ip -n "$GW" link set rg0 up
ip link add lan0 netns "$GW" type veth peer name eth0 netns "$LAN" || lab_fail "veth"
ip -n "$GW" addr add 192.168.77.1/24 dev lan0
ip -n "$LAN" addr add 192.168.77.2/24 dev eth0
ip -n "$GW" link set lan0 up
ip -n "$LAN" link set eth0 up
ip netns exec "$LAN" nft -f - <<-NFT || lab_fail "nft in $LAN"
table inet lab {
	counter masqueraded {}
	counter unmasqueraded {}
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr 192.168.77.1 icmp type echo-request counter name masqueraded
		ip saddr 10.9.0.0/24 counter name unmasqueraded
	}
}
NFT
in_gw ping -c 1 -W 2 -q 192.168.77.2 >/dev/null || lab_fail "the LAN host does not answer"
lan_before=$(lan_count masqueraded)

# --- 1. before -----------------------------------------------------------------
forwarding 0 0 || lab_fail "forwarding on before the gateway"
tun_ping && lab_fail "a ping through the TUN was answered before the gateway"

# --- 2. start ------------------------------------------------------------------
start_gw
forwarding 1 1 || lab_fail "forwarding not on for rg0 and lan0 after start"
[ "$(fwd all)" = 0 ] || lab_fail "net.ipv4.conf.all.forwarding switched on"
want='table ip riftgate {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.9.0.0/24 oifname "lan0" counter packets 0 bytes 0 masquerade
	}
}'
[ "$(table)" = "$want" ] || lab_fail "nft list table ip riftgate: $(table)"
grep -q 'WARN  \[gateway 172.31.0.0/16\] no interface has an address in route 172.31.0.0/16: not forwarded' \
	"$tmp/gw.err" || lab_fail "no warning about the route without an interface"
[ -f "$state" ] || lab_fail "no state file"
tun_ping || lab_fail "the ping through the TUN was not answered"
[ "$(lan_count masqueraded)" -eq $((lan_before + 1)) ] || lab_fail "the LAN host did not see 192.168.77.1"
[ "$(lan_count unmasqueraded)" -eq 0 ] || lab_fail "the LAN host saw the tunnel address"
table | grep -q 'oifname "lan0" counter packets 1 bytes 44 masquerade' || lab_fail "our rule did not count it"

# --- 3. the watchdog -----------------------------------------------------------
in_gw sysctl -qw net.ipv4.conf.lan0.forwarding=0
lab_wait_for 3 forwarding 1 1 || lab_fail "the watchdog did not switch forwarding on lan0 on again"
grep -q "WARN  \[gateway lan0\] IPv4 forwarding was switched off behind riftgate's back" \
	"$tmp/gw.err" || lab_fail "no warning naming lan0"
in_gw nft delete table ip riftgate
lab_wait_for 3 table || lab_fail "the watchdog did not create the table again"
[ "$(table)" = "$want" ] || lab_fail "the table re-created differs: $(table)"
grep -q 'nftables table ip riftgate vanished: created again' "$tmp/gw.err" ||
	lab_fail "no warning about the table"
tun_ping || lab_fail "no answer after the watchdog's repairs"

# --- 4. clean stop -------------------------------------------------------------
kill -TERM "$gwpid"
wait "$gwpid"
rc=$?
gwpid=
[ $rc -eq 0 ] || lab_fail "gw-tool exited $rc on SIGTERM"
[ "$(tail -1 "$tmp/gw.out")" = stopped ] || lab_fail "gw-tool did not say stopped"
forwarding 0 0 || lab_fail "forwarding not restored after a clean stop"
no_table || lab_fail "table left after a clean stop"
[ -e "$state" ] && lab_fail "state file left after a clean stop"
tun_ping && lab_fail "a ping through the TUN was answered after the stop"

# --- 5. SIGKILL, then the agent's cleanup ----------------------------------------
start_gw
kill9_gw
forwarding 1 1 || lab_fail "a killed gateway should have left forwarding on (test is wrong)"
table >/dev/null || lab_fail "a killed gateway should have left its table (test is wrong)"
[ -f "$state" ] || lab_fail "a killed gateway left no state file"
out=$(in_gw "$tool" cleanup --state "$state" 2>>"$tmp/gw.err") || lab_fail "cleanup failed: $out"
[ "$out" = "cleanup ok" ] || lab_fail "cleanup said: $out"
forwarding 0 0 || lab_fail "forwarding not restored by the cleanup"
no_table || lab_fail "table left by the cleanup"
[ -e "$state" ] && lab_fail "state file left by the cleanup"

# --- 6. SIGKILL, then the next start cleans up -----------------------------------
start_gw
kill9_gw
: >"$tmp/gw.err"
start_gw
grep -q 'riftgate stopped uncleanly: undoing what it left' "$tmp/gw.err" ||
	lab_fail "the next start did not clean up"
forwarding 1 1 || lab_fail "forwarding not on after the restart"
[ "$(table)" = "$want" ] || lab_fail "the table after the restart differs: $(table)"
kill -TERM "$gwpid"
wait "$gwpid" || lab_fail "gw-tool failed on SIGTERM after the restart"
gwpid=
forwarding 0 0 || lab_fail "forwarding not restored after the restart's stop"
no_table || lab_fail "table left after the restart's stop"
[ -e "$state" ] && lab_fail "state file left after the restart's stop"

echo "PASS: forwarding on rg0 and lan0 only, exact ruleset, a tunnel ping masqueraded" \
	"to the LAN and answered; the watchdog repaired forwarding and the table;" \
	"clean stop, kill -9 + cleanup, kill -9 + restart all restored forwarding" \
	"and left no table"
