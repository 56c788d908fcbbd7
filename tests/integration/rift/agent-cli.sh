#!/usr/bin/env bash
# agent-cli.sh RIFTGATE UNIT: the agent's commands as a user meets them,
# without root: `riftgate up -d` / `down` drive systemctl (a stand-in on
# PATH records its arguments: systemd cannot run here), exit statuses and
# messages of `up` and `status` when something is wrong, every --help, and
# the installed systemd unit passes `systemd-analyze verify`.
set -u
rg=$(realpath "${1:?usage: agent-cli.sh RIFTGATE UNIT}")
unit=$(realpath "${2:?}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# run EXPECTED-STATUS CMD...: out/err in $tmp
run() {
	local want=$1 got
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" = "$want" ] || fail "$* exited $got, not $want: $(cat "$tmp/err")"
}
err_is() { [ "$(cat "$tmp/err")" = "$1" ] || fail "stderr was \"$(cat "$tmp/err")\", not \"$1\""; }

# systemctl, played: records its arguments, fails when told to
mkdir "$tmp/bin"
cat >"$tmp/bin/systemctl" <<'SH'
#!/bin/sh
echo "$@" >>"$SYSTEMCTL_LOG"
exit "${SYSTEMCTL_STATUS:-0}"
SH
chmod +x "$tmp/bin/systemctl"
export SYSTEMCTL_LOG=$tmp/systemctl.log
PATH=$tmp/bin:$PATH run 0 "$rg" up -d
PATH=$tmp/bin:$PATH run 0 "$rg" down
[ "$(cat "$SYSTEMCTL_LOG")" = "enable --now riftgate.service
disable --now riftgate.service" ] || fail "systemctl got: $(cat "$SYSTEMCTL_LOG")"
SYSTEMCTL_STATUS=5 PATH=$tmp/bin:$PATH run 1 "$rg" up -d
err_is "riftgate: systemctl enable --now riftgate.service failed"
run 1 "$rg" up -d -c /etc/other.conf
[ "$(head -1 "$tmp/err")" = "riftgate up: -c does not go with -d: the unit reads /etc/riftgate/riftgate.conf" ] ||
	fail "-c with -d: $(cat "$tmp/err")"
PATH=/nonexistent run 1 "$rg" down
grep -q "without systemd, run \`riftgate up\` in the foreground" "$tmp/err" || fail "no systemctl: $(cat "$tmp/err")"

# status without an agent
run 1 "$rg" status -s "$tmp/none.sock"
grep -q "^riftgate: is riftgate up running? cannot connect to $tmp/none.sock: " "$tmp/err" ||
	fail "status without an agent: $(cat "$tmp/err")"

# up with configurations that cannot work: the file and line, status 1, nothing echoed
run 1 "$rg" up -c "$tmp/missing.conf"
grep -q "^riftgate: $tmp/missing.conf: " "$tmp/err" || fail "missing file: $(cat "$tmp/err")"
printf '[device]\nname = a\naddress = 10.0.0.1\n[server]\nurl = https://h:1\n' >"$tmp/rg.conf"
run 1 "$rg" up -c "$tmp/rg.conf"
err_is "riftgate: $tmp/rg.conf:3: [device] address: expected an IPv4 address with the tunnel's prefix length like 10.0.0.2/24, got \"10.0.0.1\""
printf '[device]\nname = a\naddress = 10.0.0.1/24\n[server]\nurl = https://h:1\n' >"$tmp/rg.conf"
printf '[device]\nprivate-key = not-a-key-but-a-secret\ntoken = t\n' >"$tmp/secrets.conf"
chmod 644 "$tmp/secrets.conf"
run 1 "$rg" up -c "$tmp/rg.conf"
err_is "riftgate: $tmp/secrets.conf: mode 0644 lets others read or change the secrets (chmod 600 it)"
chmod 600 "$tmp/secrets.conf"
run 1 "$rg" up -c "$tmp/rg.conf"
err_is "riftgate: $tmp/secrets.conf:2: [device] private-key: not a WireGuard key (44 base64 characters, as riftgate genkey writes)"

# every command's help, exit 0 on stdout; a wrong argument, the usage on stderr and 1
for c in up down status; do
	run 0 "$rg" $c --help
	grep -q "^usage: riftgate $c" "$tmp/out" || fail "$c --help: $(cat "$tmp/out")"
	run 1 "$rg" $c --bogus
	grep -q "^usage: riftgate $c" "$tmp/err" || fail "$c --bogus: $(cat "$tmp/err")"
done

# the unit as installed
if command -v systemd-analyze >/dev/null; then
	sed "s|^ExecStart=[^ ]*|ExecStart=$rg|" "$unit" >"$tmp/riftgate.service"
	systemd-analyze verify --man=no "$tmp/riftgate.service" >"$tmp/verify" 2>&1 ||
		fail "the unit does not verify: $(cat "$tmp/verify")"
	[ ! -s "$tmp/verify" ] || fail "systemd-analyze says: $(cat "$tmp/verify")"
fi
echo "PASS"
