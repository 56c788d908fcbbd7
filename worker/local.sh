#!/usr/bin/env bash
# local.sh WORKERD STATE-DIR ADDRESS:PORT: run the Worker in workerd with no
# Cloudflare account (what tests/conformance and tests/lab do). It writes
# STATE-DIR/config.capnp and keeps the Durable Objects' SQLite in
# STATE-DIR/do; then it execs workerd (stop it with SIGTERM, by PID).
# Environment: ADMIN_TOKEN (required, 16+ characters), NETWORK_NAME (default
# home), STUN ("host:port,..."), PUBLIC_URL.
set -eu
workerd=${1:?usage: local.sh WORKERD STATE-DIR ADDRESS:PORT}
state=$(realpath -m "${2:?}")
listen=${3:?}
src=$(cd "$(dirname "$0")/src" && pwd)
: "${ADMIN_TOKEN:?ADMIN_TOKEN is required}"
mkdir -p "$state/do" "$state/src"
# embed paths are relative to the configuration: a copy of the modules beside it
cp "$src"/*.js "$state/src/"
q() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
mods="(name = \"worker.js\", esModule = embed \"src/worker.js\"),"
for f in "$src"/*.js; do
	b=$(basename "$f")
	[ "$b" = worker.js ] || mods="$mods(name = \"$b\", esModule = embed \"src/$b\"),"
done
cat >"$state/config.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .mainWorker),
               (name = "do-disk", disk = (path = $(q "$state/do"), writable = true)) ],
  sockets = [ (name = "http", address = $(q "$listen"), http = (), service = "main") ],
);
const mainWorker :Workerd.Worker = (
  modules = [ ${mods%,} ],
  compatibilityDate = "2025-04-01",
  compatibilityFlags = ["nodejs_compat"],
  durableObjectNamespaces = [ (className = "Network", uniqueKey = "riftgate-network", enableSql = true) ],
  durableObjectStorage = (localDisk = "do-disk"),
  bindings = [ (name = "NETWORK", durableObjectNamespace = "Network"),
               (name = "ADMIN_TOKEN", text = $(q "$ADMIN_TOKEN")),
               (name = "NETWORK_NAME", text = $(q "${NETWORK_NAME:-home}")),
               (name = "STUN", text = $(q "${STUN:-}")),
               (name = "PUBLIC_URL", text = $(q "${PUBLIC_URL:-}")) ],
);
CAPNP
exec "$workerd" serve "$state/config.capnp" --experimental
