#!/usr/bin/env bash
# cli.sh RIFTGATE MANPAGE: riftgate's command line as a new user meets it.
# Runs the built program and asserts exact stdout, stderr and exit codes:
# usage and help (stdout, 0), unknown commands with "did you mean" (stderr,
# 1), every command's --help against its misuse text, and that each
# command's --help says what riftgate(8) says (synopsis and description in
# the same words, checked on the page rendered by groff). Needs no root and
# no network: the server tests only load configurations that must fail.
set -u
rg=$(realpath "${1:?usage: cli.sh path/to/riftgate path/to/riftgate.8}")
man=$(realpath "${2:?usage: cli.sh path/to/riftgate path/to/riftgate.8}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail() { echo "FAIL: $*"; exit 1; }

# expect RC STDOUT STDERR ARGS...: run riftgate ARGS (stdin empty, at most 10 s: a
# server that should have refused to start is killed, status 124), compare all three.
expect() {
	local rc=$1 out=$2 err=$3 got
	shift 3
	timeout -k 2 10 "$rg" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" = "$rc" ] || fail "riftgate $*: exit $got, expected $rc; stderr: $(cat "$tmp/err")"
	[ "$(cat "$tmp/out")" = "$out" ] || fail "riftgate $*: stdout:
$(cat "$tmp/out")
--- expected:
$out"
	[ "$(cat "$tmp/err")" = "$err" ] || fail "riftgate $*: stderr:
$(cat "$tmp/err")
--- expected:
$err"
	n=$((n + 1))
}

usage='usage: riftgate <command> [<args>]

commands:
  up       run the agent: tunnels from this device to the others
  down     stop and disable the agent as a systemd unit
  status   show the running agent: its peers and their paths
  setup    register this device with a join token, write its configuration
  devices  list the devices of the network, or revoke one
  refresh  check the credentials of this device with the server
  qr       show the server as a QR code to set up a new device
  server   run the signaling server
  wg       run or show a plain WireGuard interface (wg up, wg show)
  genkey   write a new private key to standard output
  pubkey   read a private key on standard input, write its public key
  version  print the version

'"'riftgate <command> --help' prints a command's usage; riftgate(8) has the rest."
wg_usage='usage: riftgate wg <command> [<args>]

commands:
  up    run a plain WireGuard interface from a wg-quick style file
  show  print interfaces as wg show does

'"'riftgate wg <command> --help' prints a command's usage; riftgate(8) has the rest."

# 1. the list of commands: stdout, status 0, however it is asked for
expect 0 "$usage" ""
for w in help --help -h; do
	expect 0 "$usage" "" "$w"
	expect 0 "$wg_usage" "" wg "$w"
done
expect 0 "$wg_usage" "" wg
expect 0 "$wg_usage" "" help wg

# 2. unknown commands: named, a suggestion when one is close, a hint; stderr, status 1
expect 1 "" "riftgate: 'sever' is not a riftgate command
did you mean 'server'?
see 'riftgate --help'" sever
expect 1 "" "riftgate: 'shwo' is not a riftgate wg command
did you mean 'show'?
see 'riftgate wg --help'" wg shwo
expect 1 "" "riftgate: 'genky' is not a riftgate command
did you mean 'genkey'?
see 'riftgate --help'" genky
expect 1 "" "riftgate: 'hlep' is not a riftgate command
did you mean 'help'?
see 'riftgate --help'" hlep
expect 1 "" "riftgate: 'ls' is not a riftgate command
see 'riftgate --help'" ls
expect 1 "" "riftgate: 'frobnicate' is not a riftgate command
see 'riftgate --help'" frobnicate
expect 1 "" "riftgate: 'upp' is not a riftgate wg command
did you mean 'up'?
see 'riftgate wg --help'" wg upp
expect 1 "" "riftgate: '--verbose' is not a riftgate command
see 'riftgate --help'" --verbose
expect 1 "" "riftgate: 'nope' is not a riftgate command
see 'riftgate --help'" help nope
expect 1 "" "riftgate: '\\x1b[2J' is not a riftgate command
see 'riftgate --help'" $'\e[2J'

# 3. every command: --help and -h on stdout with 0; a mistake named, then the same text on stderr, 1
# help_of WORDS...: the --help text of a command
help_of() { "$rg" "$@" --help 2>/dev/null; }
commands=("up" "down" "status" "setup" "devices" "refresh" "qr" "server" "server init" "server invite" "wg up" "wg show" "genkey" "pubkey" "version")
for c in "${commands[@]}"; do
	# shellcheck disable=SC2086 # "wg up" is two words
	h=$(help_of $c)
	[[ $h == "usage: riftgate $c"* ]] || fail "riftgate $c --help: $h"
	# shellcheck disable=SC2086
	{
		expect 0 "$h" "" $c --help
		expect 0 "$h" "" $c -h
		expect 0 "$h" "" help $c
		expect 1 "" "riftgate $c: unknown option '--bogus'
$h" $c --bogus
	}
done
h=$(help_of server)
expect 1 "" "riftgate server: missing -c <config>
$h" server
expect 1 "" "riftgate server: option '-c' needs a value
$h" server -c
expect 1 "" "riftgate server: unexpected argument 'x.conf'
$h" server x.conf
for c in init invite; do
	h=$(help_of server $c)
	expect 1 "" "riftgate server $c: missing -c <config>
$h" server $c
	expect 1 "" "riftgate server $c: --expires: expected a duration like 10m, 2h or 7d
$h" server $c -c x.conf --expires 10
done
h=$(help_of setup)
expect 1 "" "riftgate setup: missing --server <url>
$h" setup
expect 1 "" "riftgate setup: missing --token <token>
$h" setup --server https://h:1
expect 1 "" "riftgate setup: --server: not a join URL (riftgate://join?server=...&token=...)
$h" setup --server riftgate://join?token=x
expect 1 "" "riftgate setup: --server: expected https://host:port or a join URL
$h" setup --server h:1 --token t
expect 1 "" "riftgate setup: --fingerprint: expected a SHA-256 fingerprint like AB:CD:... (32 bytes)
$h" setup --server https://h:1 --token t --fingerprint AB:CD
expect 1 "" "riftgate setup: --name: a device name is 1 to 64 bytes of text, no '/', no space at either end
$h" setup --server https://h:1 --token t --name a/b
h=$(help_of devices)
expect 1 "" "riftgate devices: expected list or revoke, got 'remove'
$h" devices remove
expect 1 "" "riftgate devices: revoke needs a device's id or name
$h" devices revoke
expect 1 "" "riftgate devices: unexpected argument 'x'
$h" devices list x
h=$(help_of wg up)
expect 1 "" "riftgate wg up: missing <config>
$h" wg up
expect 1 "" "riftgate wg up: unexpected argument 'b.conf'
$h" wg up a.conf b.conf
expect 1 "" "riftgate wg up: option '--ifname' needs a value
$h" wg up a.conf --ifname
expect 1 "" "riftgate wg up: --workers takes a number from 0 to 64, not '65'
$h" wg up a.conf --workers 65
expect 1 "" "riftgate wg up: --workers takes a number from 0 to 64, not '\\x1b[2J'
$h" wg up a.conf --workers "$(printf '\033[2J')"
h=$(help_of wg show)
expect 1 "" "riftgate wg show: unexpected argument 'wg1'
$h" wg show wg0 wg1
for c in genkey pubkey version; do
	expect 1 "" "riftgate $c: unexpected argument 'x'
$(help_of $c)" $c x
done
# the version line is unchanged
"$rg" version | grep -qE '^riftgate [0-9]+\.[0-9]+\.[0-9]+ \([^)]+\)$' || fail "version: $("$rg" version)"
[ "$("$rg" --version)" = "$("$rg" version)" ] || fail "--version differs from version"

# 4. --help in riftgate(8)'s words: the synopsis line (without <>) and every
# paragraph, white space folded, appear on the rendered page
command -v groff >/dev/null || fail "groff is needed to render riftgate(8)"
fold() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }
groff -man -Tascii -P-cbu -rLL=300n -rHY=0 "$man" 2>/dev/null >"$tmp/man.raw"
fold <"$tmp/man.raw" >"$tmp/man.txt"
sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' "$tmp/man.raw" | sed 's/^ *//' >"$tmp/synopsis.txt"
grep -qx 'riftgate server -c config' "$tmp/synopsis.txt" || fail "groff rendered no synopsis"
for c in "${commands[@]}"; do
	# shellcheck disable=SC2086
	help_of $c >"$tmp/help"
	syn=$(head -n 1 "$tmp/help" | sed 's/^usage: //; s/[<>]//g')
	grep -qxF -- "$syn" "$tmp/synopsis.txt" ||
		fail "riftgate $c: synopsis '$syn' is not in riftgate(8)'s SYNOPSIS"
	# paragraphs: blank-line separated, after the usage line
	tail -n +3 "$tmp/help" | awk -v RS= '{ print > ("'"$tmp"'/para" NR) }'
	for p in "$tmp"/para*; do
		text=$(fold <"$p")
		grep -qF -- "$text" "$tmp/man.txt" ||
			fail "riftgate $c --help says what riftgate(8) does not: '$text'"
		rm -f "$p"
	done
	n=$((n + 1))
