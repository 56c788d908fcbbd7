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
# connection within 30 s. Needs root and `ip netns`; exits 77 (skip) otherwise.
set -u
peer=$(realpath "${1:?usage: goet-mtu.sh path/to/net-peer [mtu]}")
mtu=${2:-1128}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no ip(8)"; exit 77; }

C=gtmtu-c-$$
S=gtmtu-s-$$
tmp=$(mktemp -d)
spid='' cpid=''
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- server"; cat "$tmp/server.out" "$tmp/server.err"; echo "--- client"; cat "$tmp/client.out" "$tmp/client.err"; exit 1; }

ip netns add "$C" && ip netns add "$S" || { echo "FAIL: cannot create namespaces"; exit 1; }
ip link add c0 netns "$C" mtu "$mtu" type veth peer name s0 netns "$S" mtu "$mtu" || fail "veth"
ip -n "$C" link set lo up
ip -n "$S" link set lo up
ip -n "$C" addr add 10.99.3.2/24 dev c0
ip -n "$S" addr add 10.99.3.1/24 dev s0
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up

key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ip netns exec "$S" "$peer" server "$key" >"$tmp/server.out" 2>"$tmp/server.err" &
spid=$!
for _ in $(seq 50); do grep -q '^port ' "$tmp/server.out" && break; sleep 0.1; done
port=$(sed -n 's/^port //p' "$tmp/server.out")
[ -n "$port" ] || fail "server did not report its port"

t0=$(date +%s%3N)
ip netns exec "$C" "$peer" client "$key" 10.99.3.1 "$port" 16 quic fast >"$tmp/client.out" 2>"$tmp/client.err" &
cpid=$!
for _ in $(seq 300); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$cpid" 2>/dev/null && fail "16 MiB did not cross in 30 s at MTU $mtu"
wait "$cpid" || fail "client exited with $?"
cpid=
t1=$(date +%s%3N)
for _ in $(seq 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
wait "$spid" || fail "server exited with $?"
spid=

read -r cdials cbytes csum _ <"$tmp/client.out"
sline=$(grep '^accepted=' "$tmp/server.out") || fail "no server result"
echo "client: $cdials $cbytes $csum"
echo "server: $sline"
case "$sline" in
accepted=1\ "$cbytes"\ "$csum"\ *) ;;
*) fail "server result does not match the client's" ;;
esac
echo "PASS: 16 MiB over QUIC at MTU $mtu in $((t1 - t0)) ms"
