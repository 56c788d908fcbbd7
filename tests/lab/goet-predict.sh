#!/usr/bin/env bash
# goet-predict.sh GOET NETEM: local echo over a 200 ms RTT link, in a real
# terminal (tmux) with a real shell (bash, readline echo), --predict left at
# its default (adaptive: on above 30 ms).
#
#   netns $C: tmux, goet --local         netns $S: goet session, bash
#   c0: 10.99.3.2/24  ------- veth -------  s0: 10.99.3.1/24
#   (netem: 100 ms on what arrives)          (netem: 100 ms on what arrives)
#
# Asserts: after one key's echo confirmed the line, typed keys are on the
# screen (underlined) in well under the RTT, i.e. before any echo could have
# returned, then plain once the echo came; the command runs; a password read
# with `read -s` shows nothing while it is typed; in vi (alternate screen)
# nothing is predicted and the text typed ends on the screen as vi drew it;
# back at the prompt the screen holds no underline; and the final screen
# (cells, attributes, cursor) is the one the same keys give with
# --predict=never (goet's plain byte stream, as ssh's). Prints the
# key-to-screen times. Needs root, tmux, iptables (NFQUEUE); exits 77
# (skip) otherwise.
set -u
goet=$(realpath "${1:?usage: goet-predict.sh path/to/goet path/to/netem}")
# shellcheck disable=SC2034 # used by lib/netem.sh
netem=$(realpath "${2:?usage: goet-predict.sh path/to/goet path/to/netem}")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in tmux iptables vi; do command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
# shellcheck source=tests/lab/lib/netem.sh
source "$(dirname "$0")/lib/netem.sh"

C=gtpr-c-$$
S=gtpr-s-$$
tmp=$(mktemp -d)
export XDG_RUNTIME_DIR="$tmp"
sock="$tmp/tmux.sock"
id=pred$$
spid=
pids=()
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	tmux -S "$sock" kill-server 2>/dev/null
	tmux -S "$sock.ref" kill-server 2>/dev/null
	for p in "${pids[@]}"; do netem_stop "$p"; done
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	rm -rf "$tmp" "/tmp/goet-$id.log"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "--- screen"; tmux -S "$sock" capture-pane -e -p -t t 2>/dev/null | cat -v
	echo "--- session"; tail -5 "$tmp/session.err" 2>/dev/null
	exit 1
}
now_ms() { date +%s%3N; }
screen() { tmux -S "$sock" capture-pane -p -t t; }
screen_e() { tmux -S "$sock" capture-pane -e -p -t t; }
keys() { tmux -S "$sock" send-keys -t t "$@"; }
# Wait until the screen matches an extended regex (within $2 s, default 10).
expect() {
	local until=$(($(now_ms) + ${2:-10} * 1000))
	until screen | grep -Eq -- "$1"; do
		[ "$(now_ms)" -lt $until ] || fail "no /$1/ on the screen"
		sleep 0.02
	done
}
# Type $1 and time until $2 (a regex) is on the screen: prints ms.
type_time() {
	local t0
	t0=$(now_ms)
	keys -l "$1"
	expect "$2" 3
	echo $(($(now_ms) - t0))
}
underlined() { screen_e | grep -q $'\e\\[4m'; }

ip netns add "$C" && ip netns add "$S" || { echo "FAIL: cannot create namespaces"; exit 1; }
ip link add c0 netns "$C" type veth peer name s0 netns "$S" || fail "veth"
ip -n "$C" addr add 10.99.3.2/24 dev c0
ip -n "$S" addr add 10.99.3.1/24 dev s0
for n in "$C" "$S"; do ip -n "$n" link set lo up; done
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up
netem_start "$C" c0 31 -d 100 || fail "netem in $C"
netem_start "$S" s0 32 -d 100 || fail "netem in $S"

# the session: bash with a plain prompt; readline echoes what is typed
printf 'PS1="\\$ "\nunset PROMPT_COMMAND\n' >"$tmp/rc"

# One run: a session, the client in tmux with --predict=$1, the keys below;
# the final screen (with attributes) and cursor into $2. Timings only for
# the predicting run.
drive() {
	local mode=$1 shot=$2 key port
	key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	rm -f "$tmp/key" "$tmp/port"
	mkfifo "$tmp/key"
	ip netns exec "$S" env TERM=xterm "$goet" session -f "$id$mode" -t \
		-c "bash --noprofile --rcfile $tmp/rc -i" <"$tmp/key" >"$tmp/port" 2>"$tmp/session.err" &
	spid=$!
	exec 7>"$tmp/key"
	echo "$key" >&7
	for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	port=$(cat "$tmp/port")
	[ -n "$port" ] || fail "session did not report its port"
	tmux -S "$sock" -f /dev/null new-session -d -s t -x 100 -y 30 \
		"ip netns exec $C '$goet' --local --predict=$mode -p $port -k $key 10.99.3.1; sleep 30" ||
		fail "tmux"
	expect '^\$ ?$' 15
	sleep 2 # RTT samples: adaptive mode turns on above 30 ms

	# the first key of the line waits for its echo; then the rest shows at once
	first=$(type_time 'e' '^\$ e$')
	rest=$(type_time 'cho predicted-ok' '^\$ echo predicted-ok$')
	if [ "$mode" = adaptive ]; then
		underlined || fail "the predicted keys are not underlined"
		[ "$rest" -lt 150 ] || fail "typed keys took $rest ms (RTT 200 ms): not predicted"
	fi
	until=$(($(now_ms) + 3000))
	while underlined; do
		[ "$(now_ms)" -lt $until ] || fail "the underline stayed after the echo"
		sleep 0.05
	done
	keys Enter
	expect '^predicted-ok$'
	expect '^\$ ?$'

	# a password: `read -s` does not echo; nothing typed may show
	keys -l 'read -s -p "pw: " pw; echo "got=$pw"'
	expect 'got=\$pw"$'
	keys Enter
	expect '^pw: ?$'
	keys -l 'hunter2'
	sleep 0.6
	screen | grep -q 'hunter2' && fail "a password typed with echo off is on the screen"
	keys Enter
	expect 'got=hunter2$'
	expect '^\$ ?$'

	# vi: the alternate screen; nothing predicted, vi's own drawing ends on the screen
	keys -l 'vi -u NONE'
	keys Enter
	expect '^~'
	keys -l 'ihello vi'
	keys Escape
	expect '^hello vi$'
	underlined && fail "an underline in vi"
	keys -l ':q!'
	keys Enter
	expect '^\$ ?$'
	# a last line typed fast, left unfinished: its echo has come when the screen is taken
	keys -l 'e'
	expect '^\$ e$'
	keys -l 'cho done'
	expect '^\$ echo done$'
	sleep 1
	underlined && fail "an underline left at the prompt"
	{ screen_e; tmux -S "$sock" display -p -t t 'cursor #{cursor_x},#{cursor_y}'; } >"$shot"
	tmux -S "$sock" kill-server
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=
	exec 7>&-
}

drive adaptive "$tmp/screen.predict"
p_first=$first p_rest=$rest
drive never "$tmp/screen.never"
grep -q 'got=hunter2' "$tmp/screen.never" || fail "the screen taken is not the session's: $(cat -v "$tmp/screen.never")"
cmp -s "$tmp/screen.predict" "$tmp/screen.never" ||
	fail "final screens differ: $(diff "$tmp/screen.never" "$tmp/screen.predict" | cat -v | head -20)"
echo "PASS: 200 ms RTT: first key $p_first ms (its echo), the next $p_rest ms (predicted; without: $rest ms); password hidden; vi untouched; final screen as with --predict=never"
