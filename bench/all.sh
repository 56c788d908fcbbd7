#!/usr/bin/env bash
# all.sh [BUILD-DIR]: every benchmark in bench/ in one go (`make bench`), then
# one table on stdout, docs/benchmarks.md and its plots in docs/img/
# (bench/report.py). Each script runs RUNS times (default 3; BENCH_QUICK=1:
# once, with shorter measurements, a lighter terminal benchmark and 1,000
# signaling clients only: 4.8 minutes at a load average of 1.6 to 4.4, 5.7
# at 5 to 10, of which goet-vs-ssh.sh takes 2 and rift-tunnel.sh 1.25); a figure is the
# median of the runs with their min and max, next to its ratio to a named
# peer measured in the same run.
#
#   goet transport     bench/goet-net.sh     QUIC and TCP+TLS against bare TCP (iperf3)
#   goet session       bench/goet-session.sh bulk output, resume after a cut and a move
#   tunnel, veth       bench/wg-veth.sh      bare veth, wireguard-go, riftgate wg up
#   tunnel, NAT lab    bench/rift-tunnel.sh  wireguard-go (Debian, upstream), riftgate over
#                                            UDP, the agent direct, in the channel, relayed
#   data channels      bench/rtc-dc.sh       riftgate against node-datachannel
#   terminal           bench/goet-vs-ssh.sh  goet QUIC/TCP against ssh and mosh at
#                                            0/50/200 ms RTT and 50 ms with 1 % loss;
#                                            -L against ssh -L, predicted echo against mosh
#   signaling server   bench/sig-server.sh   1,000 and 10,000 clients: RSS, relay p50/p99
#
# Each script's own output is kept as it is, in OUT/raw/NAME.RUN.out (.err:
# its standard error), with OUT/machine (CPU, cores, kernel, date, load);
# report.py parses those files, so `bench/report.py OUT` redoes the report
# of an old run; OUT/figures.tsv has every figure, machine-readable. OUT defaults to BUILD-DIR/bench-run; BENCH_DOC=0 leaves
# docs/ alone (only the table is printed).
#
# Prerequisites (`scripts/install-deps` installs the Debian ones): root
# (namespaces), a build with tests (build/), iperf3, wireguard-tools,
# wireguard-go, coturn, nftables, iptables, openssh-server, mosh,
# libnetfilter-queue-dev (tests/lab/tools/netem), nodejs and npm (the
# node-datachannel peer, installed by tests/interop/npm-peers.sh), gnuplot-nox;
# upstream wireguard-go from ../shared/tools/wireguard-go-upstream/ (or
# WG_UPSTREAM=PATH; its row reads n/a without it).
# BENCH_ONLY="NAME ..." runs only those scripts. Not run: bench/rtc-callgrind.sh
# (a profile under valgrind, minutes per run, no figure to compare).
# A benchmark, not a test: nothing asserts on the figures.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=$(realpath "${1:-build}")
out=$(realpath -m "${BENCH_OUT:-$build/bench-run}")
quick=${BENCH_QUICK:-0}
[ "$quick" = 0 ] && quick=
if [ -n "$quick" ]; then
	runs=1 wg_secs=2 rift_secs=2 dc_secs=1 dc_setups=3 net_mib=64 session_mib=50
	export GVS_QUICK=1 # goet-vs-ssh.sh: 10 keys, smaller transfers at 0 and 50 ms
	export FIRST_PING_RUNS=3 # rift-tunnel.sh: the first ping's median of 3, not 5
	# 10,000 clients take 3 minutes or more to join (the main loop polls every socket)
	sig_counts=1000
else
	runs=${RUNS:-3} wg_secs=5 rift_secs=5 dc_secs=2 dc_setups=5 net_mib=256 session_mib=200
	sig_counts="1000 10000"
fi

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
for f in src/rift/riftgate src/goet/cli/goet bench/sig-load tests/lab/tools/netem tests/interop/rtc-peer \
	tests/integration/goet/net-peer; do
	[ -x "$build/$f" ] || { echo "bench: $build/$f missing (make build; libnetfilter-queue-dev)" >&2; exit 1; }
done
for t in iperf3 wg wireguard-go turnserver nft iptables /usr/sbin/sshd mosh node gnuplot python3; do
	command -v "$t" >/dev/null || { echo "bench: missing $t (scripts/install-deps)" >&2; exit 1; }
done
# upstream wireguard-go: beside the checkout, or beside the main checkout of a worktree
if [ -z "${WG_UPSTREAM:-}" ]; then
	for d in ../shared ../../shared; do
		f=$d/tools/wireguard-go-upstream/wireguard-go-upstream
		[ -x "$f" ] && { WG_UPSTREAM=$(realpath "$f"); break; }
	done
fi
export WG_UPSTREAM=${WG_UPSTREAM:-}

rm -rf "$out"
mkdir -p "$out/raw"
{
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "cores: $(nproc)"
	echo "kernel: $(uname -r)"
	echo "os: $(sed -n "s/^PRETTY_NAME=\"\?\([^\"]*\)\"\?$/\1/p" /etc/os-release)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "quick: ${quick:-0}"
	echo "runs: $runs"
	echo "load-before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "upstream-wireguard-go: ${WG_UPSTREAM:-none}"
} >"$out/machine"

# bench NAME ARGS...: one run of bench/NAME.sh, its output kept; a failure is noted, not fatal
bench() {
	local name=$1 run=$2 t0 rc
	shift 2
	[ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $name "* ]] || return 0
	t0=$(date +%s)
	echo "bench: $name run $run/$runs: bench/$name.sh $*" >&2
	timeout -k 10 1800 "bench/$name.sh" "$@" >"$out/raw/$name.$run.out" 2>"$out/raw/$name.$run.err"
	rc=$?
	echo "$name.$run: exit $rc, $(($(date +%s) - t0)) s, load $(cut -d' ' -f1 /proc/loadavg)" >>"$out/log"
	[ $rc -eq 0 ] || { echo "bench: $name run $run exited $rc (see $out/raw/$name.$run.err)" >&2; tail -3 "$out/raw/$name.$run.err" >&2; }
}

# run by run, every script in turn: load from other work spreads over all of them
for r in $(seq "$runs"); do
	bench goet-net "$r" "$build" "$net_mib"
	bench goet-session "$r" "$build" "$session_mib"
	bench wg-veth "$r" "$build" "$wg_secs" 1
	bench rift-tunnel "$r" "$build" "$rift_secs"
	bench rtc-dc "$r" "$build" "$dc_secs" 1 "$dc_setups"
	bench goet-vs-ssh "$r" "$build" 1 0:0 50:0 200:0 50:1
	# shellcheck disable=SC2086 # one argument a count
	bench sig-server "$r" "$build" $sig_counts
done
echo "load-after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine"

args=("$out" --tsv "$out/figures.tsv")
[ "${BENCH_DOC:-1}" = 0 ] || args+=(--md docs/benchmarks.md --img docs/img --readme README.md)
python3 bench/report.py "${args[@]}"
