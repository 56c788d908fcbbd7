#!/usr/bin/env bash
# goet-roaming.sh NET_PEER: a goet QUIC transfer survives the client's
# address changing mid-transfer, on the same connection.
#
#   netns $C (client)                           netns $S (server)
#   c0: 10.99.1.2/24  --(then 10.99.1.3)--veth-- s0: 10.99.1.1/24
#
# The client sends 24 MiB paced over about 3 s. Once its first data has
# reached the server from .2, its address moves from .2 to .3 (the old one is
# deleted). Passes when the server saw one connection only, received every
# byte (SHA-256 equal to the client's), and the connection's peer address at
# the end is the new one.
# Needs root (exits 77 without) and `ip netns`.
set -u
peer=$(realpath "${1:?usage: goet-roaming.sh path/to/net-peer}")
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
lab_init

C=gtroam-c-$$
S=gtroam-s-$$
lab_on_fail() { echo "--- server"; cat "$tmp/server.out" "$tmp/server.err"; echo "--- client"; cat "$tmp/client.out" "$tmp/client.err"; }

lab_netns "$C" "$S"
ip link add c0 netns "$C" type veth peer name s0 netns "$S" || lab_fail "veth"
# keep the new address when the old (primary) one is deleted
ip netns exec "$C" sysctl -qw net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.c0.promote_secondaries=1
ip -n "$C" addr add 10.99.1.2/24 dev c0
ip -n "$S" addr add 10.99.1.1/24 dev s0
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up

key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ip netns exec "$S" "$peer" server "$key" >"$tmp/server.out" 2>"$tmp/server.err" &
spid=$!
lab_track "$spid"
for _ in $(seq 50); do grep -q '^port ' "$tmp/server.out" && break; sleep 0.1; done
port=$(sed -n 's/^port //p' "$tmp/server.out")
[ -n "$port" ] || lab_fail "server did not report its port"

ip netns exec "$C" "$peer" client "$key" 10.99.1.1 "$port" 24 >"$tmp/client.out" 2>"$tmp/client.err" &
cpid=$!
lab_track "$cpid"
# the move comes once data flows from the old address (not after a fixed sleep:
# a client that connected only after the move would pass without roaming)
for _ in $(seq 100); do grep -q '^first-data ' "$tmp/server.out" && break; sleep 0.05; done
first=$(sed -n 's/^first-data peer=//p' "$tmp/server.out")
case $first in
10.99.1.2:*) ;;
"") lab_fail "no data reached the server within 5 s" ;;
*) lab_fail "the first data came from $first, not the old address" ;;
esac
ip -n "$C" addr add 10.99.1.3/24 dev c0 || lab_fail "add new address"
ip -n "$C" addr del 10.99.1.2/24 dev c0 || lab_fail "delete old address"
ip -n "$C" -4 addr show dev c0 | grep -q '10.99.1.3/24' || lab_fail "new address lost"

wait "$cpid" || lab_fail "client exited with $?"
cpid=
wait "$spid" || lab_fail "server exited with $?"
spid=

read -r cdials cbytes csum _ <"$tmp/client.out"
sline=$(grep '^accepted=' "$tmp/server.out") || lab_fail "no server result"
echo "client: $cdials $cbytes $csum"
echo "server: $sline"
[ "$cdials" = "dials=1" ] || lab_fail "client dialed more than once"
case "$sline" in
accepted=1\ "$cbytes"\ "$csum"\ peer=10.99.1.3:*\ rss_kib=*) ;;
accepted=1\ *peer=10.99.1.2:*) lab_fail "the server never saw the new address" ;;
*) lab_fail "server result does not match the client's" ;;
esac
echo "PASS: 24 MiB on one connection across an address change"
