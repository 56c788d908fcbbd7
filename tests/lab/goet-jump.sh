#!/usr/bin/env bash
# goet-jump.sh GOET quic|tcp: `goet -J jump target -- command` through a jump
# host, with real sshds, for a throw-away user that has goet in ~/.local/bin.
#
#   netns $C (client)          netns $J (jump)                 netns $T (target)
#   c0: 10.99.21.2/24 --veth-- j0: 10.99.21.1/24 (tbf 80 Mbit/s)
#   (then 10.99.21.3)
#                              j1: 10.99.22.1/24 --veth------- t0: 10.99.22.2/24
#                              sshd on 10.99.21.1:22           sshd on 10.99.22.2:22
#
# $J does not forward: the client reaches only the jump host, which alone
# reaches the target. ssh's -J starts the session on the target; the data
# goes through the `goet relay` the client starts on the jump host.
# Asserts: bad -J values exit 2; a start takes two ssh logins on the jump
# host (ProxyJump, the relay) and one on the target; goet list -J and goet
# attach -J (with quic); 12 MiB of output arrive byte-exact (SHA-256)
# across a 3 s cut of the client<->jump link in the middle of the stream and
# a move of the client to a new address (QUIC migrates through the relay); the
# command's exit status (7) comes back; afterwards no process of the user is
# left on either host (the relay ends by itself, within 10 s); a relay that no
# client comes to ends after its --connect-timeout; a sanitizer build leaves
# no report from the remote goets. Needs root (exits 77
# without), sshd, ssh, useradd, nft and tc.
set -u
goet=$(realpath "${1:?usage: goet-jump.sh path/to/goet quic|tcp}")
transport=${2:-quic}
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"

# bad -J values need no namespace: exit 2 and say what is wrong
for spec in "jump:0" "-oProxyCommand=x" "a,,b" "@jump"; do
	out=$("$goet" -J "$spec" target 2>&1)
	rc=$?
	[ $rc -eq 2 ] || { echo "FAIL: goet -J $spec exited $rc, want 2: $out"; exit 1; }
	grep -q '^invalid -J "' <<<"$out" || { echo "FAIL: goet -J $spec said: $out"; exit 1; }
done
echo "ok: bad -J values exit 2"

lab_init
lab_require nft tc ssh ssh-keygen useradd userdel runuser /usr/sbin/sshd
C=gtjmp-c-$$
J=gtjmp-j-$$
T=gtjmp-t-$$
user="goetj$$"
made_user=
lab_on_cleanup() {
	local pids
	if [ -n "$made_user" ]; then
		pids=$(ps -o pid= -u "$user" 2>/dev/null | tr '\n' ' ')
		# shellcheck disable=SC2086 # one PID a word
		[ -n "${pids// /}" ] && kill -KILL $pids 2>/dev/null
		sleep 0.2
		find /tmp -maxdepth 1 -user "$user" -exec rm -rf {} + 2>/dev/null
		userdel "$user" 2>/dev/null
	fi
}
lab_on_fail() {
	echo "--- client stderr"; tr '\r' '\n' <"$tmp/client.err" 2>/dev/null | tail -20
	echo "--- user processes"; ps -o pid,args -u "$user" 2>/dev/null
	for f in /tmp/goet-relay-*.log; do
		[ "$(stat -c %U "$f" 2>/dev/null)" = "$user" ] && { echo "--- $f"; tail -10 "$f"; }
	done
	echo "--- sshd logs"; tail -5 "$tmp"/sshd-*.err 2>/dev/null
	echo "--- the user's files in /tmp"; find /tmp -maxdepth 2 -user "$user" -ls 2>/dev/null | head
}

lab_netns "$C" "$J" "$T"
ip link add c0 netns "$C" type veth peer name j0 netns "$J" || lab_fail "veth c-j"
ip link add j1 netns "$J" type veth peer name t0 netns "$T" || lab_fail "veth j-t"
ip -n "$C" addr add 10.99.21.2/24 dev c0
ip -n "$J" addr add 10.99.21.1/24 dev j0
ip -n "$J" addr add 10.99.22.1/24 dev j1
ip -n "$T" addr add 10.99.22.2/24 dev t0
for l in "$C:c0" "$J:j0" "$J:j1" "$T:t0"; do ip -n "${l%:*}" link set "${l#*:}" up; done
ip netns exec "$J" sysctl -qw net.ipv4.ip_forward=0
ip netns exec "$C" sysctl -qw net.ipv4.conf.all.promote_secondaries=1 \
	net.ipv4.conf.c0.promote_secondaries=1
