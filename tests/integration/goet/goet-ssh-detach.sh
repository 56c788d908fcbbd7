#!/usr/bin/env bash
# goet-ssh-detach.sh GOET: detach and reattach over a real OpenSSH server
# (ssh-lab.sh). In a real terminal (tmux): a command that prints later is
# started, `~d` detaches (the client exits 0 naming the session); `goet list`
# shows the session detached with what it runs; output is produced while
# nobody is attached; `goet attach` in a new terminal shows it (catch-up),
# the shell still takes commands, `goet list` says attached; `~.` ends it and
# the listing empties. No passkey is ever on a command line.
# Exits 77 (skip) without tmux, sshd or root.
set -u
goet=$(realpath "${1:?usage: goet-ssh-detach.sh path/to/goet}")
command -v tmux >/dev/null || { echo "SKIP: no tmux"; exit 77; }

tmp=$(mktemp -d)
fail() {
	echo "FAIL: $*"
	echo "--- screen"; tmux -S "$tmux_sock" capture-pane -p -t t 2>/dev/null
	for f in "$tmp"/*.err "$tmp"/list*.out; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
	echo "--- session logs"; tail -20 /tmp/goet-*.log 2>/dev/null
	echo "--- sshd log"; tail -20 "$tmp/sshd.log" 2>/dev/null
	exit 1
}
# shellcheck source=tests/integration/goet/ssh-lab.sh
. "$(dirname "$0")/ssh-lab.sh"
trap sshlab_cleanup EXIT
list() { timeout 30 "$goet" list goetlab >"$tmp/list.out" 2>"$tmp/list.err" || fail "goet list"; }

sshlab_start
sshlab_scan_start
printf 'exit\n' | timeout 30 "$goet" --install goetlab >/dev/null 2>"$tmp/install.err" ||
	fail "--install"

term "'$goet' goetlab 2>'$tmp/client.err'"
expect '[$#] *$'
keys 'echo "before-$((1+1))"' Enter
expect '(^|[$#>] )before-2$'
# output that comes while nobody is attached
keys 'sleep 3; echo "while-$((2+2))"' Enter '~d'
expect 'client-exit=0'
grep -q 'detached; the session keeps running: goet attach goetlab' "$tmp/client.err" ||
	fail "no detach message"
id=$(sed -n 's/.*goet attach goetlab \([0-9a-f]*\).*/\1/p' "$tmp/client.err" | head -1)
[ -n "$id" ] || fail "no session id in the detach message"
echo "ok: detached from $id"

list
grep -Eq "^$id +[0-9]+s +detached +.*sleep 3" "$tmp/list.out" || fail "goet list: $(cat "$tmp/list.out")"
echo "ok: listed: $(grep "^$id" "$tmp/list.out")"
# while-4 is printed with nobody attached: once the listing no longer shows the
# sleep running, the shell has run the echo after it (a fixed wait only guessed)
until=$((SECONDS + 20))
while list && grep -Eq "^$id .*sleep 3" "$tmp/list.out"; do
	[ $SECONDS -lt $until ] || fail "the detached session still runs sleep 3 after 20 s"
	sleep 0.2
done
grep -Eq "^$id +[0-9]+s +detached " "$tmp/list.out" || fail "goet list: $(cat "$tmp/list.out")"

term "'$goet' attach goetlab $id 2>'$tmp/attach.err'"
expect '(^|[$#>] )while-4$'
keys 'echo "after-$((3+3))"' Enter
expect '(^|[$#>] )after-6$'
list
grep -Eq "^$id +[0-9]+s +attached " "$tmp/list.out" || fail "not attached: $(cat "$tmp/list.out")"
echo "ok: reattached with the output made while detached"

keys Enter '~.'
expect 'client-exit=0'
until=$((SECONDS + 10))
while list && grep -q "^$id" "$tmp/list.out"; do
	[ $SECONDS -lt $until ] || fail "the session is still listed after ~."
	sleep 0.2
done
grep -q 'no goet sessions' "$tmp/list.out" || fail "listing: $(cat "$tmp/list.out")"
check_fail_attach=$(timeout 30 "$goet" attach goetlab "$id" </dev/null 2>&1) &&
	fail "attach to an ended session succeeded"
echo "$check_fail_attach" | grep -q "no session $id" || fail "attach to an ended session: $check_fail_attach"
# one message, the remote goet's (a second one said the remote goet gave no answer)
[ "$(echo "$check_fail_attach" | grep -c .)" -eq 1 ] || fail "attach to an ended session said more: $check_fail_attach"
echo "ok: ended; the listing is empty; attach says: $(echo "$check_fail_attach" | head -1)"

sshlab_scan_check
echo "PASS: ~d detached, goet list, goet attach caught up, ~. ended it"
