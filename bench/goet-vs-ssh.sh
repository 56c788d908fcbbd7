#!/usr/bin/env bash
# goet-vs-ssh.sh [BUILD-DIR] [ROUNDS] [RTT_MS:LOSS_PCT ...]: goet against ssh
# and mosh, one run, side by side, as a user meets them: in a real terminal
# (bench/goet-vs-ssh.py drives a pseudo-terminal), through a real sshd.
#
#   netns $C (clients)   10.98.0.2 --veth-- 10.98.0.1   netns $S (sshd, sessions)
#   each side delays (and drops) what it receives with tests/lab/tools/netem on
#   NFQUEUE: RTT/2 per direction, LOSS per direction (this kernel has no netem)
#
# Per condition (default 0:0 50:0 200:0 50:1), medians of ROUNDS (default 3):
#   echo     ms from a keystroke to its echo (the remote end runs `cat` on a
#            terminal; 30 keys a round, 10 with GVS_QUICK=1, their median to
#            0.01 ms; mosh with --predict=never, its real echo)
#   set-up   ms until `ssh host true`, `goet host -- true`, `mosh host -- true` exit
#            (GVS_SETUP_N times a round, default 3, 1 with GVS_QUICK=1: one set-up
#            varies by +-15 ms at 200 ms RTT, against a goal of 1 RTT + 20 ms)
#   seq      `seq 1 N` to the terminal (-tt / -t), ms until the client exits
#   base64   `cat` of a base64 file to the terminal, ms until the client exits,
#            and its MB/s from the first byte on the terminal to the last (the
#            bulk rate without the set-up)
#   fwd      ms to move a file each way at once through one forwarded TCP
#            connection (`ssh -N -L`, `goet -L ... -- sleep`; the file's SHA-256
#            checked at the far end): 64 MiB at 0 ms, 16 at 50, 4 at 200 or loss
# goet runs over QUIC and over TCP (--tcp); goet-predict (goet --predict=always)
# and mosh-predict (mosh --predict=always) run the echo test only: the time
# from a keystroke to its appearance on the terminal, predicted or not. Needs root, sshd, iptables and the
# lab's netem tool (libnetfilter-queue-dev); mosh is skipped when absent.
# A benchmark, not a test: nothing asserts on the figures.
# GVS_CLIENTS="ssh goet" and GVS_TESTS="setup seq" (of echo setup seq base64 fwd)
# run only those; each round runs every client in turn. GVS_QUICK=1 (bench/all.sh
# with BENCH_QUICK=1): 10 keys, a quarter of the transfers at 0 ms and a half
# (fwd: a quarter) at 50 ms, and none at 200 ms or with loss (their cells read "-").
set -u
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
rounds=${2:-3}
shift 2 2>/dev/null
conds=("$@")
[ ${#conds[@]} -gt 0 ] || conds=(0:0 50:0 200:0 50:1)
goet=$(realpath "$build/src/goet/cli/goet")
netem=$(realpath "$build/tests/lab/tools/netem" 2>/dev/null)
drv=$(realpath bench/goet-vs-ssh.py)
xfer=$(realpath tests/lab/lib/fwd-xfer.py)
# shellcheck source=bench/lib.sh
. bench/lib.sh
# shellcheck source=tests/lab/lib/netem.sh
. tests/lab/lib/netem.sh
bench_init
[ -x "$goet" ] && [ -x "$netem" ] || lab_fail "build first (goet, tests/lab/tools/netem)"
lab_require /usr/sbin/sshd ssh ssh-keygen useradd iptables python3
have_mosh=0
command -v mosh >/dev/null && command -v mosh-server >/dev/null && have_mosh=1
export LANG=C.UTF-8 LC_ALL=C.UTF-8 # mosh insists
quick=${GVS_QUICK:-0}
nkeys=30
nsetup=${GVS_SETUP_N:-3}
[ "$quick" = 1 ] && nkeys=10 && nsetup=1

C=gvs-c-$$
S=gvs-s-$$
user=
sink=
# the forward's sink and the throw-away user, first (tracked processes and
# namespaces go after them)
lab_on_cleanup() {
	local pids
	[ -n "$sink" ] && kill "$sink" 2>/dev/null
	[ -n "$user" ] && id "$user" >/dev/null 2>&1 || return 0
	pids=$(ps -o pid= -u "$user" | tr '\n' ' ')
	# shellcheck disable=SC2086
	[ -n "${pids// /}" ] && kill -KILL $pids 2>/dev/null
	sleep 0.2
	find /tmp -maxdepth 1 -user "$user" -exec rm -rf {} + 2>/dev/null
	userdel -r "$user" >/dev/null 2>&1 || userdel "$user" 2>/dev/null
}

# --- the two namespaces and their delay hooks
lab_netns "$C" "$S"
ip link add vc netns "$C" type veth peer name vs netns "$S" || lab_fail "veth"
ip -n "$C" addr add 10.98.0.2/24 dev vc
ip -n "$S" addr add 10.98.0.1/24 dev vs
ip -n "$C" link set vc up
ip -n "$S" link set vs up

# set_link RTT LOSS: delay (ms, round trip) and loss (percent, each direction), the
# lab's netem on what each side receives (tests/lab/lib/netem.sh)
nfd_pids=()
pids=() # netem_start's list; ours are nfd_pids, and tracked
set_link() {
	local half p
	half=$(awk -v r="$1" 'BEGIN { print r / 2 }')
	for p in "${nfd_pids[@]}"; do netem_stop "$p"; done
	nfd_pids=()
	netem_start "$C" vc 3 -d "$half" -l "$2" -s 1 -t 3600 || lab_fail "netem in $C"
	nfd_pids+=("$NETEM_PID")
	netem_start "$S" vs 3 -d "$half" -l "$2" -s 2 -t 3600 || lab_fail "netem in $S"
	nfd_pids+=("$NETEM_PID")
	lab_track "${nfd_pids[@]}"
}

# --- a throw-away user, its key, goet in ~/.local/bin, sshd in $S
chmod 755 "$tmp"
user="gvs$$"
useradd -m -d "$tmp/home" -s /bin/sh "$user" || exit 1
usermod -p '*' "$user"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id"
install -d -m 700 -o "$user" "$tmp/home/.ssh" "$tmp/home/.local" "$tmp/home/.local/bin"
install -m 600 -o "$user" "$tmp/id.pub" "$tmp/home/.ssh/authorized_keys"
install -m 755 -o "$user" "$goet" "$tmp/home/.local/bin/goet"
[ -d /run/sshd ] || mkdir -m 755 /run/sshd
cat >"$tmp/sshd_config" <<-CONF
	Port 22
	ListenAddress 10.98.0.1
	HostKey $tmp/hostkey
	PidFile none
	UsePAM no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	StrictModes no
	AllowUsers $user
	UseDNS no
CONF
ip netns exec "$S" /usr/sbin/sshd -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" &
lab_track $!
echo "10.98.0.1 $(cut -d' ' -f1,2 "$tmp/hostkey.pub")" >"$tmp/known_hosts"
cat >"$tmp/ssh_config" <<-CONF
	Host gvs
	  HostName 10.98.0.1
	  User $user
	  IdentityFile $tmp/id
	  IdentitiesOnly yes
	  UserKnownHostsFile $tmp/known_hosts
	  StrictHostKeyChecking yes
	  ControlMaster no
	  LogLevel ERROR
CONF
ssh_cmd="ssh -F $tmp/ssh_config"
export GOET_SSH="$ssh_cmd"
# shellcheck disable=SC2086 # ssh_cmd is a command line
lab_wait_for 10 ip netns exec "$C" $ssh_cmd -o BatchMode=yes gvs true || lab_fail "no ssh to sshd in $S"

# The clients, each a command line run in $C (word splitting on purpose).
declare -A client=(
	[ssh]="$ssh_cmd"
	[goet]="$goet"
	[goet-tcp]="$goet --tcp"
)
order=(ssh goet goet-tcp)
if [ $have_mosh -eq 1 ]; then
	client[mosh]="mosh --ssh=$ssh_cmd --predict=never"
	order+=(mosh)
fi
# with local echo predicted (the echo test only: the rest is the same program)
client[goet-predict]="$goet --predict=always"
order+=(goet-predict)
if [ $have_mosh -eq 1 ]; then
	client[mosh-predict]="mosh --ssh=$ssh_cmd --predict=always"
	order+=(mosh-predict)
fi
[ -n "${GVS_CLIENTS:-}" ] && read -r -a order <<<"$GVS_CLIENTS"
tests=" ${GVS_TESTS:-echo setup seq base64 fwd} "
ctests=$tests # this condition's
want() { [[ $ctests == *" $1 "* ]]; }
# on_tty NAME REMOTE [OPTION]: how client NAME runs REMOTE on a terminal
on_tty() {
	case $1 in
	ssh) echo "${client[ssh]} -tt gvs $2" ;;
	goet*) echo "${client[$1]} ${3:-} -t gvs -- $2" ;;
	mosh*) echo "mosh" ;; # needs its arguments apart (see drv_tty)
	esac
}