ip netns exec "$J" tc qdisc add dev j0 root tbf rate 80mbit burst 64kb latency 100ms ||
	lab_fail "tbf"
! ip netns exec "$C" ping -c 1 -W 1 10.99.22.2 >/dev/null 2>&1 || lab_fail "the client reaches the target"

# The user, goet in its ~/.local/bin (first on its PATH), a key for both sshds.
chmod 755 "$tmp"
useradd -m -d "$tmp/home" -s /bin/sh "$user" 2>"$tmp/useradd.err" || lab_fail "useradd: $(cat "$tmp/useradd.err")"
made_user=1
usermod -p '*' "$user" # no password, but not locked
install -d -m 755 -o "$user" "$tmp/home/.local" "$tmp/home/.local/bin"
install -m 755 -o "$user" "$goet" "$tmp/home/.local/bin/goet"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey" || lab_fail "ssh-keygen (host)"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" || lab_fail "ssh-keygen (client)"
install -d -m 700 -o "$user" "$tmp/home/.ssh"
# a sanitizer build's reports from the remote goets (whose stderr is gone) land in $tmp/san
install -d -m 700 -o "$user" "$tmp/san"
san="log_path=$tmp/san/goet"
printf 'environment="PATH=%s",environment="ASAN_OPTIONS=%s",environment="UBSAN_OPTIONS=%s" %s\n' \
	"$tmp/home/.local/bin:/usr/bin:/bin" "$san" "print_stacktrace=1:$san" "$(cat "$tmp/id.pub")" \
	>"$tmp/home/.ssh/authorized_keys"
