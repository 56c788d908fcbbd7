#!/usr/bin/env bash
# wg-show.sh RIFTGATE: `riftgate wg show NAME` prints byte for byte what
# wg(8)'s `wg show NAME` prints, for the two kinds of userspace socket:
#   1. wireguard-go's (played by a small Python server answering "get=1"
#      with canned text, as wireguard-go words it: preshared_key=000... for
#      a peer without one);
#   2. riftgate's own, from `riftgate wg up` in a network namespace this
#      script creates (peers with and without a preshared key); there also
#      a peer's /0 allowed IPs (kept, not routed, a warning each) and `wg
#      set` (refused, errno 95, nothing changed).
# Needs root (the sockets live in /var/run/wireguard; exits 77 without),
# wg, python3 and ip. Cleans up its namespace, processes and sockets.
set -u
rg=$(realpath "${1:?usage: wg-show.sh path/to/riftgate}")
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/../../lab/lib.sh"
lab_init
lab_require wg python3 ip

dir=/var/run/wireguard
fake=rgf$$ ours=rgo$$ ns=rgshow$$
fpid='' opid='' made_dir=''
lab_on_cleanup() {
	lab_stop "$fpid"
	lab_stop "$opid"
	rm -f "$dir/$fake.sock" "$dir/$ours.sock"
	[ -z "$made_dir" ] || rmdir "$dir" 2>/dev/null
}
hex() { base64 -d <<<"$1" | od -An -tx1 | tr -d ' \n'; }
# agree NAME [NETNS]: wg show and riftgate wg show agree, byte for byte (diff in $tmp/diff)
agree() {
	local run=()
	[ -z "${2:-}" ] || run=(ip netns exec "$2")
	"${run[@]}" wg show "$1" >"$tmp/wg.txt" 2>&1 || lab_fail "wg show $1: $(cat "$tmp/wg.txt")"
	"${run[@]}" "$rg" wg show "$1" >"$tmp/rg.txt" 2>&1 || lab_fail "riftgate wg show $1"
	diff -u "$tmp/wg.txt" "$tmp/rg.txt" >"$tmp/diff"
}
# same NAME [NETNS]: agree, or fail showing the difference
same() {
	agree "$@" || lab_fail "riftgate wg show $1 differs from wg show:
$(cat "$tmp/diff")"
}
[ -d "$dir" ] || { mkdir -m 0755 "$dir" && made_dir=1; }

# 1. wireguard-go's socket, played by a canned answer
priv=$("$rg" genkey) psk=$("$rg" genkey)
p1=$("$rg" pubkey <<<"$("$rg" genkey)") p2=$("$rg" pubkey <<<"$("$rg" genkey)")
zero=$(printf '0%.0s' $(seq 64))
cat >"$tmp/answer" <<EOF
private_key=$(hex "$priv")
listen_port=51820
public_key=$(hex "$p1")
preshared_key=$zero
protocol_version=1
endpoint=192.0.2.7:51820
last_handshake_time_sec=0
last_handshake_time_nsec=0
tx_bytes=0
rx_bytes=0
persistent_keepalive_interval=0
allowed_ip=10.0.0.2/32
public_key=$(hex "$p2")
preshared_key=$(hex "$psk")
protocol_version=1
endpoint=[2001:db8::7]:51821
last_handshake_time_sec=0
last_handshake_time_nsec=0
tx_bytes=1536
rx_bytes=3221225472
persistent_keepalive_interval=25
allowed_ip=10.0.0.3/32
allowed_ip=fd00::3/128
errno=0

EOF
python3 - "$dir/$fake.sock" "$tmp/answer" >"$tmp/fake.log" 2>&1 <<'EOF' &
import socket, sys
path, answer_path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    req = b""
    try:
        while b"\n\n" not in req:
            chunk = c.recv(4096)
            if not chunk:
                break
            req += chunk
        if req.startswith(b"get=1\n"):
            c.sendall(open(answer_path, "rb").read())
    except OSError:
        pass
    c.close()
EOF
fpid=$!
lab_wait_for 5 test -S "$dir/$fake.sock" || lab_fail "the fake wireguard-go socket did not appear"
same "$fake"
grep -c '^  preshared key: (hidden)$' "$tmp/rg.txt" | grep -qx 1 ||
	lab_fail "expected one hidden preshared key: $(cat "$tmp/rg.txt")"
echo "ok 1 wireguard-go's socket: wg show and riftgate wg show agree (peer with and without a PSK)"