# run_drv MODE ARGS -- CMD...: the driver's line, in $C
run_drv() { ip netns exec "$C" python3 "$drv" "$@"; }
# drv_tty MODE ARG NAME REMOTE: a remote command on a terminal through client NAME
drv_tty() {
	local mode=$1 arg=$2 name=$3 remote=$4
	# shellcheck disable=SC2086 # arg is one option or none
	if [[ $name == mosh* ]]; then
		local predict=never
		[ "$name" = mosh-predict ] && predict=always
		run_drv "$mode" $arg -- mosh "--ssh=$ssh_cmd" --predict=$predict gvs -- sh -c "$remote"
	else
		# the echo row is the real echo: goet's default (adaptive) predicts
		# on slow links, and goet-predict is the row for that
		local opt=
		[ "$mode" = echo ] && [[ $name != *-predict ]] && opt=--predict=never
		# shellcheck disable=SC2046
		run_drv "$mode" $arg -- $(on_tty "$name" "$remote" $opt)
	fi
}
# the ms of the driver's "run" lines (errors kept as they are)
ms_of() { awk '/^error/ { print; next } { print $1 }'; }
# median FILE [DECIMALS]: the median of every number on the lines of FILE that
# are not errors, to DECIMALS (default 1) places ("-" when none)
median() {
	grep -v '^error' "$1" | tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -n |
		awk -v f="%.${2:-1}f" '{ a[NR] = $1 } END { if (NR) printf f, (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; else printf "-" }'
}

