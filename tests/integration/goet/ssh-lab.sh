# shellcheck shell=bash
# ssh-lab.sh - sourced by the goet-ssh*.sh tests: a real OpenSSH server on a
# loopback port for a throw-away user, and an ssh_config alias for it.
#
#   sshlab_start        sshd (generated host key) on 127.0.0.1:$sshlab_port for user
#                    $sshlab_user (useradd, home in $tmp/home, a generated client
#                    key); GOET_SSH="ssh -F $tmp/ssh_config" with Host "goetlab"
#                    (HostName 127.0.0.1: only `ssh -G` knows where it is),
#                    "goetlab-badkey" (a key the server refuses),
#                    "goetlab-nosuch" (a name that does not resolve) and
#                    "goetlab-arm" (its key's PATH has a `uname` that says
#                    "Linux aarch64", or x86_64 on an aarch64 machine)
#   sshlab_cleanup      every process of the user (by PID), sshd (by PID), the
#                    user and its home, its files in /tmp, the tmux server
#   sshlab_scan_start   record every process's command line every 0.1 s, and
#                    every session key the user's registry holds
#   sshlab_scan_check   fail if any recorded key was on any command line
#   term CMD         run CMD (the client) in a fresh tmux terminal, 100x30; its
#                    exit status is printed after it ("client-exit=N")
#   screen, expect RE, keys K...   read the terminal, wait (15 s) for RE on
#                    it, type into it
#
# Needs root, /usr/sbin/sshd, ssh, ssh-keygen, useradd; exits 77 (skip)
# without them (make check refuses the skip). A useradd that fails, or an
# sshd that will not serve (on each of 5 fresh ports: another process may
# take the port between our choice and sshd's bind), fails the test.
# The caller sets tmp (a fresh directory) and defines fail().
sshlab_user=
sshlab_sshd=
sshlab_scan=
tmux_sock="${tmp:?the caller sets tmp}/tmux0.sock"
terms=0

sshlab_cleanup() {
	local pids
	[ -n "$sshlab_scan" ] && kill "$sshlab_scan" 2>/dev/null && wait "$sshlab_scan" 2>/dev/null
	[ -n "${tmux_sock:-}" ] && tmux -S "$tmux_sock" kill-server 2>/dev/null
	if [ -n "$sshlab_user" ] && id "$sshlab_user" >/dev/null 2>&1; then
		pids=$(ps -o pid= -u "$sshlab_user" 2>/dev/null | tr '\n' ' ')
		# shellcheck disable=SC2086
		[ -n "${pids// /}" ] && kill -KILL $pids 2>/dev/null
		sleep 0.2
		find /tmp -maxdepth 1 -user "$sshlab_user" -exec rm -rf {} + 2>/dev/null
		userdel -r "$sshlab_user" >/dev/null 2>&1 || userdel "$sshlab_user" 2>/dev/null
	fi
	[ -n "$sshlab_sshd" ] && kill "$sshlab_sshd" 2>/dev/null && wait "$sshlab_sshd" 2>/dev/null
	rm -rf "$tmp"
}

# A free TCP port on 127.0.0.1 (the kernel's choice).
sshlab_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

sshlab_start() {
	local uid
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (useradd, sshd)"; exit 77; }
	for t in /usr/sbin/sshd ssh ssh-keygen useradd userdel python3; do
		command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }
	done
	chmod 755 "$tmp" # the user's home is inside
	sshlab_user="goet$$"
	useradd -m -d "$tmp/home" -s /bin/sh "$sshlab_user" 2>"$tmp/useradd.err" ||
		{ sshlab_user=; fail "useradd: $(cat "$tmp/useradd.err")"; }
	usermod -p '*' "$sshlab_user" # no password, but not locked ("!"): sshd refuses locked users
	uid=$(id -u "$sshlab_user")
	sshlab_reg="/tmp/goet-$uid"

	ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey" || fail "ssh-keygen (host)"
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" || fail "ssh-keygen (client)"
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/badid" || fail "ssh-keygen (refused)"
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/armid" || fail "ssh-keygen (arm)"
	install -d -m 700 -o "$sshlab_user" "$tmp/home/.ssh"
	install -m 600 -o "$sshlab_user" "$tmp/id.pub" "$tmp/home/.ssh/authorized_keys"
	sshlab_other_arch=aarch64
	[ "$(uname -m)" = aarch64 ] && sshlab_other_arch=x86_64
	mkdir -m 755 "$tmp/armbin"
	printf '#!/bin/sh\necho "Linux %s"\n' "$sshlab_other_arch" >"$tmp/armbin/uname"
	chmod 755 "$tmp/armbin/uname"
	echo "environment=\"PATH=$tmp/armbin:/usr/local/bin:/usr/bin:/bin\" $(cat "$tmp/armid.pub")" \
		>>"$tmp/home/.ssh/authorized_keys"

	# sshd's privilege separation directory, which its service makes at boot;
	# left in place: another test's sshd may be using it
	[ -d /run/sshd ] || mkdir -m 755 /run/sshd
	local attempt
	for attempt in 1 2 3 4 5; do
		sshlab_sshd_start && return 0
		echo "sshd did not serve on port $sshlab_port (attempt $attempt): $(tail -n 3 "$tmp/sshd.log")"
	done
	fail "sshd did not serve on 5 ports"
}

