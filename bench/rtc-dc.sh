#!/usr/bin/env bash
# rtc-dc.sh [BUILD-DIR] [SECONDS] [ROUNDS] [SETUP-RUNS]: WebRTC data channels,
# riftgate (tests/interop/rtc-peer) against node-datachannel
# (tests/interop/peer.mjs), two processes on loopback signaled through FIFOs.
#
# Pairs, offerer -> answerer: rg->rg, rg->ndc, ndc->rg, ndc->ndc.
#  - Throughput: the offerer opens one channel and sends SIZE-byte binary
#    messages (default 1,400) for SECONDS (default 4), as fast as its buffered
#    amount allows (at most 1 MiB queued); the answerer counts what arrives.
#    Twice: "reliable" (ordered, reliable) and "unreliable" (unordered,
#    maxRetransmits 0, the channel WireGuard uses). msg/s and MB/s (10^6
#    bytes) are the receiver's, first to last message; "offered" is the
#    sender's rate of accepted messages; "deliv" is received / sent. ROUNDS
#    (default 3) rounds each run every pair once, in turn, so load from
#    other work on the machine spreads over all pairs; a cell is the median.
#  - Set-up: from just before the offerer creates the channel and the offer
#    (its peer connection and certificate exist, and the answerer has said it
#    is ready) to the channel's open event on the offerer: SETUP-RUNS
#    (default 20) fresh process pairs each, median and p90.
# Ratios are to ndc->ndc in the same run. Environment: SIZE (message bytes),
# PAIRS (e.g. "rg:rg ndc:ndc"), KINDS (e.g. "unreliable"), RTC_BENCH_LOG
# (keep every run's output in this directory), RG_WRAP (a command riftgate's
# peer runs under, "%r" standing for its role; bench/rtc-callgrind.sh),
# RG_BASE (another build's rtc-peer, e.g. before a change: adds the pairs
# rg0->rg0, rg0->ndc and ndc->rg0, so before and after share one run).
#
# A benchmark, not a test: numbers vary with the machine's load; nothing
# asserts on them.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-4}
rounds=${3:-3}
setup_runs=${4:-20}
size=${SIZE:-1400}
peer=$(realpath "$build/tests/interop/rtc-peer")
mods=$(realpath "$build")/interop-node
bash tests/interop/npm-peers.sh "$mods" || exit 1
work=$(mktemp -d)
keep=${RTC_BENCH_LOG:-}
rg_wrap=${RG_WRAP:-}
rg_base=${RG_BASE:+$(realpath "$RG_BASE")}
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "$keep" ] && mkdir -p "$keep" && cp -r "$work"/. "$keep"/
	rm -rf "$work"
}
trap cleanup EXIT

# side NAME ROLE KIND: the command line of one peer.
side() {
	case $1 in
	rg) echo "${rg_wrap//%r/$2} $peer --role $2 --bench $3 --size $size --seconds $secs" ;;
	rg0) echo "$rg_base --role $2 --bench $3 --size $size --seconds $secs" ;;
	ndc) echo "node $mods/peer.mjs --lib ndc --role $2 --bench $3 --size $size --seconds $secs" ;;
	esac
}

# run OFFERER ANSWERER KIND TAG: one run; appends "TAG o|a <bench line>" to results.
run() {
	local o=$1 a=$2 kind=$3 tag=$4 dir deadline need extra=0 ocmd acmd
	dir="$work/$tag"
	mkdir -p "$dir"
	mkfifo "$dir/to-o" "$dir/to-a" "$dir/o.pipe" "$dir/a.pipe"
	read -r -a ocmd <<<"$(side "$o" offer "$kind")"
	read -r -a acmd <<<"$(side "$a" answer "$kind")"
	"${ocmd[@]}" <"$dir/to-o" >"$dir/o.pipe" 2>"$dir/o.err" &
	pids=("$!")
	"${acmd[@]}" <"$dir/to-a" >"$dir/a.pipe" 2>"$dir/a.err" &
	pids+=("$!")
	# each side's signaling lines go to the other; everything is kept
	tee "$dir/o.out" <"$dir/o.pipe" | grep --line-buffered -v '"log"\|"result"\|"bench"' >"$dir/to-a" &
	tee "$dir/a.out" <"$dir/a.pipe" | grep --line-buffered -v '"log"\|"result"\|"bench"' >"$dir/to-o" &
	[ "$kind" = setup ] && need='o:"setup"' || need='o:"send" a:"recv"'
	[ -n "${rg_wrap:-}" ] && extra=60
	deadline=$(($(date +%s) + secs + extra + 30))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		local all=1
		for n in $need; do
			grep -q "\"bench\":${n#*:}" "$dir/${n%%:*}.out" 2>/dev/null || all=0
		done
		[ $all -eq 1 ] && break
		sleep 0.05
	done
	# a wrapped peer (a profiler) exits by itself, BENCH_LINGER_MS after its part
	local waits=0
	[ -n "$rg_wrap" ] && waits=600
	for _ in $(seq "$waits"); do
		local alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.05
	done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
	grep -h '"bench"' "$dir/o.out" | sed "s/^/$tag o /" >>"$work/results" || true
	grep -h '"bench"' "$dir/a.out" | sed "s/^/$tag a /" >>"$work/results" || true
}

