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
# key-to-screen times. Needs root (exits 77 without), tmux, iptables
# (NFQUEUE) and vi.
set -u
goet=$(realpath "${1:?usage: goet-predict.sh path/to/goet path/to/netem}")
# shellcheck disable=SC2034 # used by lib/netem.sh
netem=$(realpath "${2:?usage: goet-predict.sh path/to/goet path/to/netem}")
here=$(cd "$(dirname "$0")" && pwd)
# screen, screen_e, keys, expect (and tests/lab/lib.sh)
# shellcheck source=tests/integration/goet/tmux-driver.sh
source "$here/../integration/goet/tmux-driver.sh"
# shellcheck source=tests/lab/lib/netem.sh
source "$here/lib/netem.sh"

lab_init
lab_require tmux iptables vi
export XDG_RUNTIME_DIR="$tmp"
sock="$tmp/tmux.sock"
C=gtpr-c-$$
S=gtpr-s-$$
id=pred$$
spid=
pids=() # netem's
lab_on_cleanup() {
	lab_stop "$spid"
	tmux -S "$sock" kill-server 2>/dev/null
	for p in "${pids[@]}"; do netem_stop "$p"; done
	rm -f "/tmp/goet-${id}adaptive.log" "/tmp/goet-${id}never.log"
}
lab_on_fail() {
	echo "--- screen"; screen_e 2>/dev/null | cat -v
	echo "--- session"; tail -5 "$tmp/session.err" 2>/dev/null
}
# Type $1 and time until $2 (a regex) is on the screen: prints ms.
type_time() {
	local t0
	t0=$(lab_now_ms)
	keys -l "$1"
	expect "$2" 3
	echo $(($(lab_now_ms) - t0))
}
underlined() { screen_e | grep -q $'\e\\[4m'; }

lab_netns "$C" "$S"
ip link add c0 netns "$C" type veth peer name s0 netns "$S" || lab_fail "veth"
ip -n "$C" addr add 10.99.3.2/24 dev c0
ip -n "$S" addr add 10.99.3.1/24 dev s0
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up
netem_start "$C" c0 31 -d 100 || lab_fail "netem in $C"
netem_start "$S" s0 32 -d 100 || lab_fail "netem in $S"

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
	lab_wait_for 5 test -s "$tmp/port"
	port=$(cat "$tmp/port")
	[ -n "$port" ] || lab_fail "session did not report its port"
	tmux -S "$sock" -f /dev/null new-session -d -s t -x 100 -y 30 \
		"ip netns exec $C '$goet' --local --predict=$mode -p $port -k $key 10.99.3.1; sleep 30" ||
		lab_fail "tmux"
	expect '^\$ ?$' 15
	sleep 2 # RTT samples: adaptive mode turns on above 30 ms

	# the first key of the line waits for its echo; then the rest shows at once
	first=$(type_time 'e' '^\$ e$')
	rest=$(type_time 'cho predicted-ok' '^\$ echo predicted-ok$')
	if [ "$mode" = adaptive ]; then
		underlined || lab_fail "the predicted keys are not underlined"
		[ "$rest" -lt 150 ] || lab_fail "typed keys took $rest ms (RTT 200 ms): not predicted"
	fi
	until=$(($(lab_now_ms) + 3000))
	while underlined; do
		[ "$(lab_now_ms)" -lt $until ] || lab_fail "the underline stayed after the echo"
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
	screen | grep -q 'hunter2' && lab_fail "a password typed with echo off is on the screen"
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
	underlined && lab_fail "an underline in vi"
	keys -l ':q!'
	keys Enter
	expect '^\$ ?$'
	# a last line typed fast, left unfinished: its echo has come when the screen is taken
	keys -l 'e'
	expect '^\$ e$'
	keys -l 'cho done'
	expect '^\$ echo done$'
	sleep 1
	underlined && lab_fail "an underline left at the prompt"
	{ screen_e; tmux -S "$sock" display -p -t t 'cursor #{cursor_x},#{cursor_y}'; } >"$shot"
	tmux -S "$sock" kill-server
	lab_stop "$spid"
	spid=
	exec 7>&-
}

drive adaptive "$tmp/screen.predict"
p_first=$first p_rest=$rest
drive never "$tmp/screen.never"
grep -q 'got=hunter2' "$tmp/screen.never" || lab_fail "the screen taken is not the session's: $(cat -v "$tmp/screen.never")"
cmp -s "$tmp/screen.predict" "$tmp/screen.never" ||
	lab_fail "final screens differ: $(diff "$tmp/screen.never" "$tmp/screen.predict" | cat -v | head -20)"
echo "PASS: 200 ms RTT: first key $p_first ms (its echo), the next $p_rest ms (predicted; without: $rest ms); password hidden; vi untouched; final screen as with --predict=never"
