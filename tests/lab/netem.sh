#!/bin/bash
# Lab test of tests/lab/tools/netem, the lab's delay/loss tool on NFQUEUE:
# two namespaces joined by a veth, netem on each side's arrivals.
#
#   netns A 10.66.0.1 --veth-- 10.66.0.2 netns B
#
# Asserts: usage errors exit 2 naming the option; the delay shows in ping's
# RTT (both directions), exact while other packets are held; jitter spreads it; 100 % loss drops exactly what
# was sent (the summary counts it); 30 % loss with a seed loses some but not
# all; reordering makes replies arrive out of sequence; -t ends netem on time
# and the path then flows untouched (--queue-bypass).
# Usage: netem.sh NETEM_BINARY. Needs root (exits 77 without).
set -u
netem=$(realpath "${1:?usage: netem.sh path/to/netem}")
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/lib/netem.sh
source "$(dirname "$0")/lib/netem.sh"
lab_init
lab_require iptables ping

A=ne-a-$$
B=ne-b-$$
pids=()
lab_on_cleanup() { local p; for p in "${pids[@]}"; do netem_stop "$p"; done; }

# --- usage errors: exit 2, the option named
expect_usage() { # WANT-TEXT ARGS...
	local want=$1 out rc
	shift
	out=$("$netem" "$@" 2>&1)
	rc=$?
	[ $rc -eq 2 ] || lab_fail "netem $*: exit $rc, want 2"
	grep -qF -- "$want" <<<"$out" || lab_fail "netem $*: '$out' does not say '$want'"
}
expect_usage "-q QUEUE is required" -d 5
expect_usage "jitter (-j) must not exceed the delay (-d)" -q 1 -d 10 -j 20
expect_usage "-l 150: not a number from 0 to 100" -q 1 -l 150
expect_usage "-d ten: not a number" -q 1 -d ten
expect_usage "unexpected argument 'extra'" -q 1 extra
echo "ok: usage errors"

lab_netns "$A" "$B"
ip link add eth0 netns "$A" type veth peer name eth0 netns "$B" || lab_fail "veth"
ip -n "$A" addr add 10.66.0.1/24 dev eth0
ip -n "$B" addr add 10.66.0.2/24 dev eth0
for n in "$A" "$B"; do ip -n "$n" link set eth0 up; done
ip netns exec "$A" ping -c 1 -W 2 10.66.0.2 >/dev/null || lab_fail "no path before netem"

