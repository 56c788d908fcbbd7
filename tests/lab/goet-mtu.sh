#!/usr/bin/env bash
# goet-mtu.sh NET_PEER [MTU]: a goet QUIC transfer over a link whose MTU is
# below QUIC's packets (riftgate's tunnel: 1128 by default, so a 1,200-byte
# Initial is already 1,228 bytes of IPv4). The kernel fragments such packets
# when they are sent one by one; a GSO send of them is refused (EMSGSIZE), and
# the sender must then send them one by one, not drop them.
#
#   netns $C (client)                           netns $S (server)
#   c0: 10.99.3.2/24, mtu MTU  ----veth----      s0: 10.99.3.1/24, mtu MTU
#
# The client sends 16 MiB as fast as the connection takes them. Passes when
# the server receives every byte (SHA-256 equal to the client's) on the one
# connection within 30 s. Needs root (exits 77 without) and `ip netns`.
set -u
peer=$(realpath "${1:?usage: goet-mtu.sh path/to/net-peer [mtu]}")
mtu=${2:-1128}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/lib.sh
source "$here/lib.sh"

lab_init
lab_require ip
C=gtmtu-c-$$
S=gtmtu-s-$$
lab_on_fail() {
	echo "--- server"
	cat "$tmp/server.out" "$tmp/server.err"
	echo "--- client"
	cat "$tmp/client.out" "$tmp/client.err"
}

lab_netns "$C" "$S"
ip link add c0 netns "$C" mtu "$mtu" type veth peer name s0 netns "$S" mtu "$mtu" || lab_fail "veth"
ip -n "$C" addr add 10.99.3.2/24 dev c0
ip -n "$S" addr add 10.99.3.1/24 dev s0
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up

key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ip netns exec "$S" "$peer" server "$key" >"$tmp/server.out" 2>"$tmp/server.err" &
spid=$!
lab_track "$spid"
lab_wait_for 5 grep -q '^port ' "$tmp/server.out"
port=$(sed -n 's/^port //p' "$tmp/server.out")
[ -n "$port" ] || lab_fail "server did not report its port"

t0=$(lab_now_ms)
ip netns exec "$C" "$peer" client "$key" 10.99.3.1 "$port" 16 quic fast >"$tmp/client.out" 2>"$tmp/client.err" &
cpid=$!
lab_track "$cpid"
lab_wait_for 30 sh -c "! kill -0 $cpid 2>/dev/null" || lab_fail "16 MiB did not cross in 30 s at MTU $mtu"
wait "$cpid" || lab_fail "client exited with $?"
t1=$(lab_now_ms)
lab_wait_for 5 sh -c "! kill -0 $spid 2>/dev/null"
wait "$spid" || lab_fail "server exited with $?"

read -r cdials cbytes csum _ <"$tmp/client.out"
sline=$(grep '^accepted=' "$tmp/server.out") || lab_fail "no server result"
echo "client: $cdials $cbytes $csum"
echo "server: $sline"
case "$sline" in
accepted=1\ "$cbytes"\ "$csum"\ *) ;;
*) lab_fail "server result does not match the client's" ;;
esac
echo "PASS: 16 MiB over QUIC at MTU $mtu in $((t1 - t0)) ms"
