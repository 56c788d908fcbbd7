#!/usr/bin/env bash
# npm-peers.sh DIR: install the npm test peers (package-lock.json) into DIR,
# again whenever the lock file changed, and copy the peer scripts there.
# Exit 77 (skip) when node/npm are missing (scripts/install-deps installs
# them, and make check refuses the skip); exit 1 when npm cannot install the
# peers: a failure to set up is a failure. Used by rtc-interop.sh and
# bench/rtc-dc.sh.
set -u
mods=${1:?usage: npm-peers.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: no node/npm"; exit 77; }
if [ ! -e "$mods/.installed" ] || ! cmp -s "$here/package-lock.json" "$mods/package-lock.json"; then
	rm -f "$mods/.installed"
	mkdir -p "$mods" && cp "$here/package.json" "$here/package-lock.json" "$mods/" &&
		(cd "$mods" && npm ci --no-audit --no-fund >npm.log 2>&1) && touch "$mods/.installed" ||
		{ echo "FAIL: npm could not install the peers"; tail -5 "$mods/npm.log"; exit 1; }
fi
cp "$here/peer.mjs" "$here/browser.mjs" "$mods/"
