#!/usr/bin/env bash
# goet-rift.sh RIFTGATE GOET quic|tcp: a goet session reached at a riftgate
# tunnel address, through two NAT routers, like any other host.
#
#  netns alice (client)                       netns bob (session)
#  goet --local ... 10.77.0.2                 goet session (UDP and TCP, one port)
#  rg-alice 10.77.0.1 ====== riftgate tunnel ====== rg-bob 10.77.0.2
#  eth0 10.1.0.2 (then .3)                    eth0 10.2.0.2
#    |                                          |
#  router A 10.1.0.1 / wan 198.51.100.2       router B 10.2.0.1 / wan 198.51.100.3
#             (then .5)       \                 /
#                              walice  br0  wbob     netns pub: riftgate server, coturn
#
# (tests/lab/lib/riftnet.sh draws the whole lab: cone NATs that drop unsolicited
# input, the server, coturn.) Both agents come up on a direct (hole-punched) path;
# bob runs `goet session`, alice `goet --local` to bob's tunnel address. The
# session's shell prints random base64 at about 1.6 MB/s (tests/lab/lib/
# goet-producer.py, which keeps a copy of what it printed) while, in turn:
#   cut       the bridge between the two routers drops everything between them
#             for 3 s (the server and coturn stay reachable), then passes again;
#   renumber  router A's ISP renumbers it: wan 198.51.100.2 -> .5, its
#             conntrack flushed (every NAT mapping of alice's is gone);
#   move      alice's own uplink address moves: eth0 10.1.0.2 -> 10.1.0.3 (the
#             agent's sockets on the old one are dead, the router maps anew).
# None of these changes goet's addresses (10.77.0.1 -> 10.77.0.2): riftgate must
# find a path again, and goet must carry on across the silence.
# Passes when the output between two markers is byte-exact (SHA-256 equal to the
# producer's copy), each event really bit (the cut stalled the output for its
# length; each address change stalled it and made an agent restart ICE), the
# output resumed within the bounds below, both goet processes exit 0, and both
# agents are still running and leave with status 0.
# Prints, per event, how long the output stalled and the time from the restore
# (cut) or the change (renumber, move) to the next output byte.
# Needs root, ip, nft, conntrack, turnserver, openssl, python3; exits 77 when not root.
set -u
rg=$(realpath "${1:?usage: goet-rift.sh RIFTGATE GOET quic|tcp}")
goet=$(realpath "${2:?usage: goet-rift.sh RIFTGATE GOET quic|tcp}")
transport=${3:-quic}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip nft turnserver conntrack openssl ss python3; do
	command -v $t >/dev/null || { echo "FAIL: no $t (scripts/install-deps installs it)"; exit 1; }
done
case $transport in quic | tcp) ;; *) echo "unknown transport $transport"; exit 2 ;; esac

CUT_S=3          # the cut's length
RESUME_CUT_S=20  # output again within this long after the restore (a restart may
                 # begin during the cut: liveness gives up after 2.5 s without answers)
RESUME_RENUMBER_S=30 # output again within this long after the router's renumbering
                 # (riftgate notices in 3 to 5 s: no answers, or ICE consent lost)
RESUME_MOVE_S=3  # ... after alice's address moved (the agent sees it at once: its
                 # restart's offer, sent into the dead signaling connection, must be
                 # said again when it joins again, not after the 5 s restart timeout)