done

# 5. the server's configuration: every error names the file and the line; none starts a server
# conf NAME TEXT: write $tmp/NAME.conf
conf() { printf '%s' "$2" >"$tmp/$1.conf"; }
# a configuration with a static token has no registration to ask about
conf static "[device]
name = a
address = 10.0.0.1/24
[server]
url = https://h:1
"
expect 1 "" "riftgate: $tmp/static.conf: no [server] device-id: this device uses a static token, not a registration (riftgate setup)" \
	devices -c "$tmp/static.conf"
dev='[device.laptop]
network = home
token = laptop-0123456789abcdef
'
# a certificate without its key (or the reverse) used to serve plain HTTP
conf cert-only "[server]
port = 0
cert = $tmp/server.pem
$dev"
expect 1 "" "riftgate: $tmp/cert-only.conf:3: [server] cert is set without key: TLS needs both files" \
	server -c "$tmp/cert-only.conf"
conf key-only "[server]
port = 0
self-signed = false
key = $tmp/server.key
$dev"
expect 1 "" "riftgate: $tmp/key-only.conf:4: [server] key is set without cert: TLS needs both files" \
	server -c "$tmp/key-only.conf"
# listen was checked only when binding, without file or line
conf listen "[server]
port = 0
listen = 1.2.3
$dev"
expect 1 "" "riftgate: $tmp/listen.conf:3: [server] listen: expected an IPv4 or IPv6 address, got \"1.2.3\"" \
	server -c "$tmp/listen.conf"