# seq count and base64 MiB by round trip: what finishes in seconds at that delay
# (quick: a quarter at 0 ms, a half at 50 ms)
sizes() {
	case $quick:$1 in
	0:0) echo "2000000 50" ;;
	1:0) echo "500000 12" ;;
	0:50) echo "200000 5" ;;
	1:50) echo "100000 2" ;;
	*) echo "50000 1" ;;
	esac
}

# MiB moved each way through a forwarded connection, by round trip
fwd_mib() {
	case $quick:$1 in
	0:0) echo 64 ;;
	1:0) echo 16 ;;
	0:50) echo 16 ;;
	*) echo 4 ;;
	esac
}

# fwd_once NAME: ms to move $tmp/fwd.bin each way through NAME's -L forward
# (127.0.0.1:7101 in $C to the echoing sink on 127.0.0.1:7001 in $S), or "error: ..."
fwd_once() {
	local name=$1 pid t0 t1 rc=0 got want
	case $name in
	ssh)
		# shellcheck disable=SC2086 # a command line
		ip netns exec "$C" $ssh_cmd -N -o ExitOnForwardFailure=yes -L 7101:127.0.0.1:7001 gvs \
			</dev/null >/dev/null 2>>"$tmp/fwd.log" &
		;;
	goet | goet-tcp)
		# shellcheck disable=SC2086 # a command line
		ip netns exec "$C" ${client[$name]} -L 7101:127.0.0.1:7001 gvs -- sleep 600 \
			</dev/null >/dev/null 2>>"$tmp/fwd.log" &
		;;
	*) return 0 ;;
	esac
	pid=$!
	lab_wait_for 15 sh -c "ip netns exec $C ss -Hlnt 'sport = :7101' | grep -q ."
	rm -f "$tmp/fwd.rep"
	t0=$(date +%s%N)
	ip netns exec "$C" python3 "$xfer" connect 7101 "$tmp/fwd.bin" 1 "$tmp/fwd.rep" || rc=1
	t1=$(date +%s%N)
	lab_stop "$pid" # TERM, then KILL: ssh -N once outlived a TERM
	wait "$pid" 2>/dev/null
	want="recv=$(sha256sum <"$tmp/fwd.bin" | cut -d' ' -f1) bytes=$(stat -c %s "$tmp/fwd.bin")"
	got=$(cat "$tmp/fwd.rep" 2>/dev/null)
	if [ $rc -ne 0 ] || [ "$got" != "$want" ]; then
		echo "error: $name forwarded: ${got:-nothing}"
		return 0
	fi
	echo $(((t1 - t0) / 1000000))
}

