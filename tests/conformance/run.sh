#!/usr/bin/env bash
# run.sh TARGET RIFTGATE [DIR]: the conformance suite (tests/conformance/*.test.mjs,
# or DIR/*.test.mjs: tests/worker has the Worker's own) against one server: TARGET "server" (riftgate server,
# plain HTTP on loopback, devices in a fresh database) or "worker" (worker/ in
# workerd, its Durable Objects in a fresh directory). Every test file gets a
# fresh server of its own (the wrong-token guard counts per server).
# The suite reaches the server through:
#   RG_URL      http://127.0.0.1:PORT
#   RG_INVITE   a command printing one fresh join token per line (argument: how many)
#   RG_TARGET   server or worker (for messages only: the assertions are the same)
#   RG_SERVER_LOG  the server's output (tests/worker counts the Durable Object's wake-ups)
# npm packages (ws, workerd; package-lock.json) go into $BUILD_ROOT/conformance-node
# once. Exit 77 (skip) without node/npm or when npm cannot install them.
set -u
target=${1:?usage: run.sh server|worker RIFTGATE}
rg=$(realpath "${2:?}")
here=$(cd "$(dirname "$0")" && pwd)
tests=$(cd "${3:-$here}" && pwd)
mods=${BUILD_ROOT:-$here/../../build}/conformance-node
"$here/npm.sh" "$mods" || exit $?
tmp=$(mktemp -d)
pid=
stop() {
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
trap 'stop; rm -rf "$tmp"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # URL: until it answers (10 s)
	for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
	return 1
}
admin=conformance-admin-0123456789

# start N: a fresh server; sets RG_URL and RG_INVITE
start() {
	local d="$tmp/$1" port
	mkdir -p "$d"
	port=$(free_port)
	export RG_URL="http://127.0.0.1:$port"
	case $target in
	server)
		printf '[server]\nlisten = 127.0.0.1\nport = %s\n[store]\npath = %s/db\n' "$port" "$d" >"$d/conf"
		printf '[ice]\nturn = tcp:127.0.0.1:3478\nturn-secret = conformance-turn-secret\n' >>"$d/conf"
		"$rg" server init -c "$d/conf" --name conf --subnet 10.99.0.0/27 >"$d/init" 2>&1 ||
			{ cat "$d/init"; return 1; }
		"$rg" server -c "$d/conf" >"$d/log" 2>&1 &
		pid=$!
		printf '#!/bin/sh\nfor i in $(seq "${1:-1}"); do "%s" server invite -c "%s" | sed -n "s/^join token: //p"; done\n' \
			"$rg" "$d/conf" >"$d/invite"
		;;
	worker)
		ADMIN_TOKEN=$admin "$here/../../worker/local.sh" "$mods/node_modules/.bin/workerd" "$d/w" "127.0.0.1:$port" >"$d/log" 2>&1 &
		pid=$!
		wait_http "$RG_URL/status" || { cat "$d/log"; return 1; }
		curl -sf -X POST -H "Authorization: Bearer $admin" "$RG_URL/admin/init" \
			-d '{"name":"conf","subnet":"10.99.0.0/27"}' >"$d/init" || { cat "$d/init" "$d/log"; return 1; }
		cat >"$d/invite" <<-INVITE
		#!/bin/sh
		for i in \$(seq "\${1:-1}"); do
			curl -sf -X POST -H "Authorization: Bearer $admin" "$RG_URL/admin/invite" |
				python3 -c 'import json, sys; print(json.load(sys.stdin)["join_token"])'
		done
		INVITE
		;;
	*) echo "unknown target $target"; exit 2 ;;
	esac
	chmod +x "$d/invite"
	export RG_INVITE="$d/invite" RG_SERVER_LOG="$d/log"
	wait_http "$RG_URL/status" || { cat "$d/log"; return 1; }
}

export RG_TARGET=$target RG_SIG_DATA="$here/../data/sig"
rc=0
for f in "$tests"/*.test.mjs; do
	name=$(basename "$f" .test.mjs)
	start "$name" || { echo "FAIL: the $target does not start"; exit 1; }
	cp "$here"/lib.mjs "$f" "$mods/"
	(cd "$mods" && timeout 240 node --test --test-reporter=tap --test-timeout=180000 "$(basename "$f")") \
		>"$tmp/$name.tap" 2>&1
	r=$?
	grep -E "^(not ok|ok|# (pass|fail))" "$tmp/$name.tap" | sed "s/^/$name: /"
	if [ $r -ne 0 ]; then
		rc=1
		grep -B2 -A25 "^not ok\|^    not ok" "$tmp/$name.tap" | head -80
		echo "--- $target log"; tail -20 "$tmp/$name/log"
	fi
	stop
done
exit $rc
