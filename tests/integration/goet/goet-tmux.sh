#!/usr/bin/env bash
# goet-tmux.sh GOET: the client in a real terminal (tmux), against a real
# `goet session` on loopback. Typed keys reach the shell and its output is on
# the screen; a resized window changes `stty size` in the session; a silent
# link shows the notice on the top line and contact erases it; `goet list
# --local` shows the session (registering again when its directory vanished);
# `~.` ends both programs. Exits 77 (skip) without tmux.
set -u
goet=$(realpath "${1:?usage: goet-tmux.sh path/to/goet}")
command -v tmux >/dev/null || { echo "SKIP: no tmux"; exit 77; }

tmp=$(mktemp -d)
export XDG_RUNTIME_DIR="$tmp" # the session registers there (goet list), removed with it
sock="$tmp/tmux.sock"
id=tmux$$
spid=
cleanup() {
	[ -n "$spid" ] && kill -CONT "$spid" 2>/dev/null && kill "$spid" 2>/dev/null
	tmux -S "$sock" kill-server 2>/dev/null
	rm -rf "$tmp" "/tmp/goet-$id.log"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "--- screen"; tmux -S "$sock" capture-pane -p -t t 2>/dev/null
	echo "--- session log"; tail -20 "/tmp/goet-$id.log" 2>/dev/null
	exit 1
}
screen() { tmux -S "$sock" capture-pane -p -t t; }
# Wait until the screen matches an extended regex (10 s at most).
expect() {
	local until=$((SECONDS + 10))
	until screen | grep -Eq -- "$1"; do
		[ $SECONDS -lt $until ] || fail "no /$1/ on the screen"
		sleep 0.1
	done
}
keys() { tmux -S "$sock" send-keys -t t "$@"; }

key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkfifo "$tmp/key"
"$goet" session -f "$id" <"$tmp/key" >"$tmp/port" 2>"$tmp/session.err" &
spid=$!
exec 7>"$tmp/key"
echo "$key" >&7
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
[ -n "$port" ] || fail "session did not report its port"

tmux -S "$sock" -f /dev/null new-session -d -s t -x 100 -y 30 \
	"'$goet' --local -p $port -k $key 127.0.0.1; echo client-exit=\$?; sleep 30" || fail "tmux"

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
grep -Eq "^$id +[0-9]+s +attached +" "$tmp/list" || fail "goet list --local: $(cat "$tmp/list")"
[ "$(stat -c %a "$tmp/goet")" = 700 ] || fail "registry directory mode"
[ "$(stat -c %a "$tmp/goet/$id.key")" = 600 ] || fail "key file mode"
rm -rf "$tmp/goet"
until=$((SECONDS + 10))
until "$goet" list --local 2>&1 | grep -q "^$id "; do
	[ $SECONDS -lt $until ] || fail "the session did not register again"
	sleep 0.2
done

# the window's size is the session's terminal size
keys 'stty size' Enter
expect '^30 100'
tmux -S "$sock" resize-window -t t -x 120 -y 40 || fail "resize-window"
keys 'clear; stty size' Enter
expect '^40 120'

# a silent link: the notice on the top line after 2 s, gone when contact returns
kill -STOP "$spid"
expect '^ goet: connection lost, retrying; last contact [2-9] s ago'
kill -CONT "$spid"
until=$((SECONDS + 10))
while screen | head -1 | grep -q 'connection lost'; do
	[ $SECONDS -lt $until ] || fail "the notice stayed after contact returned"
	sleep 0.1
done
keys 'echo "after-$((1+1))"' Enter
expect '^after-2'

# ~. at the start of a line ends the client (0) and the session (1)
keys Enter '~.'
expect 'client-exit=0'
wait "$spid"
rc=$?
spid=
[ "$rc" -eq 1 ] || fail "session exited with $rc"
grep -q 'session exited: client sent shutdown' "$tmp/session.err" || fail "session's last words"
echo "PASS: typed, read the screen, resized to 40x120, notice shown and cleared, ~. ended both"
