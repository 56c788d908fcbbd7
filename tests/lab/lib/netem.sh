# shellcheck shell=bash
# netem.sh - sourced: delay, jitter, loss and reordering for lab tests and
# benchmarks with tests/lab/tools/netem on NFQUEUE (this kernel has no
# sch_netem: ../shared/notes/lab.md).
#
#   netem_start NS IFACE QUEUE [netem options...]
#       Queues what arrives on IFACE in namespace NS (iptables raw
#       PREROUTING, --queue-bypass: traffic flows untouched once netem is
#       gone) and starts netem -q QUEUE there with the options (-d MS -j MS
#       -l PCT -r PCT -s SEED -t SECONDS; see netem.c). Returns once the queue
#       is bound; sets NETEM_PID and appends it to the caller's pids array.
#       Its log (and summary line at exit) is $tmp/netem-NS-QUEUE.log.
#   netem_stop PID   ends one (TERM; it releases what it holds), waits for
#       it, and removes its rule (a later netem_start on the same interface
#       would otherwise never see a packet: the first NFQUEUE rule decides).
#
# The caller sets netem (the binary) and tmp (a directory of its own) before
# calling, and deletes its namespaces at cleanup (that removes the rules).
# Returns 1 with a message on stderr when the rule or the queue fails.
declare -A NETEM_RULE # PID -> "NS IFACE QUEUE"

netem_start() {
	local ns=$1 dev=$2 q=$3 log
	shift 3
	: "${netem:?netem: the binary}" "${tmp:?tmp: a directory}"
	log="$tmp/netem-$ns-$q.log"
	ip netns exec "$ns" iptables -t raw -A PREROUTING -i "$dev" -j NFQUEUE \
		--queue-num "$q" --queue-bypass || { echo "netem: iptables in $ns" >&2; return 1; }
	ip netns exec "$ns" "$netem" -q "$q" "$@" 2>"$log" &
	NETEM_PID=$!
	pids+=("$NETEM_PID")
	NETEM_RULE[$NETEM_PID]="$ns $dev $q"
	for _ in $(seq 50); do
		grep -qs "^netem: queue $q:" "$log" && return 0
		kill -0 "$NETEM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "netem: did not start in $ns: $(cat "$log")" >&2
	return 1
}

netem_stop() {
	local rule ns dev q
	[ -n "$1" ] || return 0
	if kill "$1" 2>/dev/null; then
		for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$1" 2>/dev/null
	fi
	rule=${NETEM_RULE[$1]:-}
	[ -n "$rule" ] || return 0
	unset "NETEM_RULE[$1]"
	read -r ns dev q <<<"$rule"
	ip netns exec "$ns" iptables -t raw -D PREROUTING -i "$dev" -j NFQUEUE \
		--queue-num "$q" --queue-bypass 2>/dev/null
	return 0
}