pairs=${PAIRS:-rg:rg rg:ndc ndc:rg ndc:ndc${rg_base:+ rg0:rg0 rg0:ndc ndc:rg0}}
kinds=${KINDS:-reliable unreliable}
: >"$work/results"
for r in $(seq "$rounds"); do
	for kind in $kinds; do
		for p in $pairs; do
			run "${p%%:*}" "${p#*:}" "$kind" "${p/:/-}.$kind.$r"
		done
	done
done
for i in $(seq "$setup_runs"); do
	for p in $pairs; do
		run "${p%%:*}" "${p#*:}" setup "${p/:/-}.setup.$i"
	done
done

echo "rtc-dc: $size-byte messages, $secs s per run, $rounds rounds, $setup_runs set-ups per pair; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/results" <<'PY'
import json, statistics, sys

runs = {}  # (pair, kind) -> list of {o: line, a: line} per round
for line in open(sys.argv[1]):
    tag, who, js = line.split(" ", 2)
    pair, kind, _ = tag.split(".")
    o = json.loads(js)
    runs.setdefault((pair, kind), {}).setdefault(tag, {})[who + ":" + o["bench"]] = o

def med(xs):
    return statistics.median(xs) if xs else None

def p90(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(0.9 * len(xs)))] if xs else None

def through(pair, kind):
    rows = [r for r in runs.get((pair, kind), {}).values() if "o:send" in r and "a:recv" in r]
    rate, mbs, offered, deliv = [], [], [], []
    for r in rows:
        s, v = r["o:send"], r["a:recv"]
        if v["ms"] > 0:
            rate.append(v["msgs"] * 1000 / v["ms"])
            mbs.append(v["bytes"] / 1000 / v["ms"])
        if s["ms"] > 0:
            offered.append(s["msgs"] * 1000 / s["ms"])
        if s["msgs"] > 0:
            deliv.append(100 * v["msgs"] / s["msgs"])
    return med(rate), med(mbs), med(offered), med(deliv), len(rows)

def setup(pair):
    ms = [r["o:setup"]["ms"] for r in runs.get((pair, "setup"), {}).values() if "o:setup" in r]
    return med(ms), p90(ms), min(ms) if ms else None

def f(x, fmt):
    return fmt % x if x is not None else "-"

def ratio(x, ref):
    return "%.2f" % (x / ref) if x and ref else "-"

order = ["rg-rg", "rg-ndc", "ndc-rg", "ndc-ndc", "rg0-rg0", "rg0-ndc", "ndc-rg0"]
pairs = [p for p in order if any(k[0] == p for k in runs)]
names = {p: p.replace("-", "->") for p in order}
ref = {k: through("ndc-ndc", k) for k in ("reliable", "unreliable")}
ref_setup = setup("ndc-ndc")
print()
print("%-9s | %-31s | %-50s | %s" % ("", "reliable", "unreliable (maxRetransmits 0)", "set-up ms"))
print("%-9s | %8s %7s %6s %6s | %8s %8s %7s %6s %6s %6s | %6s %6s %6s %5s" % (
    "offer->", "msg/s", "MB/s", "x ndc", "runs", "offered", "msg/s", "MB/s", "deliv", "x ndc", "runs",
    "median", "p90", "min", "x ndc"))
for p in pairs:
    rr, rm, _, _, rn = through(p, "reliable")
    ur, um, uo, ud, un = through(p, "unreliable")
    sm, s9, s0 = setup(p)
    print("%-9s | %8s %7s %6s %6d | %8s %8s %7s %5s%% %6s %6d | %6s %6s %6s %5s" % (
        names[p], f(rr, "%.0f"), f(rm, "%.1f"), ratio(rm, ref["reliable"][1]), rn,
        f(uo, "%.0f"), f(ur, "%.0f"), f(um, "%.1f"), f(ud, "%.1f"), ratio(um, ref["unreliable"][1]), un,
        f(sm, "%.1f"), f(s9, "%.1f"), f(s0, "%.1f"), ratio(sm, ref_setup[0])))
print()
print("x ndc: ratio to ndc->ndc in this run (throughput: higher is better; set-up, of the medians: lower")
print("is better). runs: rounds in which both sides reported (a run that fails is left out).")
if any(p.startswith("rg0") or p.endswith("rg0") for p in pairs):
    print("rg0: the RG_BASE build.")
PY
