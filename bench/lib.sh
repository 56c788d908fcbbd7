# shellcheck shell=bash
# bench/lib.sh - sourced by the benchmarks (bench/*.sh, from the top of the
# tree), on tests/lab/lib.sh (lab_track, lab_stop_all, lab_wait_for, lab_fail...):
#
#   bench_init           lab_init bench: needs root (exit 1 without); $tmp and
#                        everything tracked cleaned up at exit; lab_fail on stderr
#   bench_labs           for the NAT-lab benchmarks (tests/lab/lib/riftnet.sh): each
#                        lab's files in a directory of $top (bench_lab_dir); at
#                        exit the lab of the moment goes too (riftnet_cleanup)
#   bench_lab_dir        a new directory in $top, as $tmp
# shellcheck source=tests/lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lab/lib.sh"

bench_init() {
	lab_init bench
}

bench_labs() {
	top=$tmp
}

# at exit (lab_cleanup): the NAT lab of the moment, and $top all through
lab_on_cleanup() {
	if declare -F riftnet_cleanup >/dev/null; then riftnet_cleanup; fi
	tmp=${top:-$tmp}
}

bench_lab_dir() {
	tmp=$(mktemp -d -p "$top")
}
