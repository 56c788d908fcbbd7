// worker.js - riftgate's signaling, auth and TURN relay as a Cloudflare
// Worker: the same endpoints, JSON protocol, token model, validation and
// limits as `riftgate server` (docs/protocol/signaling.md, auth.md), proven
// by tests/conformance against both. One Durable Object per network
// (idFromName), SQLite-backed storage, the WebSocket Hibernation API (an idle
// network costs nothing), TURN over WebSocket on /turn (relay.js).
//
//   GET  /status                 {"connections":N,"version":"..."}
//   POST /auth/register          {"device_name","join_token"}
//   POST /auth/refresh           {"device_id","refresh_token"}
//   GET  /auth/devices           Bearer access token
//   DELETE /auth/devices/<id>    Bearer access token
//   GET  /connect                WebSocket, Bearer access token: signaling
//   GET  /turn                   WebSocket, Bearer access token: TURN
//   POST /admin/init             Bearer ADMIN_TOKEN {"name","subnet"}: the first join token
//   POST /admin/invite           Bearer ADMIN_TOKEN {"expires"}: another join token
//
// The admin endpoints are what `riftgate server init` and `invite` do on a
// self-hosted server's machine (they write its database): the owner of a
// Worker holds ADMIN_TOKEN (a secret: `wrangler secret put ADMIN_TOKEN`).
// The deployment serves one network, the DO named NETWORK (default "home").

import { Network } from "./network.js";

export { Network };

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/favicon.ico") return new Response("not found", { status: 404 });
    const id = env.NETWORK.idFromName(env.NETWORK_NAME || "home");
    return env.NETWORK.get(id).fetch(request);
  },
};
