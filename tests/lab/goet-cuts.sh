#!/usr/bin/env bash
# goet-cuts.sh GOET quic|tcp: a real `goet session` and `goet --local` client
# in two namespaces; 50 MiB of random base64 output and 1 MiB of pasted input
# cross the link while it is cut for 3 s twice and the client moves to a new
# address once. Passes when both streams arrive byte-exact (SHA-256), the
# client and the session both exit 0, and the move kept QUIC's connection
# (migration) but made TCP's client connect again.
#
#   netns $C (client)                           netns $S (session)
#   c0: 10.99.2.2/24  --(then 10.99.2.3)--veth-- s0: 10.99.2.1/24 (tbf 80 Mbit/s)
#
# The output is rate-limited so that the transfer spans the cuts; a cut is an
# nftables rule dropping everything in and out of the client's namespace.
# Over TCP the address move breaks the connection: the client notices the
# silence, reconnects, and the session replays what it lacks.
# Prints the time from each restore to the next output byte (the benchmark's
# figure). Needs root (exits 77 without), `ip netns` and nft.
set -u
goet=$(realpath "${1:?usage: goet-cuts.sh path/to/goet quic|tcp}")
transport=${2:-quic}
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
lab_init
lab_require nft

C=gtcut-c-$$
S=gtcut-s-$$
export XDG_RUNTIME_DIR="$tmp" # the session registers there (goet list), removed with it
spid='' cpid=''
lab_on_cleanup() { rm -f "/tmp/goet-cut$$.log"; }
lab_on_fail() {
	echo "--- session log"; cat "/tmp/goet-cut$$.log" "$tmp/session.err" 2>/dev/null | tail -30
	echo "--- client stderr"; tr '\r' '\n' <"$tmp/client.err" | tail -30
}

lab_netns "$C" "$S"
ip link add c0 netns "$C" type veth peer name s0 netns "$S" || lab_fail "veth"
ip netns exec "$C" sysctl -qw net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.c0.promote_secondaries=1
ip -n "$C" addr add 10.99.2.2/24 dev c0
ip -n "$S" addr add 10.99.2.1/24 dev s0
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up
ip netns exec "$S" tc qdisc add dev s0 root tbf rate 80mbit burst 64kb latency 100ms || lab_fail "tbf"

