#!/usr/bin/env bash
# lib-test.sh: tests/lab/lib.sh itself. Each case runs a small script that
# sources the library in a child bash and checks what it did: lab_fail's
# exit status, text, hook and log tail; lab_wait_for's bound; lab_cleanup
# stopping tracked processes (even one that ignores TERM), deleting
# namespaces and $tmp, after the caller's hook; lab_require failing (never
# skipping) on a missing tool; lab_cut and lab_restore. Needs root (exits 77 without): namespaces.
set -u
lib=$(cd "$(dirname "$0")" && pwd)/lib.sh
# shellcheck source=tests/lab/lib.sh
source "$lib"
lab_init
bad() { echo "FAIL: $*"; exit 1; }

# child SCRIPT: runs it after sourcing the library; output in $tmp/out
child() {
	bash -c "set -u; source '$lib'; $1" >"$tmp/out" 2>&1
}

# lab_fail: exit 1, the message, the hook's output, then the logs' last lines
child 'lab_init; lab_on_fail() { echo "hook ran"; }; echo "log line" >"$tmp/x.log"; lab_fail "the reason"; echo after'
rc=$?
[ $rc -eq 1 ] || bad "lab_fail exited $rc"
grep -qx 'FAIL: the reason' "$tmp/out" || bad "lab_fail's message: $(cat "$tmp/out")"
grep -qx 'hook ran' "$tmp/out" || bad "lab_on_fail did not run"
grep -qx 'log line' "$tmp/out" || bad "the log was not shown"
grep -q after "$tmp/out" && bad "lab_fail returned"
[ "$(grep -n 'hook ran' "$tmp/out" | cut -d: -f1)" -lt "$(grep -n 'log line' "$tmp/out" | cut -d: -f1)" ] ||
	bad "the hook should print before the logs"

# lab_fail in a benchmark: its standard output is its figures, the failure goes to stderr
bash -c "set -u; source '$lib'; lab_init bench; echo figure; lab_fail 'the reason'" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || bad "lab_fail (bench) exited $rc"
[ "$(cat "$tmp/out")" = figure ] || bad "lab_fail (bench) wrote on stdout: $(cat "$tmp/out")"
grep -qx 'FAIL: the reason' "$tmp/err" || bad "lab_fail (bench) on stderr: $(cat "$tmp/err")"

# lab_wait_for: success at once, failure after its bound (not before)
child 'lab_wait_for 5 true' || bad "lab_wait_for 5 true failed"
start=$(lab_now_ms)
child 'lab_wait_for 1 false'
rc=$?
took=$(($(lab_now_ms) - start))
[ $rc -eq 1 ] || bad "lab_wait_for 1 false returned $rc"
[ $took -ge 900 ] && [ $took -lt 3000 ] || bad "lab_wait_for 1 took $took ms"

# lab_cleanup at exit: hook first, tracked processes stopped (one ignores
# TERM), namespaces deleted, $tmp removed
ns=labt-$$
child "lab_init; lab_netns $ns; echo \$tmp >'$tmp/child-tmp'
	sleep 300 & echo \$! >'$tmp/p1'; lab_track \$!
	bash -c 'trap \"\" TERM; sleep 300' & echo \$! >'$tmp/p2'; lab_track \$!
	lab_on_cleanup() { ip netns list | grep -q '^$ns' && echo 'hook saw the namespace'; }
	exit 0" || bad "cleanup child failed: $(cat "$tmp/out")"
grep -qx 'hook saw the namespace' "$tmp/out" || bad "lab_on_cleanup did not run first"
for p in "$(cat "$tmp/p1")" "$(cat "$tmp/p2")"; do
	kill -0 "$p" 2>/dev/null && { kill -9 "$p"; bad "tracked process $p still runs"; }
done
ip netns list | grep -q "^$ns" && { ip netns del "$ns"; bad "namespace $ns left behind"; }
[ -e "$(cat "$tmp/child-tmp")" ] && bad "the child's tmp was left behind"

# lab_stop_all: every tracked process stopped and forgotten; lab_stop's grace
# period: one that ignores TERM is killed after it, not before
child "sleep 300 & echo \$! >'$tmp/p1'; lab_track \$!
	bash -c 'trap \"\" TERM; sleep 300' & echo \$! >'$tmp/p2'; lab_track \$!
	sleep 0.2; t0=\$(lab_now_ms); lab_stop_all 1; echo \"took \$((\$(lab_now_ms) - t0)) left \${#LAB_PIDS[@]}\"" ||
	bad "lab_stop_all child failed: $(cat "$tmp/out")"
for p in "$(cat "$tmp/p1")" "$(cat "$tmp/p2")"; do
	kill -0 "$p" 2>/dev/null && { kill -9 "$p"; bad "lab_stop_all left $p running"; }
done
read -r _ took _ left < <(grep "^took " "$tmp/out")
[ "$left" = 0 ] || bad "lab_stop_all left $left tracked"
[ "$took" -ge 900 ] && [ "$took" -lt 2500 ] || bad "lab_stop_all 1 took $took ms"

# lab_require: a missing tool fails the test with its name, never a skip
child 'lab_init; lab_require sh no-such-tool-here'
rc=$?
[ $rc -eq 1 ] || bad "lab_require exited $rc"
grep -q 'FAIL: missing no-such-tool-here' "$tmp/out" || bad "lab_require: $(cat "$tmp/out")"
# lab_cut: a veth pair's traffic dropped both ways, and let through after lab_restore
a=labc-a-$$ b=labc-b-$$
lab_netns "$a" "$b"
ip link add va netns "$a" type veth peer name vb netns "$b" || bad "veth"
ip -n "$a" addr add 10.99.88.1/24 dev va && ip -n "$b" addr add 10.99.88.2/24 dev vb
ip -n "$a" link set va up && ip -n "$b" link set vb up
pings() { ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }
lab_wait_for 5 pings "$a" 10.99.88.2 || bad "no ping before lab_cut"
lab_cut "$a" va || bad "lab_cut failed"
pings "$a" 10.99.88.2 && bad "a ping out of a cut link"
pings "$b" 10.99.88.1 && bad "a ping into a cut link"
lab_restore "$a" || bad "lab_restore failed"
pings "$a" 10.99.88.2 || bad "no ping after lab_restore"
echo "PASS: lab_fail, lab_wait_for, lab_cleanup, lab_stop_all, lab_require, lab_cut"
