# ssh-lab.sh - sourced by the goet-ssh*.sh tests: a real OpenSSH server on a
# loopback port for a throw-away user, and an ssh_config alias for it.
#
#   lab_start        sshd (generated host key) on 127.0.0.1:$lab_port for user
#                    $lab_user (useradd, home in $tmp/home, a generated client
#                    key); GOET_SSH="ssh -F $tmp/ssh_config" with Host "goetlab"
#                    (HostName 127.0.0.1: only `ssh -G` knows where it is),
#                    "goetlab-badkey" (a key the server refuses),
#                    "goetlab-nosuch" (a name that does not resolve) and
#                    "goetlab-arm" (its key's PATH has a `uname` that says
#                    "Linux aarch64", or x86_64 on an aarch64 machine)
#   lab_cleanup      every process of the user (by PID), sshd (by PID), the
#                    user and its home, its files in /tmp, the tmux server
#   lab_scan_start   record every process's command line every 0.1 s, and
#                    every session key the user's registry holds
#   lab_scan_check   fail if any recorded key was on any command line
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
lab_user=
lab_sshd=
lab_scan=
tmux_sock="$tmp/tmux0.sock"
terms=0

lab_cleanup() {
	local pids
	[ -n "$lab_scan" ] && kill "$lab_scan" 2>/dev/null && wait "$lab_scan" 2>/dev/null
	[ -n "${tmux_sock:-}" ] && tmux -S "$tmux_sock" kill-server 2>/dev/null
	if [ -n "$lab_user" ] && id "$lab_user" >/dev/null 2>&1; then
		pids=$(ps -o pid= -u "$lab_user" 2>/dev/null | tr '\n' ' ')
		# shellcheck disable=SC2086
		[ -n "${pids// /}" ] && kill -KILL $pids 2>/dev/null
		sleep 0.2
		find /tmp -maxdepth 1 -user "$lab_user" -exec rm -rf {} + 2>/dev/null
		userdel -r "$lab_user" >/dev/null 2>&1 || userdel "$lab_user" 2>/dev/null
	fi
	[ -n "$lab_sshd" ] && kill "$lab_sshd" 2>/dev/null && wait "$lab_sshd" 2>/dev/null
	rm -rf "$tmp"
}

# A free TCP port on 127.0.0.1 (the kernel's choice).
lab_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

lab_start() {
	local uid
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (useradd, sshd)"; exit 77; }
	for t in /usr/sbin/sshd ssh ssh-keygen useradd userdel python3; do
		command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }
	done
	chmod 755 "$tmp" # the user's home is inside
	lab_user="goet$$"
	useradd -m -d "$tmp/home" -s /bin/sh "$lab_user" 2>"$tmp/useradd.err" ||
		{ lab_user=; fail "useradd: $(cat "$tmp/useradd.err")"; }
	usermod -p '*' "$lab_user" # no password, but not locked ("!"): sshd refuses locked users
	uid=$(id -u "$lab_user")
	lab_reg="/tmp/goet-$uid"

	ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey" || fail "ssh-keygen (host)"
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" || fail "ssh-keygen (client)"
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/badid" || fail "ssh-keygen (refused)"
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/armid" || fail "ssh-keygen (arm)"
	install -d -m 700 -o "$lab_user" "$tmp/home/.ssh"
	install -m 600 -o "$lab_user" "$tmp/id.pub" "$tmp/home/.ssh/authorized_keys"
	lab_other_arch=aarch64
	[ "$(uname -m)" = aarch64 ] && lab_other_arch=x86_64
	mkdir -p -m 755 "$tmp/armbin"
	printf '#!/bin/sh\necho "Linux %s"\n' "$lab_other_arch" >"$tmp/armbin/uname"
	chmod 755 "$tmp/armbin/uname"
	echo "environment=\"PATH=$tmp/armbin:/usr/local/bin:/usr/bin:/bin\" $(cat "$tmp/armid.pub")" \
		>>"$tmp/home/.ssh/authorized_keys"

	# sshd's privilege separation directory, which its service makes at boot;
	# left in place: another test's sshd may be using it
	[ -d /run/sshd ] || mkdir -p -m 755 /run/sshd
	local attempt
	for attempt in 1 2 3 4 5; do
		lab_sshd_start && return 0
		echo "sshd did not serve on port $lab_port (attempt $attempt): $(tail -n 3 "$tmp/sshd.log")"
	done
	fail "sshd did not serve on 5 ports"
}

# Start sshd on a fresh port and wait (10 s) until ssh gets through: 0, or 1
# when sshd exited (its port taken, say); any other failure fails the test.
lab_sshd_start() {
	lab_port=$(lab_free_port)
	cat >"$tmp/sshd_config" <<-CONF
		Port $lab_port
		ListenAddress 127.0.0.1
		HostKey $tmp/hostkey
		PidFile none
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PubkeyAuthentication yes
		StrictModes no
		AllowUsers $lab_user
		AuthorizedKeysFile .ssh/authorized_keys
		PermitUserEnvironment PATH
		LogLevel VERBOSE
	CONF
	/usr/sbin/sshd -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" &
	lab_sshd=$!
	echo "[127.0.0.1]:$lab_port $(cut -d' ' -f1,2 "$tmp/hostkey.pub")" >"$tmp/known_hosts"
	cat >"$tmp/ssh_config" <<-CONF
		Host goetlab goetlab-badkey goetlab-arm
		  HostName 127.0.0.1
		  Port $lab_port
		  User $lab_user
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
		if ! kill -0 "$lab_sshd" 2>/dev/null; then
			wait "$lab_sshd" 2>/dev/null
			lab_sshd=
			return 1
		fi
		[ $SECONDS -lt $until ] || { cat "$tmp/ssh-probe.err" "$tmp/sshd.log"; fail "ssh to the lab"; }
		sleep 0.2
	done
}

# The scanner: every 50 ms, the keys in the user's registry and every
# process's command line; a key seen on a command line is written to
# $tmp/leaks at once. Bounded: it ends by itself after 300 s.
lab_scan_start() {
	python3 - "$lab_reg" "$tmp" <<-'PY' &
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
	lab_scan=$!
}

lab_scan_check() {
	touch "$tmp/scan.stop"
	wait "$lab_scan"
	lab_scan=
	[ -s "$tmp/keys" ] && grep -q . "$tmp/keys" || fail "the scan saw no session key in $lab_reg"
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
