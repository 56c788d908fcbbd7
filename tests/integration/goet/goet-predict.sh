#!/usr/bin/env bash
# goet-predict.sh GOET: local echo (--predict=always) in a real terminal
# (tmux), against a real `goet session` on loopback whose program echoes
# keys half a second late (a slow link's echo, without a lab): after the
# first key is confirmed, typed keys are on the screen, underlined, long
# before their echo; the echo removes the underline; the first key of a line
# is never shown early (a password would not be); an echo that differs
# ('z' echoed as 'Z') replaces the prediction; the final screen has no
# trace of the overlay. Exits 77 (skip) without tmux.
set -u
goet=$(realpath "${1:?usage: goet-predict.sh path/to/goet}")
command -v tmux >/dev/null || { echo "SKIP: no tmux"; exit 77; }

tmp=$(mktemp -d)
export XDG_RUNTIME_DIR="$tmp"
sock="$tmp/tmux.sock"
id=predict$$
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	tmux -S "$sock" kill-server 2>/dev/null
	rm -rf "$tmp" "/tmp/goet-$id.log"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "--- screen"; tmux -S "$sock" capture-pane -e -p -t t 2>/dev/null | cat -v
	exit 1
}
screen() { tmux -S "$sock" capture-pane -p -t t; }
screen_e() { tmux -S "$sock" capture-pane -e -p -t t; }
# Wait until the screen matches an extended regex (within $2 seconds, default 10).
expect() {
	local until=$(($(date +%s%N) / 1000000 + ${2:-10} * 1000))
	until screen | grep -Eq -- "$1"; do
		[ $(($(date +%s%N) / 1000000)) -lt $until ] || fail "no /$1/ on the screen"
		sleep 0.05
	done
}
keys() { tmux -S "$sock" send-keys -t t "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# the session's program: no tty echo; each burst of keys echoed 0.5 s after
# it arrived, as over a 500 ms link ('z' as 'Z', Enter as a new prompt)
cat >"$tmp/slow.sh" <<'EOF'
stty -echo -icanon min 1
printf '\r$ '
echo1() {
	case $1 in
	'') printf '\r\n$ ' ;;
	z) printf 'Z' ;;
	*) printf '%s' "$1" ;;
	esac
}
while IFS= read -rn1 c; do
	burst=("$c")
	while IFS= read -rn1 -t 0.05 d; do burst+=("$d"); done
	sleep 0.5
	for k in "${burst[@]}"; do echo1 "$k"; done
done
EOF

key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkfifo "$tmp/key"
"$goet" session -f "$id" -t -c "bash $tmp/slow.sh" <"$tmp/key" >"$tmp/port" 2>"$tmp/session.err" &
spid=$!
exec 7>"$tmp/key"
echo "$key" >&7
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
[ -n "$port" ] || fail "session did not report its port"

tmux -S "$sock" -f /dev/null new-session -d -s t -x 80 -y 10 \
	"'$goet' --local --predict=always -p $port -k $key 127.0.0.1; sleep 30" || fail "tmux"
expect '^\$ ?$'

# the first key of the line waits for its echo (a tentative prediction)
keys a
sleep 0.3
screen | grep -q '^\$ a' && fail "the first key of a line was shown before its echo"
expect '^\$ a$'

# confirmed: the next keys show at once, underlined, before their echo (0.5 s)
t0=$(now_ms)
keys b c d
expect '^\$ abcd$' 1
t1=$(now_ms)
[ $((t1 - t0)) -lt 400 ] || fail "predictions took $((t1 - t0)) ms"
screen_e | head -1 | grep -q $'\e\\[4m' || fail "the predictions are not underlined"
# the echo catches up: the same text, no underline
until=$(($(now_ms) + 6000))
while screen_e | head -1 | grep -q $'\e\\[4m'; do
	[ "$(now_ms)" -lt $until ] || fail "the underline stayed after the echo"
	sleep 0.1
done
[ "$(screen | head -1)" = '$ abcd' ] || fail "line after the echo: $(screen | head -1)"

# an echo that differs: 'z' shown at once, then the session's 'Z' replaces it
keys z
expect '^\$ abcdz$' 1
expect '^\$ abcdZ$' 5
sleep 0.3
screen_e | head -1 | grep -q $'\e\\[4m' && fail "underline left after the mismatch"

# Enter ends the line; the next line's first key waits for its echo again
keys Enter
expect '^\$ ?$' 5
keys x
sleep 0.3
screen | tail -n +2 | grep -q '^\$ x' && fail "a new line's first key was shown before its echo"
expect '^\$ x$' 5

# the client ends (SIGTERM) while a prediction is drawn: it is undone on the way out
keys y
expect '^\$ xy$' 1
screen_e | grep -q $'\e\\[4my' || fail "y is not drawn as a prediction"
cpid=$(pgrep -P "$(tmux -S "$sock" display -p -t t '#{pane_pid}')")
[ -n "$cpid" ] || fail "no client process in the pane"
kill -TERM "$cpid"
until=$(($(now_ms) + 3000))
while kill -0 "$cpid" 2>/dev/null; do
	[ "$(now_ms)" -lt $until ] || fail "the client did not end on SIGTERM"
	sleep 0.05
done
screen_e | grep -q $'\e\\[4m' && fail "a prediction left on the screen after the client ended"
echo "PASS: keys shown $((t1 - t0)) ms after typing (echo 500 ms), underline gone after the echo, mismatch repaired, new lines tentative, undone at exit"