# The streams: 50 MiB of base64 for the session's shell to print, 1 MiB to paste.
head -c $((50 * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76 >"$tmp/out.b64"
head -c $((1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76 >"$tmp/in.b64"
out_sum=$(sha256sum <"$tmp/out.b64" | cut -d' ' -f1)
in_sum=$(sha256sum <"$tmp/in.b64" | cut -d' ' -f1)

key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkfifo "$tmp/key"
(cd "$tmp" && ip netns exec "$S" "$goet" session -f "cut$$" -p 0 \
	<"$tmp/key" >"$tmp/port" 2>"$tmp/session.err") &
spid=$!
lab_track "$spid"
exec 7>"$tmp/key"
echo "$key" >&7
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
[ -n "$port" ] || lab_fail "session did not report its port"

# The keystrokes: quiet terminal, receive the paste into a file, print the output.
mkfifo "$tmp/in"
tflag=
[ "$transport" = tcp ] && tflag=--tcp
ip netns exec "$C" "$goet" --local $tflag -p "$port" -k "$key" 10.99.2.1 \
	<"$tmp/in" >"$tmp/client.out" 2>"$tmp/client.err" &
cpid=$!
lab_track "$cpid"
{
	printf 'stty -echo -opost; cd %s\n' "$tmp"
	sleep 0.5
	printf 'head -c %d > pasted.b64\n' "$(stat -c %s "$tmp/in.b64")"
	sleep 0.3
	cat "$tmp/in.b64"
	sleep 0.5
	printf 'echo ==$((1000+1))==; cat out.b64; echo ==$((2000+2))==; exit\n'
} >"$tmp/in" &
lab_track $!

# Output arrives at about 10 MB/s: two 3 s cuts and a move while it flows.
size() { stat -c %s "$tmp/client.out" 2>/dev/null || echo 0; }
wait_size() { # bytes, seconds
	local until=$((SECONDS + $2))
	while [ "$(size)" -lt "$1" ]; do
		[ $SECONDS -lt $until ] || lab_fail "output stalled at $(size) bytes (wanted $1)"
		kill -0 "$cpid" 2>/dev/null || lab_fail "client exited early"
		sleep 0.05
	done
}
# New connections so far: the client says so on stderr (a terminal would get the notice line).
reconnections() { grep -c 'Connection lost. Reconnecting' "$tmp/client.err"; }
# After a restore: milliseconds until the output grows again.
resume_ms() {
	local t0=$1 s0=$2 until=$((SECONDS + 60))
	while [ "$(size)" -le "$s0" ]; do
		[ $SECONDS -lt $until ] || lab_fail "no output for 60 s after the link came back"
		sleep 0.01
	done
	echo $(($(lab_now_ms) - t0))
}
wait_size $((5 * 1024 * 1024)) 60
lab_cut "$C" c0; sleep 3; s0=$(size); lab_restore "$C"; t0=$(lab_now_ms)
r1=$(resume_ms "$t0" "$s0")
wait_size $((20 * 1024 * 1024)) 60
before_move=$(reconnections)
ip -n "$C" addr add 10.99.2.3/24 dev c0 || lab_fail "add new address"
ip -n "$C" addr del 10.99.2.2/24 dev c0 || lab_fail "delete old address"
s0=$(size); t0=$(lab_now_ms)
r2=$(resume_ms "$t0" "$s0")
wait_size $((30 * 1024 * 1024)) 60
after_move=$(reconnections)
lab_cut "$C" c0; sleep 3; s0=$(size); lab_restore "$C"; t0=$(lab_now_ms)
r3=$(resume_ms "$t0" "$s0")

wait "$cpid"
rc=$?
cpid=
[ "$rc" -eq 0 ] || lab_fail "client exited with $rc"
wait "$spid"
src=$?
spid=
exec 7>&-
[ "$src" -eq 0 ] || lab_fail "session exited with $src"

# The output between the two markers, then the pasted file, byte for byte.
start=$(grep -a -b -o '==1001==' "$tmp/client.out" | head -1 | cut -d: -f1)
end=$(grep -a -b -o '==2002==' "$tmp/client.out" | tail -1 | cut -d: -f1)
[ -n "$start" ] && [ -n "$end" ] || lab_fail "markers missing from the output"
got_sum=$(tail -c +$((start + 10)) "$tmp/client.out" | head -c $((end - start - 9)) | sha256sum | cut -d' ' -f1)
paste_sum=$(sha256sum <"$tmp/pasted.b64" | cut -d' ' -f1)
echo "output: sent $out_sum"
echo "        got  $got_sum"
echo "paste:  sent $in_sum"
echo "        got  $paste_sum"
echo "resumed after restore: ${r1} ms, after the move: ${r2} ms, after the second cut: ${r3} ms"
moved=$((after_move - before_move))
echo "new connections: $(reconnections) in all, $moved for the move"
[ "$got_sum" = "$out_sum" ] || lab_fail "output differs"
[ "$paste_sum" = "$in_sum" ] || lab_fail "pasted input differs"
# QUIC migrates to the new address on its connection; over TCP the move breaks
# it and the client must connect again. (A 3 s cut may end in a new connection
# either way: after 3 s of silence the client tries one alongside, and it can
# win the race with the old one, which resumes after QUIC's backed-off probe.)
if [ "$transport" = quic ]; then
	[ "$moved" -eq 0 ] || lab_fail "QUIC made $moved new connection(s) for the move: no migration"
else
	[ "$moved" -ge 1 ] || lab_fail "TCP made no new connection, yet its address moved"
fi
echo "PASS: $transport: 50 MiB out and 1 MiB in byte-exact through two cuts and a move"
