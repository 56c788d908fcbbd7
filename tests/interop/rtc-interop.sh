#!/usr/bin/env bash
# rtc-interop.sh RTC-PEER ndc|werift|chromium|ours offer|answer [MIB]: riftgate's
# data-channel stack (RTC-PEER, tests/interop/rtc-peer.c) against a stack
# nobody here wrote (or against itself: ours), signaled through two FIFOs.
# "offer" is riftgate's role. Both sides move MIB (default 10) MiB of the
# shared pattern on a reliable channel and check the other's SHA-256; both
# also send 100 messages on an unordered maxRetransmits-0 channel: each side
# checks the channel is that and each message new and well-formed, and at
# least RTC_LOSSY_MIN (default 1) must arrive. Not all 100: a message SCTP
# abandons at its first retransmission timeout (what maxRetransmits 0 means)
# is gone, on loopback too (Chromium got 92 of 100 in one run).
# Passes when both report "ok" and both exit 0 (so that LeakSanitizer has
# its say in an ASan build). The npm peers are installed once into the
# build directory (exit 77, skip, when node/npm or Chromium are missing,
# which make check refuses; a failed npm install fails the test). Against werift, riftgate sends its lossy messages before
# the reliable transfer (rtc-peer --lossy-first says why).
# RESTART=ours|theirs: that side restarts ICE after 3 MiB; the test then
# also needs the restart logged, a second SDP from riftgate and a second
# selected pair on riftgate's side.
# For callers such as tests/lab/rtc-nat.sh (each split on spaces):
#   RTC_WRAP_OURS, RTC_WRAP_THEIRS  a prefix that execs that side's command
#                                   (e.g. "ip netns exec NS")
#   RTC_ARGS_OURS, RTC_ARGS_THEIRS  more arguments for that side
#   RTC_LOGS    keep each side's stdout and stderr there (ours.out, ours.err,
#               theirs.out, theirs.err) rather than in a temporary directory,
#               and each side's pid (ours.pid, theirs.pid)
#   RTC_WAIT_S  seconds to wait for both results (default 180)
#   RTC_LOSSY_MIN  unreliable messages each side must get (default 1)
set -u
peer=$(realpath "${1:?usage: rtc-interop.sh rtc-peer ndc|werift|chromium offer|answer [MIB]}")
other=$2 role=$3 mib=${4:-10}
here=$(cd "$(dirname "$0")" && pwd)
mods=${BUILD_ROOT:-/tmp}/interop-node
if [ "$other" != ours ]; then
	bash "$here/npm-peers.sh" "$mods" || exit $?
fi
case $other in
ours) theirs=("$peer") ;;
werift) theirs=(node "$mods/peer.mjs" --lib werift) ;;
ndc) theirs=(node "$mods/peer.mjs" --lib ndc) ;;
chromium)
	[ -x /usr/bin/chromium ] || { echo "SKIP: no chromium"; exit 77; }
	theirs=(node "$mods/browser.mjs") ;;
*) echo "unknown peer $other"; exit 2 ;;
esac
[ "$role" = offer ] && their_role=answer || their_role=offer
read -ra wrap_ours <<<"${RTC_WRAP_OURS:-}"
read -ra wrap_theirs <<<"${RTC_WRAP_THEIRS:-}"
read -ra ours_extra <<<"${RTC_ARGS_OURS:-}"
read -ra theirs_extra <<<"${RTC_ARGS_THEIRS:-}"
[ "$other" = werift ] && ours_extra+=(--lossy-first)
# werift's OPEN announces its unordered "lossy" as ordered (rtc-peer.c says why)
[ "$other" = werift ] && [ "$role" = answer ] && ours_extra+=(--lossy-ordered)
case ${RESTART:-} in
ours) ours_extra+=(--restart-after 3) ;;
theirs) theirs_extra+=(--restart-after 3) ;;
esac

# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/../lab/lib.sh"
lab_init user
logs=${RTC_LOGS:-$tmp}
pids=()
mkfifo "$tmp/to-ours" "$tmp/to-theirs"
# side NAME FIFO-IN FIFO-OUT CMD...: CMD in the background, its pid in pids,
# its stdout in NAME.out (complete once it has exited); the signaling lines
# of NAME.out go on to FIFO-OUT for as long as CMD runs
side() {
	local name=$1 in=$2 out=$3
	shift 3
	: >"$logs/$name.out" # before tail opens it
	"$@" >>"$logs/$name.out" 2>"$logs/$name.err" <"$in" &
	pids+=("$!")
	lab_track $!
	echo $! >"$logs/$name.pid"
	tail -n +1 -s 0.1 -f --pid=$! "$logs/$name.out" |
		grep --line-buffered -v '"log"\|"result"' >"$out" &
}
start=$(lab_now_ms)
side ours "$tmp/to-ours" "$tmp/to-theirs" \
	"${wrap_ours[@]}" "$peer" --role "$role" --mib "$mib" "${ours_extra[@]}"
side theirs "$tmp/to-theirs" "$tmp/to-ours" \
	"${wrap_theirs[@]}" "${theirs[@]}" --role "$their_role" --mib "$mib" "${theirs_extra[@]}"
for _ in $(seq $((${RTC_WAIT_S:-180} * 10))); do
	grep -q '"result"' "$logs/ours.out" 2>/dev/null && grep -q '"result"' "$logs/theirs.out" 2>/dev/null && break
	sleep 0.1
done
ms=$(($(lab_now_ms) - start))
ok=1
for side in ours theirs; do
	r=$(grep -h '"result"' "$logs/$side.out" 2>/dev/null | head -1)
	echo "$side: ${r:-no result}"
	case $r in *'"result":"ok"'*) ;; *) ok=0 ;; esac
done
# each side exits by itself soon after its result (rtc-peer 0.5 s, the node peers 1 s)
for i in 0 1; do
	for _ in $(seq 100); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "${pids[$i]}" 2>/dev/null; then
		echo "side $i did not exit"; ok=0
	else
		wait "${pids[$i]}"; rc=$?
		[ "$rc" -eq 0 ] || { echo "side $i exited with $rc"; ok=0; }
	fi
done
# the unordered, unreliable channel carried messages each way (each checked
# well-formed and new where it arrived)
lossy_min=${RTC_LOSSY_MIN:-1}
for side in ours theirs; do
	n=$(grep -ho '"log":"lossy: [0-9]* received"' "$logs/$side.out" 2>/dev/null | tail -1 | grep -o '[0-9]\+')
	echo "$side: lossy: ${n:-no count} received of 100 (at least $lossy_min wanted)"
	[ -n "$n" ] && [ "$n" -ge "$lossy_min" ] && [ "$n" -le 100 ] || ok=0
done
if [ -n "${RESTART:-}" ] && [ $ok -eq 1 ]; then
	restarter=$logs/ours.out
	[ "$RESTART" = theirs ] && restarter=$logs/theirs.out
	sdps=$(grep -c '"sdp"' "$logs/ours.out")
	pairs=$(grep -c 'selected pair' "$logs/ours.out")
	echo "restart ($RESTART): riftgate sent $sdps descriptions and selected $pairs pairs"
	grep -q '"ice restart"' "$restarter" && [ "$sdps" -ge 2 ] && [ "$pairs" -ge 2 ] ||
		{ echo "FAIL: no ICE restart took place"; ok=0; }
fi
if [ $ok -ne 1 ]; then
	for side in ours theirs; do
		# its log and result lines (the timeout's state among them), then its stderr's end
		{ echo "--- $side (last lines)"; grep -h '"log"\|"result"' "$logs/$side.out" | tail -20 | cut -c1-3000
		  tail -20 "$logs/$side.err"; } 2>/dev/null
	done
	echo "FAIL: riftgate ($role) <-> $other"
	exit 1
fi
grep -h '"log"' "$logs/ours.out" | grep -o 'selected pair [a-z/]*' | sort -u | tr '\n' ' '
echo
echo "PASS: riftgate ($role) <-> $other: $mib MiB each way byte-exact, $ms ms in all"
