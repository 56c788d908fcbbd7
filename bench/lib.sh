# shellcheck shell=bash
# bench/lib.sh - sourced by the benchmarks (bench/*.sh, from the top of the
# tree), on tests/lab/lib.sh (lab_track, lab_stop_all, lab_wait_for, lab_fail...):
#
#   bench_init           lab_init bench: needs root (exit 1 without); $tmp and
#                        everything tracked cleaned up at exit; lab_fail on stderr
#   bench_labs           for the NAT-lab benchmarks (tests/lab/lib/riftnet.sh): each
#                        lab's files in a directory of $top (bench_lab_dir); at
#                        exit the lab of the moment goes too (riftnet_cleanup)
#   bench_lab_dir        a new directory in $top, as $tmp
#   bench_veth A B NET   namespaces A and B (lab_netns) joined by a veth: va NET.1
#                        in A, vb NET.2 in B; WireGuard keys a and b in $tmp
#                        ($tmp/a.key, a.pub, b.key, b.pub; riftgate genkey: $rg)
#   bench_wg_conf ME OTHER ADDR PEER-ADDR ENDPOINT
#                        a wg-quick file for riftgate wg up on stdout: ME's key,
#                        ADDR/24, port 51820, OTHER's key for PEER-ADDR/32 at ENDPOINT
#   bench_callgrind_total PROFILE
#                        the instructions a callgrind profile counted
#   bench_callgrind_top SHORT LONG PER TOP
#                        the TOP functions that cost most (self cost) in the LONG
#                        profile beyond the SHORT one, divided by PER (MiB), in M
# shellcheck source=tests/lab/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lab/lib.sh"

bench_init() {
	lab_init bench
}

bench_labs() {
	top=$tmp
}

# at exit (lab_cleanup): the NAT lab of the moment, and $top all through
lab_on_cleanup() {
	if declare -F riftnet_cleanup >/dev/null; then riftnet_cleanup; fi
	tmp=${top:-$tmp}
}

bench_lab_dir() {
	tmp=$(mktemp -d -p "$top")
}

# shellcheck disable=SC2154 # rg is the caller's
bench_veth() {
	local a=$1 b=$2 net=$3 s
	lab_netns "$a" "$b"
	ip link add va netns "$a" type veth peer name vb netns "$b" || lab_fail "veth"
	ip -n "$a" addr add "$net.1/24" dev va
	ip -n "$b" addr add "$net.2/24" dev vb
	ip -n "$a" link set va up
	ip -n "$b" link set vb up
	for s in a b; do
		"$rg" genkey >"$tmp/$s.key"
		"$rg" pubkey <"$tmp/$s.key" >"$tmp/$s.pub"
	done
}

bench_wg_conf() {
	printf '[Interface]\nPrivateKey = %s\nAddress = %s/24\nListenPort = 51820\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\nEndpoint = %s:51820\n' \
		"$(cat "$tmp/$1.key")" "$3" "$(cat "$tmp/$2.pub")" "$4" "$5"
}

bench_callgrind_total() {
	sed -n 's/^summary: *//p;s/^totals: *//p' "$1" | head -1 | cut -d' ' -f1
}

bench_callgrind_top() {
	local p
	for p in "$1" "$2"; do
		callgrind_annotate --auto=no --threshold=100 "$p" 2>/dev/null >"$p.txt"
	done
	python3 - "$1.txt" "$2.txt" "$3" "$4" <<'PY'
import re, sys
def funcs(path):
    d = {}
    for line in open(path):
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*)", line)
        if m and "PROGRAM TOTALS" not in m.group(2):
            name = re.sub(r" \[.*\]$", "", m.group(2)).split(":")[-1]
            lib = re.search(r"\[(.*)\]$", m.group(2))
            name += "  (" + (lib.group(1).split("/")[-1] if lib else "?") + ")"
            d[name] = d.get(name, 0) + int(m.group(1).replace(",", ""))
    return d
a, b = funcs(sys.argv[1]), funcs(sys.argv[2])
per = float(sys.argv[3])
rows = sorted(((b.get(k, 0) - a.get(k, 0)) / per, k) for k in set(a) | set(b))
for v, k in reversed(rows[-int(sys.argv[4]):]):
    print(f"{v / 1e6:8.2f} M  {k}")
PY
}
