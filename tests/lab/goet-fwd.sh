#!/usr/bin/env bash
# goet-fwd.sh GOET quic|tcp: goet's port forwarding (-L and -R) through a real
# `goet session` and `goet --local` client in two namespaces, while the link
# is cut twice for 3 s and the client moves to a new address once.
#
#   netns $C (client)                           netns $S (session)
#   c0: 10.99.3.2/24  --(then 10.99.3.3)--veth-- s0: 10.99.3.1/24 (tbf 200 Mbit/s)
#   -L 127.0.0.1:7101 -> (S) 127.0.0.1:7001      -R (S) 127.0.0.1:7102 -> (C) 127.0.0.1:7002
#
# Asserts: 64 MiB each way through -L and 64 MiB each way through -R arrive
# byte-exact (SHA-256 at both ends) across the cuts and the move; 100
# connections at once through -L (64 KiB each way each); a target that
# refuses closes that connection and says so on the client's stderr; bad
# specifications exit 2 with ssh's words. Needs root (exits 77 without), nft,
# tc and python3.
set -u
goet=$(realpath "${1:?usage: goet-fwd.sh path/to/goet quic|tcp}")
transport=${2:-quic}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/lib.sh
source "$here/lib.sh"

# bad specifications need no namespace (and no root): exit 2, ssh's words
for spec in "-L 8080" "-L 8080:host:0" "-R x:host:22" "-L [::1:80:h:1"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	out=$("$goet" $spec somehost 2>&1)
	rc=$?
	[ $rc -eq 2 ] || { echo "FAIL: goet $spec exited $rc, want 2: $out"; exit 1; }
	grep -q "Bad .* forwarding specification '" <<<"$out" ||
		{ echo "FAIL: goet $spec said: $out"; exit 1; }
done
echo "ok: bad specifications exit 2"

