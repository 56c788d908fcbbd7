#!/usr/bin/env bash
# goet-ssh.sh GOET: goet over a real OpenSSH server (ssh-lab.sh) for a user
# that has no goet. SSH failures (unknown host, refused key, no remote goet)
# and --install to another architecture give a clear message and a non-zero
# exit in bounded time; --install copies
# the binary and the session runs a command in a real terminal (tmux) through
# an ssh_config alias only `ssh -G` resolves; a second --install copies
# nothing; a different remote version is upgraded; --tcp --profile works
# without --install (the remote goet is found in ~/.local/bin) and writes its
# statistics and JSON summary. No passkey is ever on a command line.
# Exits 77 (skip) without tmux, sshd or root.
set -u
goet=$(realpath "${1:?usage: goet-ssh.sh path/to/goet}")
command -v tmux >/dev/null || { echo "SKIP: no tmux"; exit 77; }

tmp=$(mktemp -d)
fail() {
	echo "FAIL: $*"
	echo "--- screen"; tmux -S "$tmux_sock" capture-pane -p -t t 2>/dev/null
	for f in "$tmp"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
	echo "--- sshd log"; tail -20 "$tmp/sshd.log" 2>/dev/null
	exit 1
}
# shellcheck source=tests/integration/goet/ssh-lab.sh
. "$(dirname "$0")/ssh-lab.sh"
trap sshlab_cleanup EXIT
# A command typed into the remote shell shows its output (after a prompt, maybe).
roundtrip() {
	expect '[$#] *$'
	keys "echo \"$1-\$((6*7))\"" Enter
	expect "(^|[\$#>] )$1-42\$"
	keys Enter '~.'
	expect 'client-exit=0'
}
# check_fail NAME REGEX ARGS...: goet fails within 30 s, non-zero, saying REGEX.
check_fail() {
	local name=$1 re=$2 rc
	shift 2
	timeout 30 "$goet" "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	[ $rc -ne 124 ] || fail "$name: goet hung"
	[ $rc -ne 0 ] || fail "$name: exit status 0"
	grep -Eq -- "$re" "$tmp/$name.err" || fail "$name: no /$re/ in its message"
	echo "ok: $name -> exit $rc: $(head -c 200 "$tmp/$name.err" | tr '\n' '|')"
}

sshlab_start
sshlab_scan_start
bin="$tmp/home/.local/bin/goet"

check_fail unknown-host 'Could not resolve hostname' goetlab-nosuch
# goet's own words say goet, not ssh (they said "ssh: cannot run goet on ...")
grep -q '^goet: cannot reach goetlab-nosuch over ssh (ssh exited with status 255)$' \
	"$tmp/unknown-host.err" || fail "unknown-host: goet's own message"
! grep -q '^ssh: cannot' "$tmp/unknown-host.err" || fail "unknown-host: a goet message as ssh's"
check_fail refused-key 'Permission denied' goetlab-badkey
# the bootstrap's ssh runs with -v (its "Sending command" line times the
# predial): what -v adds never reaches the user, ssh's own words do
for f in unknown-host refused-key; do
	! grep -Eq '^(debug1: |OpenSSH_|Authenticated to )' "$tmp/$f.err" ||
		fail "$f: ssh -v's lines in goet's message: $(head -3 "$tmp/$f.err")"
done
check_fail not-installed 'goet is not installed on goetlab' goetlab
grep -q 'Run: goet --install goetlab' "$tmp/not-installed.err" || fail "no --install hint"
check_fail other-arch "goetlab-arm is Linux $sshlab_other_arch but this goet is built for Linux $(uname -m)" \
	--install goetlab-arm
[ ! -e "$bin" ] || fail "a binary was copied to another architecture"

# --install onto a user without goet, then a command in a real terminal
term "'$goet' --install goetlab 2>'$tmp/install.err'"
roundtrip installed
grep -q 'installed goet to ~/.local/bin/goet on goetlab' "$tmp/install.err" || fail "install message"
cmp -s "$goet" "$bin" || fail "the remote copy differs from this binary"
left=$(find "$tmp/home/.local/bin" -mindepth 1 ! -name goet)
[ -z "$left" ] || fail "temporary files left in ~/.local/bin: $left"
echo "ok: installed and ran a command"

# one ssh connection per start, although goet is only in ~/.local/bin (not on the
# non-interactive PATH): it took two (the first found no `goet`, 190 ms lost on a LAN)
before=$(grep -c 'Accepted publickey' "$tmp/sshd.log")
timeout 30 "$goet" goetlab -- true </dev/null >/dev/null 2>"$tmp/one.err" || fail "goet goetlab -- true: $(cat "$tmp/one.err")"
n=$(( $(grep -c 'Accepted publickey' "$tmp/sshd.log") - before ))
[ "$n" -eq 1 ] || fail "goet goetlab -- true took $n ssh connections"
echo "ok: one ssh connection to start a session"