printf '# goet vs ssh%s, %s round(s), medians; %s\n' "$([ $have_mosh -eq 1 ] && echo ' and mosh')" "$rounds" "$(date -u +%Y-%m-%dT%H:%MZ)"
for cond in "${conds[@]}"; do
	rtt=${cond%%:*}
	loss=${cond##*:}
	set_link "$rtt" "$loss"
	read -r nseq mib < <(sizes "$rtt")
	[ "$loss" != 0 ] && read -r nseq mib < <(sizes 200)
	ctests=$tests
	# quick: at 200 ms or with loss, a transfer is mostly its set-up again (3 s each)
	if [ "$quick" = 1 ] && { [ "$rtt" -ge 200 ] || [ "$loss" != 0 ]; }; then
		ctests=${tests/ seq / }
		ctests=${ctests/ base64 / }
		ctests=${ctests/ fwd / }
	fi
	head -c $((mib * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76 >"$tmp/home/b64.txt"
	chown "$user" "$tmp/home/b64.txt"
	fmib=$(fwd_mib "$rtt")
	[ "$loss" != 0 ] && fmib=$(fwd_mib 200)
	sink=
	if want fwd; then
		head -c $((fmib * 1024 * 1024)) /dev/urandom >"$tmp/fwd.bin"
		ip netns exec "$S" python3 "$xfer" serve 7001 "$tmp/fwd.bin" /dev/null 2>>"$tmp/fwd.log" &
		sink=$!
	fi
	bulk="seq 1 $nseq; base64 $mib MiB; fwd $fmib MiB each way"
	[ "$ctests" = "$tests" ] || bulk="no seq, base64 or fwd (quick)"
	printf '\n## RTT %s ms, loss %s %%: echo %s keys x %s; set-up x %s; %s\n' "$rtt" "$loss" "$nkeys" \
		"$rounds" "$((nsetup * rounds))" "$bulk"
	printf '| client | echo ms | set-up ms | seq ms | base64 ms | base64 MB/s | fwd ms |\n|---|---|---|---|---|---|---|\n'
	rm -f "$tmp"/m.*
	# round by round, every client in turn: the machine's load drifts over a
	# run, and it then weighs on all of them alike
	for _ in $(seq "$rounds"); do
		for name in "${order[@]}"; do
			want echo && drv_tty echo "$nkeys" "$name" cat >>"$tmp/m.e.$name"
			[[ $name == *-predict ]] && continue
			want fwd && fwd_once "$name" >>"$tmp/m.f.$name"
			for _ in $(seq "$nsetup"); do
				if ! want setup; then
					:
				elif [ "$name" = mosh ]; then
					run_drv run -- mosh "--ssh=$ssh_cmd" gvs -- true | cut -d' ' -f1 >>"$tmp/m.s.$name"
				elif [ "$name" = ssh ]; then
					# shellcheck disable=SC2086 # command lines
					run_drv run -- $ssh_cmd gvs true | cut -d' ' -f1 >>"$tmp/m.s.$name"
				else
					# shellcheck disable=SC2086 # command lines
					run_drv run -- ${client[$name]} gvs -- true | cut -d' ' -f1 >>"$tmp/m.s.$name"
				fi
			done
			want seq && drv_tty run "" "$name" "seq 1 $nseq" | ms_of >>"$tmp/m.q.$name"
			if want base64; then
				out=$(drv_tty run "" "$name" "cat b64.txt")
				ms_of <<<"$out" >>"$tmp/m.b.$name"
				awk '!/^error/ { print $3 }' <<<"$out" >>"$tmp/m.r.$name"
			fi
		done
	done
	for name in "${order[@]}"; do
		for v in e s q b r f; do
			touch "$tmp/m.$v.$name"
			grep -h '^error' "$tmp/m.$v.$name" | sed "s/^/  ($name $v) /" >&2
		done
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(median "$tmp/m.e.$name" 2)" \
			"$(median "$tmp/m.s.$name")" "$(median "$tmp/m.q.$name")" "$(median "$tmp/m.b.$name")" \
			"$(median "$tmp/m.r.$name")" "$(median "$tmp/m.f.$name")"
	done
	if [ -n "$sink" ]; then
		kill "$sink" 2>/dev/null
		wait "$sink" 2>/dev/null || : # killed: 143, not this script's status
		sink=
	fi
done
