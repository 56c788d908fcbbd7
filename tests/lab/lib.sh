# shellcheck shell=bash
# lib.sh - sourced by the lab tests (tests/lab, tests/integration) and the
# benchmarks (bench/): temporary files, namespaces and processes that are
# always cleaned up, bounded waits, and failures that show the logs.
#
#   source "$(dirname "$0")/lib.sh"     (bench: "$here/../tests/lab/lib.sh")
#   lab_init [bench|user] needs root (a test exits 77 without it, a benchmark
#                        1; "user": a test that needs no root); makes $tmp;
#                        cleans up at exit (lab_cleanup)
#   lab_require CMD...   fails (exit 1, never a skip) when a tool is missing
#   lab_netns NAME...    new namespaces with lo up, deleted at exit
#   lab_track PID...     processes stopped at exit (in reverse order)
#   lab_stop PID [S]     TERM, KILL after S seconds (default 3); an empty PID is fine
#   lab_stop_all [S]     lab_stop every tracked process (in reverse order), forget them
#   lab_wait_for S CMD.. until CMD succeeds (output hidden); 1 after S seconds
#   lab_fail MSG...      "FAIL: MSG", the caller's lab_on_fail (if defined),
#                        the last lines of $tmp/*.log, then exit 1; all on
#                        standard output, on standard error in a benchmark
#   lab_now_ms           milliseconds since the epoch
#   lab_cut NS IFACE     drop everything in and out of IFACE in NS (nft table
#                        "labcut" there); lab_restore NS lets it through again
#
# Hooks the caller may define: lab_on_fail (diagnostics, before the logs)
# and lab_on_cleanup (runs first at exit, e.g. to restore a sysctl).
# Globals: tmp, LAB_PIDS, LAB_NETNS, LAB_KIND. Works under `set -u`.
LAB_PIDS=()
LAB_NETNS=()
LAB_KIND="test"

lab_init() {
	LAB_KIND=${1:-test}
	if [ "$LAB_KIND" != user ] && [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root"
		[ "$LAB_KIND" = bench ] && exit 1
		exit 77
	fi
	tmp=$(mktemp -d) || exit 1
	trap lab_cleanup EXIT
}

lab_require() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || lab_fail "missing $t (scripts/install-deps installs it)"
	done
}

lab_netns() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns" || lab_fail "cannot create namespace $ns"
		LAB_NETNS+=("$ns")
		ip -n "$ns" link set lo up
	done
}

lab_track() {
	LAB_PIDS+=("$@")
}

lab_stop() {
	[ -n "${1:-}" ] || return 0
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq $((${2:-3} * 10))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	return 0
}

# shellcheck disable=SC2120 # its argument is optional, lab_cleanup passes none
lab_stop_all() {
	local i
	for ((i = ${#LAB_PIDS[@]} - 1; i >= 0; i--)); do lab_stop "${LAB_PIDS[$i]}" "${1:-3}"; done
	LAB_PIDS=()
}

lab_wait_for() { # to the millisecond: SECONDS' whole seconds cut a wait short by up to 1 s
	local until=$(($(lab_now_ms) + $1 * 1000))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(lab_now_ms)" -lt $until ] || return 1
		sleep 0.1
	done
}

lab_fail() {
	local f fd=1
	[ "$LAB_KIND" = bench ] && fd=2 # a benchmark's standard output is its figures
	{
		echo "FAIL: $*"
		if declare -F lab_on_fail >/dev/null; then lab_on_fail; fi
		for f in "${tmp:-/nonexistent}"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f (last lines)"
			tail -15 "$f"
		done
	} >&"$fd"
	exit 1
}

lab_now_ms() { # bash 5's clock, no fork; its decimal point follows the locale
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

lab_cut() {
	ip netns exec "$1" nft -f - <<-NFT
		table inet labcut {
			chain in { type filter hook input priority 0; policy accept; iifname "$2" drop; }
			chain out { type filter hook output priority 0; policy accept; oifname "$2" drop; }
		}
	NFT
}

lab_restore() { ip netns exec "$1" nft delete table inet labcut; }

lab_cleanup() {
	local i
	if declare -F lab_on_cleanup >/dev/null; then lab_on_cleanup; fi
	lab_stop_all
	for ((i = ${#LAB_NETNS[@]} - 1; i >= 0; i--)); do ip netns del "${LAB_NETNS[$i]}" 2>/dev/null; done
	[ -n "${tmp:-}" ] && rm -rf "$tmp"
	return 0
}
