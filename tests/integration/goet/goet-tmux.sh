#!/usr/bin/env bash
# goet-tmux.sh GOET: the client in a real terminal (tmux), against a real
# `goet session` on loopback. Typed keys reach the shell and its output is on
# the screen; a resized window changes `stty size` in the session; a silent
# link shows the notice on the top line and contact erases it; `goet list
# --local` shows the session (registering again when its directory vanished);
# `~.` ends both programs. Exits 77 (skip) without tmux.
set -u
# shellcheck source=tests/integration/goet/tmux-driver.sh
. "$(dirname "$0")/tmux-driver.sh"
tmux_init
tmux_session "${1:?usage: goet-tmux.sh path/to/goet}" "tmux$$"
tmux_window 100 30 "'$goet' --local -p $port -k $key 127.0.0.1; echo client-exit=\$?; sleep 30"

# type a command, read its output on the screen. Keys typed before the shell
# has printed its prompt are echoed by the terminal early and the output then
# follows the prompt on one line ("# typed-42"): wait for the prompt first,
# and accept the output after a prompt too.
expect '[^[:space:]]'
keys 'echo "typed-$((6*7))"' Enter
expect '(^|[$#>] )typed-42$'

# the session is registered (goet list), attached; a vanished registry
# directory (logind removes /run/user/UID at logout) is made again
"$goet" list --local >"$tmp/list" 2>&1
grep -Eq "^$id +[0-9]+s +attached +" "$tmp/list" || lab_fail "goet list --local: $(cat "$tmp/list")"
[ "$(stat -c %a "$tmp/goet")" = 700 ] || lab_fail "registry directory mode"
[ "$(stat -c %a "$tmp/goet/$id.key")" = 600 ] || lab_fail "key file mode"
rm -rf "$tmp/goet"
registered() { "$goet" list --local 2>&1 | grep -q "^$id "; }
lab_wait_for 10 registered || lab_fail "the session did not register again"

# the window's size is the session's terminal size
keys 'stty size' Enter
expect '^30 100'
tmux -S "$sock" resize-window -t t -x 120 -y 40 || lab_fail "resize-window"
keys 'clear; stty size' Enter
expect '^40 120'

# a silent link: the notice on the top line after 2 s, gone when contact returns
kill -STOP "$spid"
expect '^ goet: connection lost, retrying; last contact [2-9] s ago'
kill -CONT "$spid"
notice_gone() { ! screen | head -1 | grep -q 'connection lost'; }
lab_wait_for 10 notice_gone || lab_fail "the notice stayed after contact returned"
keys 'echo "after-$((1+1))"' Enter
expect '^after-2'

# ~. at the start of a line ends the client (0) and the session (1)
keys Enter '~.'
expect 'client-exit=0'
wait "$spid"
rc=$?
spid=
[ "$rc" -eq 1 ] || lab_fail "session exited with $rc"
grep -q 'session exited: client sent shutdown' "$tmp/session.err" || lab_fail "session's last words"
echo "PASS: typed, read the screen, resized to 40x120, notice shown and cleared, ~. ended both"
