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
# shellcheck source=tests/integration/goet/tmux-driver.sh
. "$(dirname "$0")/tmux-driver.sh"
goet=${1:?usage: goet-predict.sh path/to/goet}
tmux_init

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

tmux_session "$goet" "predict$$" -t -c "bash $tmp/slow.sh"
tmux_window 80 10 "'$goet' --local --predict=always -p $port -k $key 127.0.0.1; sleep 30"
expect '^\$ ?$'

# the first key of the line waits for its echo (a tentative prediction)
keys a
sleep 0.3
screen | grep -q '^\$ a' && lab_fail "the first key of a line was shown before its echo"
expect '^\$ a$'

# confirmed: the next keys show at once, underlined, before their echo (0.5 s)
t0=$(lab_now_ms)
keys b c d
expect '^\$ abcd$' 1
t1=$(lab_now_ms)
[ $((t1 - t0)) -lt 400 ] || lab_fail "predictions took $((t1 - t0)) ms"
screen_e | head -1 | grep -q $'\e\\[4m' || lab_fail "the predictions are not underlined"
# the echo catches up: the same text, no underline
until=$(($(lab_now_ms) + 6000))
while screen_e | head -1 | grep -q $'\e\\[4m'; do
	[ "$(lab_now_ms)" -lt $until ] || lab_fail "the underline stayed after the echo"
	sleep 0.1
done
[ "$(screen | head -1)" = '$ abcd' ] || lab_fail "line after the echo: $(screen | head -1)"

# an echo that differs: 'z' shown at once, then the session's 'Z' replaces it
keys z
expect '^\$ abcdz$' 1
expect '^\$ abcdZ$' 5
sleep 0.3
screen_e | head -1 | grep -q $'\e\\[4m' && lab_fail "underline left after the mismatch"

# Enter ends the line; the next line's first key waits for its echo again
keys Enter
expect '^\$ ?$' 5
keys x
sleep 0.3
screen | tail -n +2 | grep -q '^\$ x' && lab_fail "a new line's first key was shown before its echo"
expect '^\$ x$' 5

# the client ends (SIGTERM) while a prediction is drawn: it is undone on the way out
keys y
expect '^\$ xy$' 1
screen_e | grep -q $'\e\\[4my' || lab_fail "y is not drawn as a prediction"
cpid=$(pgrep -P "$(tmux -S "$sock" display -p -t t '#{pane_pid}')")
[ -n "$cpid" ] || lab_fail "no client process in the pane"
kill -TERM "$cpid"
until=$(($(lab_now_ms) + 3000))
while kill -0 "$cpid" 2>/dev/null; do
	[ "$(lab_now_ms)" -lt $until ] || lab_fail "the client did not end on SIGTERM"
	sleep 0.05
done
screen_e | grep -q $'\e\\[4m' && lab_fail "a prediction left on the screen after the client ended"
echo "PASS: keys shown $((t1 - t0)) ms after typing (echo 500 ms), underline gone after the echo, mismatch repaired, new lines tentative, undone at exit"