chown "$user" "$tmp/home/.ssh/authorized_keys"
chmod 600 "$tmp/home/.ssh/authorized_keys"
[ -d /run/sshd ] || mkdir -m 755 /run/sshd
for h in "$J:10.99.21.1" "$T:10.99.22.2"; do
	ns=${h%:*} addr=${h#*:}
	cat >"$tmp/sshd-$ns.conf" <<-CONF
		ListenAddress $addr
		HostKey $tmp/hostkey
		PidFile none
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PubkeyAuthentication yes
		StrictModes no
		AllowUsers $user
		PermitUserEnvironment PATH,ASAN_OPTIONS,UBSAN_OPTIONS
		LogLevel VERBOSE
	CONF
	ip netns exec "$ns" /usr/sbin/sshd -D -e -f "$tmp/sshd-$ns.conf" 2>"$tmp/sshd-$ns.err" &
	lab_track $!
	echo "$addr $(cut -d' ' -f1,2 "$tmp/hostkey.pub")" >>"$tmp/known_hosts"
done
cat >"$tmp/ssh_config" <<-CONF
	Host jump target
	  User $user
	  IdentityFile $tmp/id
	  IdentitiesOnly yes
	  UserKnownHostsFile $tmp/known_hosts
	  GlobalKnownHostsFile /dev/null
	  StrictHostKeyChecking yes
	  ConnectTimeout 5
	  LogLevel ERROR
	Host jump
	  HostName 10.99.21.1
	Host target
	  HostName 10.99.22.2
CONF
export GOET_SSH="ssh -F $tmp/ssh_config"
# shellcheck disable=SC2086 # GOET_SSH is words
lab_wait_for 10 ip netns exec "$C" $GOET_SSH -o BatchMode=yes -J jump target true ||
	lab_fail "ssh -J jump target: $(ip netns exec "$C" $GOET_SSH -o BatchMode=yes -J jump target true 2>&1)"

# shellcheck disable=SC2086,SC2016 # $ASAN_OPTIONS is the target's
env_there=$(ip netns exec "$C" $GOET_SSH -o BatchMode=yes -J jump target 'echo $ASAN_OPTIONS')
[ "$env_there" = "$san" ] || lab_fail "the target's ASAN_OPTIONS: \"$env_there\", want \"$san\""

# A relay no client comes to ends by itself (it cannot reach 10.99.22.3: no
# probe answers); it runs alongside the stream below.
lonely_t0=$(lab_now_ms)
# (started on the jump host itself: the cut below would delay an ssh's end)
(ip netns exec "$J" timeout 20 runuser -u "$user" -- env ASAN_OPTIONS="$san" \
	UBSAN_OPTIONS="print_stacktrace=1:$san" "$tmp/home/.local/bin/goet" relay \
	--to 10.99.22.3:4000 --connect-timeout 2 >"$tmp/lonely.out" 2>"$tmp/lonely.err"
	echo "$? $(($(lab_now_ms) - lonely_t0))" >"$tmp/lonely.rc") &
lab_track $!

# The stream: 12 MiB of base64 (about 1.3 s at 80 Mbit/s), cut for 3 s in the middle.
head -c $((12 * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76 >"$tmp/out.b64"
chmod 644 "$tmp/out.b64"
out_sum=$(sha256sum <"$tmp/out.b64" | cut -d' ' -f1)
tflag=
[ "$transport" = tcp ] && tflag=--tcp
t0=$(lab_now_ms)
ip netns exec "$C" "$goet" $tflag -J jump target -- sh -c "cat $tmp/out.b64; exit 7" \
	</dev/null >"$tmp/client.out" 2>"$tmp/client.err" &
cpid=$!
lab_track "$cpid"
size() { stat -c %s "$tmp/client.out" 2>/dev/null || echo 0; }
grown() { [ "$(size)" -ge "$1" ]; }
lab_wait_for 20 grown $((3 * 1024 * 1024)) || lab_fail "output stalled at $(size) bytes"
first_ms=$(($(lab_now_ms) - t0))
lab_cut "$C" c0
sleep 3
s0=$(size)
lab_restore "$C"
t1=$(lab_now_ms)
until [ "$(size)" -gt "$s0" ]; do
	[ $(($(lab_now_ms) - t1)) -lt 20000 ] || lab_fail "no output for 20 s after the link came back"
	kill -0 "$cpid" 2>/dev/null || break
	sleep 0.01
done
resume_ms=$(($(lab_now_ms) - t1))
# The client moves to a new address: QUIC migrates (the relay sends its
# replies to the new address; the session sees no change), TCP reconnects.
lab_wait_for 20 grown $((8 * 1024 * 1024)) || lab_fail "output stalled at $(size) bytes"
before_move=$(grep -c 'Connection lost' "$tmp/client.err")
ip -n "$C" addr add 10.99.21.3/24 dev c0 || lab_fail "add the new address"
ip -n "$C" addr del 10.99.21.2/24 dev c0 || lab_fail "delete the old address"
s0=$(size)
t1=$(lab_now_ms)
until [ "$(size)" -gt "$s0" ]; do
	[ $(($(lab_now_ms) - t1)) -lt 20000 ] || lab_fail "no output for 20 s after the move"
	kill -0 "$cpid" 2>/dev/null || break
	sleep 0.01
done
move_ms=$(($(lab_now_ms) - t1))
for _ in $(seq 400); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$cpid" 2>/dev/null && lab_fail "the client still runs 40 s after the cut"
wait "$cpid"
rc=$?
total_ms=$(($(lab_now_ms) - t0))
got_sum=$(sha256sum <"$tmp/client.out" | cut -d' ' -f1)
echo "output: sent $out_sum"
echo "        got  $got_sum ($(size) bytes)"
moved=$(($(grep -c 'Connection lost' "$tmp/client.err") - before_move))
echo "first 3 MiB after ${first_ms} ms; resumed ${resume_ms} ms after the restore," \
	"${move_ms} ms after the move ($moved new connection(s)); all in ${total_ms} ms"
[ "$rc" -eq 7 ] || lab_fail "client exited with $rc, want the command's 7"
[ "$got_sum" = "$out_sum" ] || lab_fail "output differs"
if [ "$transport" = quic ]; then
	[ "$moved" -eq 0 ] || lab_fail "QUIC made $moved new connection(s) for the move: no migration"
fi

# Set-up: one ssh through the jump for the session, one to the jump for the
# relay (started alongside, towards the port the client picked), no third.
accepted() { grep -c 'Accepted publickey' "$tmp/sshd-$1.err"; }
j0=$(accepted "$J") t0_=$(accepted "$T") t0=$(lab_now_ms)
ip netns exec "$C" timeout 30 "$goet" $tflag -J jump target -- true </dev/null >/dev/null 2>"$tmp/true.err" ||
	lab_fail "goet -J jump target -- true: $(cat "$tmp/true.err")"
setup_ms=$(($(lab_now_ms) - t0))
nj=$(($(accepted "$J") - j0)) nt=$(($(accepted "$T") - t0_))
echo "set-up: goet -J jump target -- true in ${setup_ms} ms; ssh logins: $nj on the jump, $nt on the target"
[ "$nj" -eq 2 ] && [ "$nt" -eq 1 ] || lab_fail "ssh logins: $nj on the jump (want 2), $nt on the target (want 1)"

# goet list -J and goet attach -J (QUIC only: the same code either way):
# the first client is killed, an attach through a new relay gets the rest
# and the command's exit status.
if [ "$transport" = quic ]; then
	ip netns exec "$C" "$goet" -J jump target -- sh -c 'sleep 3; echo attached-ok; exit 5' \
		</dev/null >"$tmp/first.out" 2>"$tmp/first.err" &
	p1=$!
	lab_track "$p1"
	listed() {
		ip netns exec "$C" "$goet" list -J jump target >"$tmp/list.out" 2>"$tmp/list.err" &&
			grep -q ' attached ' "$tmp/list.out"
	}
	lab_wait_for 10 listed ||
		lab_fail "goet list -J: $(cat "$tmp/list.out" "$tmp/list.err"); first client: $(cat "$tmp/first.err")"
	id=$(awk '/ attached / { print $1; exit }' "$tmp/list.out")
	echo "goet list -J jump target:"
	cat "$tmp/list.out"
	kill -KILL "$p1"
	wait "$p1" 2>/dev/null
	ip netns exec "$C" timeout 20 "$goet" attach -J jump target "$id" </dev/null \
		>"$tmp/attach.out" 2>"$tmp/attach.err"
	rc=$?
	[ "$rc" -eq 5 ] || lab_fail "goet attach -J exited $rc, want 5: $(cat "$tmp/attach.err")"
	grep -q '^attached-ok' "$tmp/attach.out" || lab_fail "goet attach -J: no output"
	echo "ok: goet list -J and goet attach -J (session $id, exit status 5)"
fi

lab_wait_for 10 test -s "$tmp/lonely.rc" || lab_fail "the lonely relay's ssh did not end"
read -r lonely_rc lonely_ms <"$tmp/lonely.rc"
[ "$lonely_rc" -eq 0 ] || lab_fail "a lonely relay: status $lonely_rc: $(cat "$tmp/lonely.err")"
grep -Eq '^[0-9]+$' "$tmp/lonely.out" || lab_fail "the relay printed no port: $(cat "$tmp/lonely.out")"
[ "$lonely_ms" -lt 5000 ] || lab_fail "a relay without a client lived ${lonely_ms} ms"
echo "ok: a relay that no client came to ended after ${lonely_ms} ms (its limit: 2 s)"

# Nothing of the user's stays behind: session, relay and sshd's children end.
t1=$(lab_now_ms)
lab_wait_for 10 sh -c "! ps -o pid= -u $user | grep -q ." || lab_fail "processes left: $(ps -o pid,args -u "$user")"
reports=$(find "$tmp/san" -type f)
[ -z "$reports" ] || lab_fail "sanitizer reports from the remote goets: $(find "$tmp/san" -type f -exec cat {} + | head -c 3000)"
echo "ok: nothing left on the hosts $(($(lab_now_ms) - t1)) ms after the client's end"
echo "PASS: $transport: -J jump target, 12 MiB byte-exact through a 3 s cut and a move, exit status 7"