conf listen-name "[server]
listen = localhost
$dev"
expect 1 "" "riftgate: $tmp/listen-name.conf:2: [server] listen: expected an IPv4 or IPv6 address, got \"localhost\"" \
	server -c "$tmp/listen-name.conf"
# a device without a network silently joined one called "default"
conf no-network "[server]
port = 0
[device.laptop]
token = laptop-0123456789abcdef
[device.phone]
network = home
token = phone-0123456789abcdef
"
expect 1 "" "riftgate: $tmp/no-network.conf:3: [device.laptop] network is required" \
	server -c "$tmp/no-network.conf"
conf empty-network "[server]
[device.laptop]
token = laptop-0123456789abcdef
network =
"
expect 1 "" "riftgate: $tmp/empty-network.conf:4: [device.laptop] network: expected a name, got \"\"" \
	server -c "$tmp/empty-network.conf"

# 6. riftgate wg up: configuration errors name file, line and key, and end there
# (no root needed: the file is read before any device is made)
conf wg-addr "[Interface]
PrivateKey = $("$rg" genkey)
Address = 10.0.0.1
"
expect 1 "" "riftgate: $tmp/wg-addr.conf:3: [Interface] Address: expected an address with a prefix length like 10.0.0.1/24, got \"10.0.0.1\"" \
	wg up "$tmp/wg-addr.conf"

# 7. no secret is printed, not even a malformed one: each case below holds a
# key or token with one thing wrong, and its stderr must hold no part of it
key=$("$rg" genkey)
bad=${key%?}!   # 43 good characters and a "!"
secret=${key:0:40}
# secret_case NAME STDERR TEXT ARGS...: write NAME.conf = TEXT, run ARGS, check
secret_case() {
	local name=$1 err=$2 text=$3
	shift 3
	printf '%b' "$text" >"$tmp/$name.conf"
	expect 1 "" "$err" "$@"
	! grep -qF -- "${secret:0:8}" "$tmp/err" || fail "$name: stderr shows the secret"
}
secret_case priv "riftgate: $tmp/priv.conf:2: [Interface] PrivateKey: not a base64 key of 44 characters (the value is secret: not shown)" \
	"[Interface]\nPrivateKey = $bad\n" wg up "$tmp/priv.conf"
secret_case psk "riftgate: $tmp/psk.conf:5: [Peer] PresharedKey: not a base64 key of 44 characters (the value is secret: not shown)" \
	"[Interface]\nPrivateKey = $("$rg" genkey)\n[Peer]\nPublicKey = $("$rg" pubkey <<<"$("$rg" genkey)")\nPresharedKey = $bad\n" \
	wg up "$tmp/psk.conf"
secret_case no-eq "riftgate: $tmp/no-eq.conf:2: not a key=value pair, group, or comment" \
	"[Interface]\nPrivateKey $key\n" wg up "$tmp/no-eq.conf"
secret_case utf8 "riftgate: $tmp/utf8.conf:2: [Interface] PrivateKey: the value is not valid UTF-8" \
	"[Interface]\nPrivateKey = ${key:0:20}\xff${key:21}\n" wg up "$tmp/utf8.conf"
secret="laptop-SECRET-0123456789"
secret_case token "riftgate: $tmp/token.conf:4: [device.laptop] token: the value is not valid UTF-8" \
	"[server]\n[device.laptop]\nnetwork = home\ntoken = $secret\xff\n" server -c "$tmp/token.conf"
secret_case token-eq "riftgate: $tmp/token-eq.conf:4: not a key=value pair, group, or comment" \
	"[server]\n[device.laptop]\nnetwork = home\ntoken: $secret\n" server -c "$tmp/token-eq.conf"
# the public key of a peer is not secret: quoted (escaped) to help find the typo
conf pub "[Interface]
PrivateKey = $key
[Peer]
PublicKey = abc
"
expect 1 "" "riftgate: $tmp/pub.conf:4: [Peer] PublicKey: expected a base64 key of 44 characters, got \"abc\"" \
	wg up "$tmp/pub.conf"

echo "PASS: $n checks"