id=$$ nat=cone names="alice bob" RN_PREFIX=gtr
tmp=$(mktemp -d)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/lib/riftnet.sh
. "$here/lib/riftnet.sh"
export XDG_RUNTIME_DIR="$tmp" # the session registers there, removed with it
slog=/tmp/goet-gtrift$id.log
cleanup() {
	riftnet_cleanup
	# RG_LOGS=DIR keeps every log
	[ -n "${RG_LOGS:-}" ] && mkdir -p "$RG_LOGS" &&
		cp "$tmp"/*.log "$tmp"/*.err "$slog" "$RG_LOGS"/ 2>/dev/null
	rm -rf "$tmp" "$slog"
}
trap cleanup EXIT
# lab_fail (../lib.sh): the reason, these, then the agents' logs' last lines
lab_on_fail() {
	echo "transport: $transport"
	echo "--- session log (last lines)"; tail -20 "$slog" "$tmp/session.err" 2>/dev/null
	echo "--- client stderr (last lines)"; tr '\r' '\n' <"$tmp/client.err" 2>/dev/null | tail -20
}
now_ms() { date +%s%3N; }
in_ns() { local n=$1; shift; ip netns exec "$(ns_of "$n")" "$@"; }

# --- riftgate: two agents behind their NATs, on a direct path
riftnet_up
riftnet_agents
riftnet_connected 30
lab_wait_for 10 reach alice "$(tunnel_ip bob)" || lab_fail "alice cannot ping bob through the tunnel"
for side in "alice bob" "bob alice"; do
	read -r -a pair <<<"$side"
	set -- "${pair[@]}"
	[ "$(peer_field "$1" "$2" path)" = direct ] || lab_fail "$1's path to $2 is $(peer_field "$1" "$2" path), not direct"
done
echo "the tunnel is up on a direct path"

# --- goet: a session in bob's namespace, a client in alice's, at bob's tunnel address
(
	umask 077
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/key"
	echo >>"$tmp/key"
)
(cd "$tmp" && exec ip netns exec "$(ns_of bob)" "$goet" session -f "gtrift$id" -p 0 \
	<"$tmp/key" >"$tmp/port" 2>"$tmp/session.err") &
spid=$!
lab_track "$spid"
lab_wait_for 10 test -s "$tmp/port" || lab_fail "the session did not report its port"
port=$(cat "$tmp/port")

cp "$here/lib/goet-producer.py" "$tmp/producer.py"
mkfifo "$tmp/in"
tflag=
[ "$transport" = tcp ] && tflag=--tcp
# not through in_ns: $! must be goet itself (ip netns exec execs it), to be stopped by PID
ip netns exec "$(ns_of alice)" "$goet" --local $tflag -p "$port" --key-file "$tmp/key" "$(tunnel_ip bob)" \
	<"$tmp/in" >"$tmp/client.out" 2>"$tmp/client.err" &
cpid=$!
lab_track "$cpid"
# quiet terminal, then the markers around the producer's output; it prints until
# $tmp/stop exists (or for 240 s at most)
{
	printf 'stty -echo -opost; cd %s\n' "$tmp"
	sleep 0.5
	printf 'echo ==$((1000+1))==; python3 producer.py sent.b64 stop 240; echo ==$((2000+2))==; exit\n'
} >"$tmp/in" &
lab_track $!
# the output's size every 50 ms, "ms bytes" a line, for the stalls and resumes
python3 - "$tmp/client.out" >"$tmp/samples" <<-'PY' &
	import os, sys, time
	while True:
	    try:
	        n = os.stat(sys.argv[1]).st_size
	    except OSError:
	        n = 0
	    print(int(time.time() * 1000), n, flush=True)
	    time.sleep(0.05)
PY
sampler=$!
lab_track "$sampler"

size() { stat -c %s "$tmp/client.out" 2>/dev/null || echo 0; }
alive() {
	kill -0 "$cpid" 2>/dev/null || lab_fail "the goet client exited early"
	kill -0 "${RN_PID[alice]}" 2>/dev/null && kill -0 "${RN_PID[bob]}" 2>/dev/null || lab_fail "an agent died"
}
wait_size() { # BYTES SECONDS: until the output holds BYTES
	local until=$((SECONDS + $2))
	while [ "$(size)" -lt "$1" ]; do
		[ $SECONDS -lt $until ] || lab_fail "output stalled at $(size) bytes (wanted $1 within $2 s)"
		alive
		sleep 0.05
	done
}
events=()
# event NAME REF-MS START-MS: a row for the report (stall from START, resume after REF)
event() { events+=("$1 $2 $3"); }
# ICE restarts so far, both agents
restarts() { cat "$tmp/alice.log" "$tmp/bob.log" | grep -c 'ICE restart [0-9]'; }
# more BYTES SECONDS: wait for BYTES more output than now (the stream flows again)
more() { wait_size $(($(size) + $1)) "$2"; }

wait_size $((2 << 20)) 60
echo "output flows: $(size) bytes"

# (a) the path between the NATs, cut for CUT_S s
ip netns exec "$PUB" nft -f - <<-NFT || lab_fail "nft in $PUB"
	table bridge cut {
		chain f {
			type filter hook forward priority filter; policy accept;
			iifname "walice" oifname "wbob" drop
			iifname "wbob" oifname "walice" drop
		}
	}
NFT
t_cut=$(now_ms)
sleep "$CUT_S"
ip netns exec "$PUB" nft delete table bridge cut || lab_fail "restoring the path"
t_restore=$(now_ms)
event cut "$t_restore" "$t_cut"
more $((1 << 20)) $((RESUME_CUT_S + 5))

# (b) router A renumbered by its ISP
sleep 1
ip -n "$(router_of alice)" addr del 198.51.100.2/24 dev wan &&
	ip -n "$(router_of alice)" addr add 198.51.100.5/24 dev wan || lab_fail "renumbering"
ip netns exec "$(router_of alice)" conntrack -F >/dev/null 2>&1
t=$(now_ms)
event renumber "$t" "$t"
r0=$(restarts)
more $((1 << 20)) $((RESUME_RENUMBER_S + 5))
[ "$(restarts)" -gt "$r0" ] || lab_fail "the renumbering made no agent restart ICE: it tested nothing"

# (c) alice's uplink address moved (the new one added first, then the old deleted,
# as a DHCP renewal to a new lease does; the default route stays)
sleep 1
in_ns alice sysctl -qw net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.eth0.promote_secondaries=1
ip -n "$(ns_of alice)" addr add "$(lan_of alice).3/24" dev eth0 &&
	ip -n "$(ns_of alice)" addr del "$(lan_of alice).2/24" dev eth0 || lab_fail "moving alice's address"
ip -n "$(ns_of alice)" route show default | grep -q . ||
	ip -n "$(ns_of alice)" route add default via "$(lan_of alice).1" || lab_fail "alice's default route"
t=$(now_ms)
event move "$t" "$t"
r0=$(restarts)
more $((1 << 20)) $((RESUME_MOVE_S + 5))
[ "$(restarts)" -gt "$r0" ] || lab_fail "the move made no agent restart ICE: it tested nothing"
sleep 1

# the end: the producer stops, the shell prints the end marker and exits
touch "$tmp/stop"
for _ in $(seq 300); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$cpid" 2>/dev/null && lab_fail "the client did not finish within 30 s of the end"
wait "$cpid"
rc=$?
[ "$rc" -eq 0 ] || lab_fail "the client exited with $rc"
for _ in $(seq 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$spid" 2>/dev/null && lab_fail "the session did not end within 10 s of the client"
wait "$spid"
rc=$?
[ "$rc" -eq 0 ] || lab_fail "the session exited with $rc"
lab_stop "$sampler"

start=$(grep -a -b -o '==1001==' "$tmp/client.out" | head -1 | cut -d: -f1)
end=$(grep -a -b -o '==2002==' "$tmp/client.out" | tail -1 | cut -d: -f1)
[ -n "$start" ] && [ -n "$end" ] || lab_fail "markers missing from the output"
got_sum=$(tail -c +$((start + 10)) "$tmp/client.out" | head -c $((end - start - 9)) | sha256sum | cut -d' ' -f1)
sent_sum=$(sha256sum <"$tmp/sent.b64" | cut -d' ' -f1)
echo "output: sent $sent_sum ($(stat -c %s "$tmp/sent.b64") bytes)"
echo "        got  $got_sum"
[ "$got_sum" = "$sent_sum" ] || lab_fail "the output differs"

# per event: the longest stretch without new output that ends after its START and
# begins before the next event's (or REF + 30 s); its length, and its end after REF
python3 - "$tmp/samples" "$CUT_S" "$RESUME_CUT_S" "$RESUME_RENUMBER_S" "$RESUME_MOVE_S" \
	"${events[@]}" >"$tmp/report" <<-'PY'
	import sys
	rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
	grow = [t for (t, n), (_, m) in zip(rows[1:], rows) if n > m]
	cut_s = int(sys.argv[2])
	bounds = dict(zip(("cut", "renumber", "move"), (int(a) * 1000 for a in sys.argv[3:6])))
	ok = True
	events = [e.split() for e in sys.argv[6:]]
	for i, (name, ref, start) in enumerate(events):
	    ref, start = int(ref), int(start)
	    # a stall of this event begins before the next event (which comes 1 s or
	    # more after the output flowed again) is near
	    until = int(events[i + 1][2]) - 500 if i + 1 < len(events) else ref + 30000
	    gaps = [(b - a, a, b) for a, b in zip(grow, grow[1:]) if b > start and a < until]
	    if not gaps:
	        print("%s: no output after it" % name); ok = False; continue
	    stall, a, b = max(gaps)
	    resume = b - ref
	    # a stall shorter than the cut means it did not cut; an address change shows
	    # a stall well above the 50 ms between samples (and ICE restarts, checked above)
	    least = cut_s * 1000 - 300 if name == "cut" else 200
	    bound = bounds[name]
	    verdict = "ok"
	    if stall < least:
	        verdict = "FAIL: stalled only %d ms" % stall; ok = False
	    elif resume > bound:
	        verdict = "FAIL: resumed after more than %d ms" % bound; ok = False
	    print("%-8s output stalled %6d ms, resumed %6d ms after the %s  %s" %
	          (name, stall, resume, "restore" if name == "cut" else "change", verdict))
	sys.exit(0 if ok else 1)
PY
report_rc=$?
cat "$tmp/report"
[ $report_rc -eq 0 ] || lab_fail "an event did not stall the output or it did not resume in time"
echo "goet: $(grep -c 'Connection lost. Reconnecting' "$tmp/client.err") new connection(s);" \
	"agents: $(grep -h -c 'ICE restart [0-9]' "$tmp/alice.log" "$tmp/bob.log" | awk "{ s += \$1 } END { print s }") ICE restart(s)"

# both agents still up, and they leave on SIGTERM with status 0 and no sanitizer report
for n in $names; do
	p=${RN_PID[$n]}
	kill -0 "$p" 2>/dev/null || lab_fail "agent $n died"
	kill "$p"
	wait "$p"
	rc=$?
	[ $rc -eq 0 ] || lab_fail "agent $n exited with $rc on SIGTERM"
	grep -q "Sanitizer\|runtime error:" "$tmp/$n.log" && lab_fail "agent $n: sanitizer report"
done
grep -q "Sanitizer\|runtime error:" "$tmp/session.err" "$tmp/client.err" && lab_fail "goet: sanitizer report"
echo "PASS ($transport): byte-exact through a ${CUT_S} s cut between the NATs, a renumbered router and a moved address"
