#!/usr/bin/env bash
# npm.sh DIR: install the suite's npm packages (package-lock.json: ws, workerd)
# into DIR once. Exit 77 (skip) without node/npm or when npm cannot install
# them. Used by run.sh, tests/lab/rift-agent.sh (worker modes) and bench/rift-relay.sh.
set -u
mods=${1:?usage: npm.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: no node/npm"; exit 77; }
[ -e "$mods/.installed" ] && exit 0
mkdir -p "$mods" && cp "$here/package.json" "$here/package-lock.json" "$mods/" &&
	(cd "$mods" && npm ci --no-audit --no-fund >npm.log 2>&1) && touch "$mods/.installed" ||
	{ echo "SKIP: npm could not install the conformance packages"; tail -5 "$mods/npm.log"; exit 77; }
