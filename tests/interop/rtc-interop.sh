#!/usr/bin/env bash
# rtc-interop.sh RTC-PEER ndc|werift|chromium|ours offer|answer [MIB]: riftgate's
# data-channel stack (RTC-PEER, tests/interop/rtc-peer.c) against a stack
# nobody here wrote, signaled through two FIFOs. "offer" is riftgate's
# role. Both sides move MIB (default 10) MiB of the shared pattern on a
# reliable channel and check the other's SHA-256; both also exchange 100
# messages on an unordered maxRetransmits-0 channel. Passes when both
# report "ok". The npm peers are installed once into the build directory
# (exit 77, skip, when npm cannot install them or Chromium is missing).
# Against werift, riftgate sends its lossy messages before the reliable
# transfer (rtc-peer --lossy-first says why).
set -u
peer=$(realpath "${1:?usage: rtc-interop.sh rtc-peer ndc|werift|chromium offer|answer [MIB]}")
other=$2 role=$3 mib=${4:-10}
here=$(cd "$(dirname "$0")" && pwd)
mods=${BUILD_ROOT:-/tmp}/interop-node
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: no node/npm"; exit 77; }
if [ ! -e "$mods/.installed" ]; then
	mkdir -p "$mods" && cp "$here/package.json" "$here/package-lock.json" "$mods/" &&
		(cd "$mods" && npm ci --no-audit --no-fund >npm.log 2>&1) && touch "$mods/.installed" ||
		{ echo "SKIP: npm could not install the peers"; tail -5 "$mods/npm.log"; exit 77; }
fi
cp "$here/peer.mjs" "$here/browser.mjs" "$mods/"
ours_opts=()
case $other in
ours) theirs=("$peer") ;;
werift) theirs=(node "$mods/peer.mjs" --lib werift) ours_opts=(--lossy-first) ;;
ndc) theirs=(node "$mods/peer.mjs" --lib ndc) ;;
chromium)
	[ -x /usr/bin/chromium ] || { echo "SKIP: no chromium"; exit 77; }
	theirs=(node "$mods/browser.mjs") ;;
*) echo "unknown peer $other"; exit 2 ;;
esac
[ "$role" = offer ] && their_role=answer || their_role=offer

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
mkfifo "$tmp/to-ours" "$tmp/to-theirs"
start=$(date +%s%3N)
# each side's stdout: signaling lines go to the other, everything is kept in a log
"$peer" --role "$role" --mib "$mib" "${ours_opts[@]}" <"$tmp/to-ours" 2>"$tmp/ours.err" |
	tee "$tmp/ours.out" | grep --line-buffered -v '"log"\|"result"' >"$tmp/to-theirs" &
pids+=($!)
"${theirs[@]}" --role "$their_role" --mib "$mib" <"$tmp/to-theirs" 2>"$tmp/theirs.err" |
	tee "$tmp/theirs.out" | grep --line-buffered -v '"log"\|"result"' >"$tmp/to-ours" &
pids+=($!)
for _ in $(seq 1800); do
	grep -q '"result"' "$tmp/ours.out" 2>/dev/null && grep -q '"result"' "$tmp/theirs.out" 2>/dev/null && break
	sleep 0.1
done
ms=$(($(date +%s%3N) - start))
ok=1
for side in ours theirs; do
	r=$(grep -h '"result"' "$tmp/$side.out" | head -1)
	echo "$side: ${r:-no result}"
	case $r in *'"result":"ok"'*) ;; *) ok=0 ;; esac
done
if [ $ok -ne 1 ]; then
	for side in ours theirs; do
		echo "--- $side (last lines)"; tail -c 1500 "$tmp/$side.out"; tail -20 "$tmp/$side.err"
	done
	echo "FAIL: riftgate ($role) <-> $other"
	exit 1
fi
grep -h '"log"' "$tmp/ours.out" | grep -o 'selected pair [a-z/]*\|lossy: [0-9]* received' | sort -u | tr '\n' ' '
echo
echo "PASS: riftgate ($role) <-> $other: $mib MiB each way byte-exact, $ms ms in all"