# goet host -- command: like ssh host command (stdout, stderr, exit status), but each word
# reaches the command as typed (ssh would run `sh -c exit 3`, status 0)
timeout 30 "$goet" goetlab -- sh -c 'exit 3' </dev/null >"$tmp/cmd.out" 2>"$tmp/cmd.err"
rc=$?
[ $rc -eq 3 ] || fail "goet goetlab -- sh -c 'exit 3' exited $rc: $(cat "$tmp/cmd.err")"
printf 'in-%s\n' "$$" | timeout 30 "$goet" --tcp goetlab -- 'read x; echo "out $x"; echo "err $x" >&2; test -t 0 || echo no-tty' \
	>"$tmp/cmd2.out" 2>"$tmp/cmd2.err" || fail "a command over TCP: status $?"
[ "$(cat "$tmp/cmd2.out")" = "$(printf 'out in-%s\nno-tty' "$$")" ] || fail "command stdout: $(od -c "$tmp/cmd2.out" | head)"
[ "$(cat "$tmp/cmd2.err")" = "err in-$$" ] || fail "command stderr: $(cat "$tmp/cmd2.err")"
echo "ok: goet host -- command (exit 3; stdout and stderr apart, no terminal)"

# the same version: nothing is copied
before=$(stat -c '%i %Y' "$bin")
sleep 1.1 # a copy would change the modification time
printf 'exit\n' | timeout 30 "$goet" --install goetlab >"$tmp/same.out" 2>"$tmp/same.err" ||
	fail "second --install"
grep -q 'goet is up to date on goetlab' "$tmp/same.err" || fail "no up-to-date message"
[ "$(stat -c '%i %Y' "$bin")" = "$before" ] || fail "the binary was copied again"
echo "ok: up to date, not copied"

# another version there: upgraded (atomically: a new inode)
# (a new file renamed over it: the last session's goet may still be running it, and writing
# into a running binary fails with ETXTBSY)
printf '#!/bin/sh\necho "goet 0.0.1 (0000000)"\n' >"$bin.old" && chmod 755 "$bin.old" &&
	chown --reference="$bin" "$bin.old" && mv "$bin.old" "$bin" ||
	fail "cannot put another version in place"
before=$(stat -c '%i' "$bin")
printf 'exit\n' | timeout 30 "$goet" --install goetlab >"$tmp/upgrade.out" 2>"$tmp/upgrade.err" ||
	fail "upgrading --install"
grep -q 'upgraded goet on goetlab' "$tmp/upgrade.err" || fail "no upgrade message"
cmp -s "$goet" "$bin" || fail "the upgraded copy differs from this binary"
[ "$(stat -c '%i' "$bin")" != "$before" ] || fail "the upgrade wrote in place (not a rename)"
echo "ok: upgraded"

# --tcp --profile, no --install: goet is found in ~/.local/bin
term "TMPDIR='$tmp' '$goet' --tcp --profile goetlab 2>'$tmp/tcp.err'"
expect '[$#] *$'
until=$((SECONDS + 15))
until grep -q '^\[profile\] rtt=' "$tmp/tcp.err"; do
	[ $SECONDS -lt $until ] || fail "no periodic [profile] line"
	sleep 0.2
done
roundtrip tcp
grep -q '\[profile\] Transport: tcp' "$tmp/tcp.err" || fail "not over TCP"
json=$(sed -n 's/^\[profile\] wrote \(.*\.json\).*/\1/p' "$tmp/tcp.err" | tr -d '\r')
[ -f "$json" ] && [ "$(dirname "$json")" = "$tmp" ] || fail "no profile JSON in \$TMPDIR: $json"
python3 - "$json" <<'PY' || fail "profile JSON fields"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("timestamp", "commit", "host", "duration_s", "rtt", "traffic"):
    assert k in d, k
assert set(d["rtt"]) >= {"min_ms", "smooth_ms", "latest_ms", "jitter_ms"}
assert set(d["traffic"]) >= {"bytes_sent", "bytes_recv", "pkts_sent", "pkts_recv", "pkts_lost"}
assert d["host"] == "127.0.0.1" and d["traffic"]["bytes_recv"] > 0 and d["duration_s"] > 0
assert d["transport"] == "tcp" and d["rtt"]["smooth_ms"] > 0
PY
rm -f "$json"
echo "ok: --tcp --profile"

sshlab_scan_check
echo "PASS: failures reported, installed, up to date, upgraded, QUIC and TCP sessions through an alias"
