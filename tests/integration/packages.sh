#!/usr/bin/env bash
# packages.sh SOURCE-ROOT: `make deb`'s packages as a user meets them, as
# root: build them (scripts/deb), install both with apt-get, check what they
# put on the machine (the binaries and their versions, the unit, the man
# pages, the completions, the riftgate group), then purge them: nothing of
# theirs is left, the admin's configuration is. Exits 77 when not root.
set -u
src=$(realpath "${1:?usage: packages.sh SOURCE-ROOT}")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
tmp=$(mktemp -d)
fail() { echo "FAIL: $*"; tail -20 "$tmp/apt.log" 2>/dev/null; exit 1; }
purge() { apt-get purge -y -q riftgate goet >>"$tmp/apt.log" 2>&1; }
cleanup() {
	dpkg -s riftgate >/dev/null 2>&1 && purge
	dpkg -s goet >/dev/null 2>&1 && purge
	rm -f /etc/riftgate/riftgate.conf
	rmdir /etc/riftgate 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
if dpkg -s riftgate >/dev/null 2>&1 || dpkg -s goet >/dev/null 2>&1; then
	fail "riftgate or goet is already installed here: not touching it"
fi

"$src/scripts/deb" "$tmp/out" >"$tmp/debs" 2>&1 || { cat "$tmp/debs"; fail "scripts/deb"; }
rg_deb=$(grep '/riftgate_.*\.deb$' "$tmp/debs") goet_deb=$(grep '/goet_.*\.deb$' "$tmp/debs")
[ -f "$rg_deb" ] && [ -f "$goet_deb" ] || fail "no packages: $(cat "$tmp/debs")"
commit=$(git -C "$src" rev-parse --short HEAD)

DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$rg_deb" "$goet_deb" >"$tmp/apt.log" 2>&1 ||
	fail "apt-get install"
[ "$(/usr/bin/riftgate version)" = "riftgate 0.1.0 ($commit)" ] || fail "riftgate version: $(/usr/bin/riftgate version)"
/usr/bin/goet version | grep -q "0.1.0" || fail "goet version: $(/usr/bin/goet version)"
grep -q '^ExecStart=/usr/bin/riftgate up -c /etc/riftgate/riftgate.conf$' /usr/lib/systemd/system/riftgate.service ||
	fail "the unit's ExecStart"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify --man=no /usr/lib/systemd/system/riftgate.service >"$tmp/verify" 2>&1 ||
		fail "the unit does not verify: $(cat "$tmp/verify")"
fi
for m in /usr/share/man/man8/riftgate.8.gz /usr/share/man/man5/riftgate.conf.5.gz /usr/share/man/man1/goet.1.gz; do
	[ -f "$m" ] || fail "no $m"
done
zcat /usr/share/man/man8/riftgate.8.gz | grep -q '^.TH RIFTGATE 8' || fail "riftgate.8 is not riftgate(8)"
getent group riftgate >/dev/null || fail "no riftgate group"
[ -d /etc/riftgate ] || fail "no /etc/riftgate"
# the completions complete
out=$(bash -c '. /usr/share/bash-completion/bash_completion
	. /usr/share/bash-completion/completions/riftgate
	COMP_WORDS=(riftgate st); COMP_CWORD=1; COMP_LINE="riftgate st"; COMP_POINT=11
	_riftgate; echo "${COMPREPLY[*]}"')
[ "$out" = status ] || fail "riftgate st<TAB> gave '$out'"
bash -c '. /usr/share/bash-completion/bash_completion; . /usr/share/bash-completion/completions/goet;
	complete -p goet' >/dev/null || fail "no goet completion"

# purge: the packages' files go, the admin's configuration stays
echo "# the admin's" >/etc/riftgate/riftgate.conf
purge || fail "apt-get purge"
for f in /usr/bin/riftgate /usr/bin/goet /usr/lib/systemd/system/riftgate.service \
	/usr/share/man/man8/riftgate.8.gz /usr/share/bash-completion/completions/riftgate; do
	[ -e "$f" ] && fail "$f is left after purge"
done
[ -f /etc/riftgate/riftgate.conf ] || fail "purge removed the admin's configuration"
echo "PASS: built, installed, checked and purged riftgate and goet $commit"
