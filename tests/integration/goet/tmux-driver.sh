# shellcheck shell=bash
# tmux-driver.sh - sourced by goet-tmux.sh and goet-predict.sh: a goet client
# in a real terminal (tmux), against a real `goet session` on loopback, on
# tests/lab/lib.sh (needs no root; everything is cleaned up at exit).
#
#   tmux_init            fails without tmux (never a skip); makes $tmp
#                        (XDG_RUNTIME_DIR: the session registers there)
#   tmux_session GOET ID [SESSION-ARGS...]
#       starts `GOET session -f ID ARGS...` with a fresh key; sets goet, id,
#       key, port, spid and sock. At exit: the session (continued first if
#       stopped), the tmux server, $tmp and the session's log /tmp/goet-ID.log.
#   tmux_window W H CMD  the tmux session t, W x H, running CMD
#   screen, screen_e     the pane's text (screen_e: with its attributes)
#   expect RE [S]        until the screen matches the extended regex RE
#                        (within S seconds, default 10), else lab_fail
#   keys KEY...          tmux send-keys into the pane
# lab_fail shows the screen (its attributes made visible by cat -v) and the
# last lines of the session's log.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../lab/lib.sh"

tmux_init() {
	lab_init user
	lab_require tmux
	export XDG_RUNTIME_DIR="$tmp"
	sock="$tmp/tmux.sock"
}

tmux_session() {
	goet=$(realpath "$1") id=$2
	shift 2
	key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	mkfifo "$tmp/key"
	"$goet" session -f "$id" "$@" <"$tmp/key" >"$tmp/port" 2>"$tmp/session.err" &
	spid=$!
	exec 7>"$tmp/key"
	echo "$key" >&7
	lab_wait_for 5 test -s "$tmp/port"
	port=$(cat "$tmp/port")
	[ -n "$port" ] || lab_fail "session did not report its port"
}

lab_on_cleanup() {
	[ -n "${spid:-}" ] && kill -CONT "$spid" 2>/dev/null && lab_stop "$spid"
	tmux -S "$sock" kill-server 2>/dev/null
	[ -n "${id:-}" ] && rm -f "/tmp/goet-$id.log"
}

lab_on_fail() {
	echo "--- screen"; screen_e 2>/dev/null | cat -v
	echo "--- session log"; tail -20 "/tmp/goet-$id.log" 2>/dev/null
}

tmux_window() {
	tmux -S "$sock" -f /dev/null new-session -d -s t -x "$1" -y "$2" "$3" || lab_fail "tmux"
}

screen() { tmux -S "$sock" capture-pane -p -t t; }
screen_e() { tmux -S "$sock" capture-pane -e -p -t t; }
on_screen() { screen | grep -Eq -- "$1"; }
expect() { lab_wait_for "${2:-10}" on_screen "$1" || lab_fail "no /$1/ on the screen"; }
keys() { tmux -S "$sock" send-keys -t t "$@"; }
