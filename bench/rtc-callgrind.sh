#!/usr/bin/env bash
# rtc-callgrind.sh [BUILD-DIR] [KIND] [SHORT-S] [LONG-S]: riftgate's data-channel
# cost in instructions per MiB delivered, repeatable on a busy machine: rg->rg
# (bench/rtc-dc.sh's bench mode) with both peers under valgrind's callgrind,
# once for SHORT-S (default 2) and once for LONG-S (default 6) seconds of
# sending; cost per MiB = (instructions of the long run - the short run) /
# (MiB of the long run - the short run), so set-up and teardown cancel out.
# KIND: unreliable (default) or reliable. The long run's profiles are kept in
# OUT (default /tmp/rtc-callgrind) for callgrind_annotate; RG_ENV adds
# environment (e.g. LD_LIBRARY_PATH of a usrsctp build with symbols).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
kind=${2:-unreliable}
short=${3:-2}
long=${4:-6}
out=${OUT:-/tmp/rtc-callgrind}
# shellcheck source=bench/lib.sh
. bench/lib.sh # bench_callgrind_total, bench_callgrind_top
rm -rf "$out"
mkdir -p "$out"
for s in "$short" "$long"; do
	RG_WRAP="${RG_ENV:+env $RG_ENV }valgrind --tool=callgrind --callgrind-out-file=$out/$s.%r.out" \
		PAIRS=rg:rg KINDS=$kind RTC_BENCH_LOG=$out/log.$s \
		bash bench/rtc-dc.sh "$build" "$s" 1 0 >/dev/null
done
python3 - "$out" "$short" "$long" "$(bench_callgrind_total "$out/$short.offer.out")" \
	"$(bench_callgrind_total "$out/$long.offer.out")" "$(bench_callgrind_total "$out/$short.answer.out")" \
	"$(bench_callgrind_total "$out/$long.answer.out")" <<'PY'
import json, sys
out, short, long = sys.argv[1:4]
ir = [int(x) for x in sys.argv[4:8]]
def recv_bytes(s):
    for line in open(f"{out}/log.{s}/results"):
        tag, who, js = line.split(" ", 2)
        o = json.loads(js)
        if o.get("bench") == "recv":
            return o["bytes"], o["msgs"]
    sys.exit(f"the {s} s run reported nothing received (see {out}/log.{s}): run it again")
(b0, m0), (b1, m1) = recv_bytes(short), recv_bytes(long)
mib = (b1 - b0) / 2**20
msgs = m1 - m0
print(f"delivered: {b0 / 2**20:.1f} MiB in the short run, {b1 / 2**20:.1f} MiB in the long run")
for name, a, b in (("sender (offerer)", ir[0], ir[1]), ("receiver (answerer)", ir[2], ir[3])):
    print(f"{name:20s}: {(b - a) / mib / 1e6:8.1f} M instructions per MiB, {(b - a) / msgs:8.0f} per message")
print(f"profiles: {out}/{long}.offer.out {out}/{long}.answer.out")
PY
# the functions that cost most per MiB (long run minus short run), each side
mib=$(python3 - "$out/log.$short/results" "$out/log.$long/results" <<'PY'
import json, sys
def mib(path):
    for line in open(path):
        o = json.loads(line.split(" ", 2)[2])
        if o.get("bench") == "recv":
            return o["bytes"] / 2**20
print(mib(sys.argv[2]) - mib(sys.argv[1]))
PY
)
for role in offer answer; do
	echo "--- $role: instructions per MiB by function (self cost, top ${TOP:-25})"
	bench_callgrind_top "$out/$short.$role.out" "$out/$long.$role.out" "$mib" "${TOP:-25}"
done