lab_init
lab_require nft tc python3
xfer=$here/lib/fwd-xfer.py
C=gtfwd-c-$$
S=gtfwd-s-$$
spid='' cpid=''
lab_on_fail() {
	echo "--- client stderr"; tr '\r' '\n' <"$tmp/client.err" | tail -20
	echo "--- session stderr"; tail -20 "$tmp/session.err"
	for f in "$tmp"/*.report; do echo "--- $f"; head -5 "$f"; done
}

lab_netns "$C" "$S"
ip link add c0 netns "$C" type veth peer name s0 netns "$S" || lab_fail "veth"
ip netns exec "$C" sysctl -qw net.ipv4.conf.all.promote_secondaries=1 \
	net.ipv4.conf.c0.promote_secondaries=1
ip -n "$C" addr add 10.99.3.2/24 dev c0
ip -n "$S" addr add 10.99.3.1/24 dev s0
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up
for n in "$C:c0" "$S:s0"; do
	ip netns exec "${n%:*}" tc qdisc add dev "${n#*:}" root tbf rate 200mbit burst 64kb \
		latency 100ms || lab_fail "tbf"
done

# the data: 64 MiB each way, and 64 KiB for the hundred
head -c $((64 << 20)) /dev/urandom >"$tmp/c.bin"
head -c $((64 << 20)) /dev/urandom >"$tmp/s.bin"
head -c $((64 << 10)) /dev/urandom >"$tmp/small.bin"
sum() { sha256sum <"$1" | cut -d' ' -f1; }
c_sum=$(sum "$tmp/c.bin") s_sum=$(sum "$tmp/s.bin") small_sum=$(sum "$tmp/small.bin")

# the targets: in S for -L, in C for -R
ip netns exec "$S" python3 "$xfer" serve 7001 "$tmp/s.bin" "$tmp/target-s.report" &
lab_track $!
ip netns exec "$C" python3 "$xfer" serve 7002 "$tmp/c.bin" "$tmp/target-c.report" &
lab_track $!
ip netns exec "$S" python3 "$xfer" serve 7004 "$tmp/small.bin" "$tmp/small-s.report" &
lab_track $!

# the session and the client
key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkfifo "$tmp/key" "$tmp/in"
(umask 077 && echo "$key" >"$tmp/keyfile")
(cd "$tmp" && exec ip netns exec "$S" "$goet" session -f "fwd$$" -p 0 \
	<"$tmp/key" >"$tmp/port" 2>"$tmp/session.err") &
spid=$!
lab_track "$spid"
exec 7>"$tmp/key"
echo "$key" >&7
lab_wait_for 5 test -s "$tmp/port" || lab_fail "session did not report its port"
port=$(cat "$tmp/port")
tflag=()
[ "$transport" = tcp ] && tflag=(--tcp)
ip netns exec "$C" "$goet" --local "${tflag[@]}" -p "$port" --key-file "$tmp/keyfile" \
	-L 127.0.0.1:7101:127.0.0.1:7001 -R 127.0.0.1:7102:127.0.0.1:7002 \
	-L 7103:127.0.0.1:7009 -L 7104:127.0.0.1:7004 10.99.3.1 <"$tmp/in" >"$tmp/client.out" 2>"$tmp/client.err" &
cpid=$!
lab_track "$cpid"
exec 8>"$tmp/in" # the terminal's input stays open: the session lives on
listening() { ip netns exec "$1" ss -Hltn "src 127.0.0.1:$2" | grep -q .; }
lab_wait_for 10 listening "$C" 7101 || lab_fail "the client does not listen for -L"
lab_wait_for 10 listening "$S" 7102 || lab_fail "the session does not listen for -R"

# both 64 MiB transfers at once, while the link is cut twice and the client moves
ip netns exec "$C" python3 "$xfer" connect 7101 "$tmp/c.bin" 1 "$tmp/l.report" &
lpid=$!
lab_track "$lpid"
ip netns exec "$S" python3 "$xfer" connect 7102 "$tmp/s.bin" 1 "$tmp/r.report" &
rpid=$!
lab_track "$rpid"
sleep 1
lab_cut "$C" c0; sleep 3; lab_restore "$C"
sleep 1
ip -n "$C" addr add 10.99.3.3/24 dev c0
ip -n "$C" addr del 10.99.3.2/24 dev c0
sleep 1
lab_cut "$C" c0; sleep 3; lab_restore "$C"
for p in "$lpid" "$rpid"; do
	for _ in $(seq 1200); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && lab_fail "a transfer did not finish in 120 s"
done
want() { # REPORT LINE: within 30 s (a target's report comes when its side ends)
	lab_wait_for 30 grep -qx "$2" "$1" || lab_fail "$(basename "$1"): $(cat "$1" 2>&1), want $2"
}
want "$tmp/l.report" "recv=$s_sum bytes=$((64 << 20))"
want "$tmp/target-s.report" "recv=$c_sum bytes=$((64 << 20))"
want "$tmp/r.report" "recv=$c_sum bytes=$((64 << 20))"
want "$tmp/target-c.report" "recv=$s_sum bytes=$((64 << 20))"
echo "ok: $transport: 64 MiB each way through -L and through -R across two 3 s cuts and a move"

# a hundred at once through -L (to a target that sends 64 KiB back to each)
ip netns exec "$C" python3 "$xfer" connect 7104 "$tmp/small.bin" 100 "$tmp/hundred.report"
[ "$(grep -c "^recv=$small_sum bytes=$((64 << 10))$" "$tmp/hundred.report")" = 100 ] ||
	lab_fail "100 connections: $(sort "$tmp/hundred.report" | uniq -c | head -3)"
hundred_done() { [ "$(grep -c "^recv=$small_sum bytes=$((64 << 10))$" "$tmp/small-s.report")" = 100 ]; }
lab_wait_for 30 hundred_done ||
	lab_fail "100 connections at the target: $(sort "$tmp/small-s.report" | uniq -c | head -3)"
echo "ok: 100 connections at once through -L"

# a refused target: that connection closes, the client says why, the rest goes on
ip netns exec "$C" python3 "$xfer" connect 7103 "$tmp/small.bin" 1 "$tmp/refused.report"
grep -q "^recv=$(sum /dev/null) bytes=0$\|^error=" "$tmp/refused.report" ||
	lab_fail "refused target: $(cat "$tmp/refused.report")"
lab_wait_for 5 grep -q "open failed: .*refused" "$tmp/client.err" ||
	lab_fail "the client did not say the target refused"
kill -0 "$cpid" 2>/dev/null || lab_fail "the client ended"
echo "ok: a refused target closed its connection only"

# the end: the shell exits, and with it the session and the client (status 0)
printf 'exit\n' >&8
wait "$cpid"
rc=$?
[ $rc -eq 0 ] || lab_fail "client exited $rc"
wait "$spid"
rc=$?
[ $rc -eq 0 ] || lab_fail "session exited $rc"
echo "PASS: $transport forwarding"