# 2. the rest of wg(8)'s wording: peers sorted by latest handshake (newest
# first, never last), ages and keepalives in years/days/hours/minutes/seconds
# with singulars, a clock that went backward, a fwmark. Ages tick: a run
# that straddles a second is run again (at most 3 times).
now=$(date +%s)
p3=$("$rg" pubkey <<<"$("$rg" genkey)") p4=$("$rg" pubkey <<<"$("$rg" genkey)")
{
	printf 'private_key=%s\nlisten_port=51820\nfwmark=51820\n' "$(hex "$priv")"
	# peer WHO HANDSHAKE KEEPALIVE
	peer() {
		printf 'public_key=%s\nprotocol_version=1\nlast_handshake_time_sec=%s\n' "$(hex "$1")" "$2"
		printf 'last_handshake_time_nsec=0\ntx_bytes=148\nrx_bytes=92\n'
		printf 'persistent_keepalive_interval=%s\nallowed_ip=10.0.0.9/32\n' "$3"
	}
	peer "$p1" 0 1
	peer "$p2" $((now - 3725)) 65
	peer "$p3" $((now - 31536000 - 86400 - 1)) 3600
	peer "$p4" $((now + 100000)) 0
	printf 'errno=0\n\n'
} >"$tmp/answer"
for try in 1 2 3; do
	agree "$fake" && break
	[ $try -lt 3 ] || same "$fake"
done
grep -q 'every 1 second$' "$tmp/rg.txt" || lab_fail "no 1-second keepalive: $(cat "$tmp/rg.txt")"
echo "ok 2 wg(8)'s order of peers, ages, keepalives, clock warning and fwmark"

# 3. riftgate's own socket: `riftgate wg up` in a namespace
lab_netns "$ns"
q1=$("$rg" pubkey <<<"$("$rg" genkey)") q2=$("$rg" pubkey <<<"$("$rg" genkey)")
q3=$("$rg" pubkey <<<"$("$rg" genkey)")
cat >"$tmp/$ours.conf" <<EOF
[Interface]
PrivateKey = $priv
Address = 10.78.0.1/24
ListenPort = 51820

[Peer]
PublicKey = $q1
AllowedIPs = 10.78.0.2/32

[Peer]
PublicKey = $q2
PresharedKey = $psk
AllowedIPs = 10.78.0.3/32

[Peer]
PublicKey = $q3
AllowedIPs = 10.78.0.4/32, 0.0.0.0/0, ::/0
EOF
# not through a function: $! must be riftgate itself (ip netns exec execs it)
ip netns exec "$ns" "$rg" wg up "$tmp/$ours.conf" >"$tmp/ours.log" 2>&1 &
opid=$!
lab_wait_for 5 test -S "$dir/$ours.sock" || lab_fail "riftgate wg up made no socket: $(cat "$tmp/ours.log")"
same "$ours" "$ns"
grep -c '^  preshared key: (hidden)$' "$tmp/wg.txt" | grep -qx 1 ||
	lab_fail "wg(8) should see one preshared key on riftgate's socket: $(cat "$tmp/wg.txt")"
echo "ok 3 riftgate's socket: wg show and riftgate wg show agree (peer with and without a PSK)"

# 4. default routes (/0) are allowed IPs of their peer but not routed into the
# interface (they would capture its own UDP datagrams), each with a warning
grep -q "allowed ips: 0.0.0.0/0, 10.78.0.4/32, ::/0$" "$tmp/wg.txt" ||
	lab_fail "the /0 allowed IPs are missing: $(cat "$tmp/wg.txt")"
[ "$(grep -c "peer $q3: not routing a default route into the tunnel" "$tmp/ours.log")" -eq 2 ] ||
	lab_fail "no warning for each /0: $(cat "$tmp/ours.log")"
routes=$(ip -n "$ns" route show dev "$ours"; ip -n "$ns" -6 route show dev "$ours")
for r in 10.78.0.2 10.78.0.3 10.78.0.4; do
	grep -q "^$r dev\|^$r proto\|^$r scope\|^$r " <<<"$routes" || lab_fail "no route to $r: $routes"
done
! grep -q "^default\|^0.0.0.0\|^::/0" <<<"$routes" || lab_fail "a default route into $ours: $routes"
echo "ok 4 /0 allowed IPs: kept, not routed, one warning each"

# 5. wg set is refused (errno 95, EOPNOTSUPP): the socket is read only, nothing changes
ip netns exec "$ns" wg set "$ours" peer "$q1" persistent-keepalive 5 >"$tmp/set.txt" 2>&1 &&
	lab_fail "wg set succeeded: $(cat "$tmp/set.txt")"
grep -q "Operation not supported" "$tmp/set.txt" || lab_fail "wg set: $(cat "$tmp/set.txt")"
ip netns exec "$ns" wg show "$ours" >"$tmp/after.txt" 2>&1
diff -u "$tmp/wg.txt" "$tmp/after.txt" >"$tmp/diff" || lab_fail "wg set changed something:
$(cat "$tmp/diff")"
echo "ok 5 wg set refused with \"$(tr -d '\n' <"$tmp/set.txt")\", nothing changed"
echo "PASS"