# Start sshd on a fresh port and wait (10 s) until ssh gets through: 0, or 1
# when sshd exited (its port taken, say); any other failure fails the test.
sshlab_sshd_start() {
	sshlab_port=$(sshlab_free_port)
	cat >"$tmp/sshd_config" <<-CONF
		Port $sshlab_port
		ListenAddress 127.0.0.1
		HostKey $tmp/hostkey
		PidFile none
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PubkeyAuthentication yes
		StrictModes no
		AllowUsers $sshlab_user
		AuthorizedKeysFile .ssh/authorized_keys
		PermitUserEnvironment PATH
		LogLevel VERBOSE
	CONF
	/usr/sbin/sshd -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" &
	sshlab_sshd=$!
	echo "[127.0.0.1]:$sshlab_port $(cut -d' ' -f1,2 "$tmp/hostkey.pub")" >"$tmp/known_hosts"
	cat >"$tmp/ssh_config" <<-CONF
		Host goetlab goetlab-badkey goetlab-arm
		  HostName 127.0.0.1
		  Port $sshlab_port
		  User $sshlab_user
		  IdentitiesOnly yes
		  UserKnownHostsFile $tmp/known_hosts
		  GlobalKnownHostsFile /dev/null
		  StrictHostKeyChecking yes
		  ConnectTimeout 5
		  LogLevel ERROR
		Host goetlab
		  IdentityFile $tmp/id
		Host goetlab-badkey
		  IdentityFile $tmp/badid
		Host goetlab-arm
		  IdentityFile $tmp/armid
		Host goetlab-nosuch
		  HostName nosuch.invalid
		  ConnectTimeout 5
	CONF
	export GOET_SSH="ssh -F $tmp/ssh_config"
	local until=$((SECONDS + 10))
	until ssh -F "$tmp/ssh_config" -o BatchMode=yes goetlab true 2>"$tmp/ssh-probe.err"; do
		if ! kill -0 "$sshlab_sshd" 2>/dev/null; then
			wait "$sshlab_sshd" 2>/dev/null
			sshlab_sshd=
			return 1
		fi
		[ $SECONDS -lt $until ] || { cat "$tmp/ssh-probe.err" "$tmp/sshd.log"; fail "ssh to the lab"; }
		sleep 0.2
	done
}

# The scanner: every 50 ms, the keys in the user's registry and every
# process's command line; a key seen on a command line is written to
# $tmp/leaks at once. Bounded: it ends by itself after 300 s.
sshlab_scan_start() {
	python3 - "$sshlab_reg" "$tmp" <<-'PY' &
		import glob, os, sys, time
		reg, out = sys.argv[1], sys.argv[2]
		keys, lines, leaks = set(), set(), []
		end = time.monotonic() + 300
		while time.monotonic() < end and not os.path.exists(out + "/scan.stop"):
		    for f in glob.glob(reg + "/*.key"):
		        try:
		            keys.add(open(f).read().strip())
		        except OSError:
		            pass
		    for f in glob.glob("/proc/[0-9]*/cmdline"):
		        try:
		            line = open(f, "rb").read().replace(b"\0", b" ").decode(errors="replace")
		        except OSError:
		            continue
		        lines.add(line)
		    for k in keys:
		        leaks += [l for l in lines if k and k in l]
		    time.sleep(0.05)
		open(out + "/keys", "w").write("\n".join(sorted(keys)) + "\n")
		open(out + "/cmdlines", "w").write("\n".join(sorted(lines)) + "\n")
		open(out + "/leaks", "w").write("\n".join(leaks))
	PY
	sshlab_scan=$!
}

sshlab_scan_check() {
	touch "$tmp/scan.stop"
	wait "$sshlab_scan"
	sshlab_scan=
	[ -s "$tmp/keys" ] && grep -q . "$tmp/keys" || fail "the scan saw no session key in $sshlab_reg"
	[ ! -s "$tmp/leaks" ] || fail "a passkey was on a command line: $(head -c 300 "$tmp/leaks")"
	echo "cmdline scan: $(grep -c . "$tmp/keys") key(s), $(wc -l <"$tmp/cmdlines") distinct command lines, none had a key"
}

screen() { tmux -S "$tmux_sock" capture-pane -p -t t; }
expect() {
	local until=$((SECONDS + 15))
	until screen | grep -Eq -- "$1"; do
		[ $SECONDS -lt $until ] || fail "no /$1/ on the screen"
		sleep 0.1
	done
}
keys() { tmux -S "$tmux_sock" send-keys -t t "$@"; }
# Run the client in a fresh tmux window: its exit status is shown after it.
term() {
	# a new server on a new socket: the old one may take a while to go away
	tmux -S "$tmux_sock" kill-server 2>/dev/null
	terms=$((terms + 1))
	tmux_sock="$tmp/tmux$terms.sock"
	tmux -S "$tmux_sock" -f /dev/null new-session -d -s t -x 100 -y 30 \
		"GOET_SSH='$GOET_SSH' $1; echo client-exit=\$?; sleep 60" 2>"$tmp/tmux.log" ||
		fail "tmux: $(cat "$tmp/tmux.log")"
}