# ping from A (-U: user-to-user time; the kernel's receive timestamp is taken
# before netfilter holds the reply): prints "min avg max" RTT in ms, and the received count
rtts() { # COUNT INTERVAL
	ip netns exec "$A" ping -U -n -q -c "$1" -i "$2" -W 3 10.66.0.2 2>&1 |
		awk -F'[ /]' '/received/ { rx = $4 } /^rtt/ { print $7, $8, $9, rx; f = 1 }
			END { if (!f) print 0, 0, 0, rx }'
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# --- delay: 40 ms each way
netem_start "$A" eth0 11 -d 40 || lab_fail "netem in A"
pa=$NETEM_PID
netem_start "$B" eth0 12 -d 40 || lab_fail "netem in B"
pb=$NETEM_PID
read -r mn av mx rx <<<"$(rtts 10 0.05)"
echo "delay 40+40 ms: rtt min/avg/max $mn/$av/$mx ms, $rx received"
[ "$rx" = 10 ] || lab_fail "delay lost packets: $rx of 10"
ge "$mn" 80 || lab_fail "rtt $mn ms below the 80 ms of delay"
ge 100 "$mn" || lab_fail "rtt $mn ms far above the 80 ms of delay"
# exact while others are held: a ping every 3.7 ms keeps about 11 packets
# held on each side, and each must still leave when due (a poll timeout in
# whole ms released them up to 1 ms late, 0.5 on average, per direction)
read -r mn av mx rx <<<"$(rtts 200 0.0037)"
echo "delay 40+40 ms, 11 held each way: rtt min/avg/max $mn/$av/$mx ms, $rx received"
[ "$rx" = 200 ] || lab_fail "delay lost packets: $rx of 200"
ge 80.6 "$av" || lab_fail "rtt $av ms on average: more than 0.6 ms over the 80 ms of delay"
netem_stop "$pa"
netem_stop "$pb"
grep -q "seen 210, dropped 0" "$tmp/netem-$A-11.log" || lab_fail "A's summary: $(tail -1 "$tmp/netem-$A-11.log")"

# --- jitter: 40 ± 30 ms on B's side only
netem_start "$B" eth0 13 -d 40 -j 30 -s 7 || lab_fail "netem jitter"
pb=$NETEM_PID
read -r mn av mx rx <<<"$(rtts 40 0.05)"
echo "jitter 40±30 ms: rtt min/avg/max $mn/$av/$mx ms, $rx received"
[ "$rx" = 40 ] || lab_fail "jitter lost packets: $rx of 40"
ge "$mn" 10 || lab_fail "rtt $mn ms below delay - jitter"
ge "$(awk -v a="$mx" -v b="$mn" 'BEGIN { print a - b }')" 20 || lab_fail "no spread: $mn..$mx ms"
netem_stop "$pb"

# --- loss: all, then 30 % with a seed
netem_start "$B" eth0 14 -l 100 || lab_fail "netem loss"
pb=$NETEM_PID
read -r mn av mx rx <<<"$(rtts 10 0.02)"
[ "$rx" = 0 ] || lab_fail "100 % loss let $rx of 10 through"
netem_stop "$pb"
grep -q "seen 10, dropped 10," "$tmp/netem-$B-14.log" ||
	lab_fail "summary after 100 % loss: $(tail -1 "$tmp/netem-$B-14.log")"
netem_start "$B" eth0 15 -l 30 -s 3 || lab_fail "netem loss 30"
pb=$NETEM_PID
read -r mn av mx rx <<<"$(rtts 200 0.005)"
echo "loss 30 %: $rx of 200 received"
{ [ "$rx" -ge 100 ] && [ "$rx" -le 180 ]; } || lab_fail "30 % loss: $rx of 200 received"
netem_stop "$pb"
echo "ok: delay, jitter, loss"

# --- reordering: half the requests skip a 30 ms queue
netem_start "$B" eth0 16 -d 30 -r 50 -s 5 || lab_fail "netem reorder"
pb=$NETEM_PID
seqs=$(ip netns exec "$A" ping -n -c 60 -i 0.005 -W 3 10.66.0.2 2>&1 |
	sed -n 's/.*icmp_seq=\([0-9]*\).*/\1/p' | tr '\n' ' ')
netem_stop "$pb"
[ "$(wc -w <<<"$seqs")" = 60 ] || lab_fail "reorder lost replies: $seqs"
out_of_order=$(awk '{ for (i = 2; i <= NF; i++) if ($i < $(i - 1)) n++; print n + 0 }' <<<"$seqs")
echo "reorder 50 %: $out_of_order replies arrived before an earlier one"
[ "$out_of_order" -gt 0 ] || lab_fail "no reordering seen: $seqs"
grep -qE "reordered [1-9]" "$tmp/netem-$B-16.log" || lab_fail "summary: $(tail -1 "$tmp/netem-$B-16.log")"

# --- lifetime: -t 1 ends by itself, then the path is as before
start=$SECONDS
netem_start "$B" eth0 17 -d 500 -t 1 || lab_fail "netem lifetime"
pb=$NETEM_PID
for _ in $(seq 40); do kill -0 "$pb" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pb" 2>/dev/null && lab_fail "netem -t 1 still running after 4 s"
wait "$pb"
rc=$?
[ $rc -eq 0 ] || lab_fail "netem -t 1 exited $rc"
[ $((SECONDS - start)) -le 4 ] || lab_fail "netem -t 1 took $((SECONDS - start)) s"
read -r mn av mx rx <<<"$(rtts 5 0.05)"
{ [ "$rx" = 5 ] && ge 20 "$mx"; } || lab_fail "after netem exited: $rx of 5, max rtt $mx ms"
echo "ok: reordering, lifetime and bypass"
echo "PASS"
