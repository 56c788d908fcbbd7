// store.js - the network's accounts in the Durable Object's SQLite, the
// schema and rules of src/rift/server/store.c: one-time join tokens, devices
// (reclaimed by name, the lowest free host), token families and single-use
// refresh tokens (a replay revokes the family), signing keys (rotated,
// retired one JWT lifetime later). Every operation is one transaction.

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS network(id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL,
     subnet TEXT NOT NULL, turn_secret TEXT NOT NULL, relay_seq INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS signing_keys(kid TEXT PRIMARY KEY, secret BLOB NOT NULL,
     created_at INTEGER NOT NULL, retired_at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS join_tokens(hash TEXT PRIMARY KEY, created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL, used_at INTEGER, device_id TEXT)`,
  `CREATE TABLE IF NOT EXISTS devices(device_id TEXT PRIMARY KEY, name TEXT NOT NULL,
     host INTEGER NOT NULL, created_at INTEGER NOT NULL, last_seen_at INTEGER, revoked_at INTEGER)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS devices_live_name ON devices(name) WHERE revoked_at IS NULL`,
  `CREATE UNIQUE INDEX IF NOT EXISTS devices_live_host ON devices(host) WHERE revoked_at IS NULL`,
  `CREATE TABLE IF NOT EXISTS token_families(family_id TEXT PRIMARY KEY, device_id TEXT NOT NULL,
     created_at INTEGER NOT NULL, revoked_at INTEGER)`,
  `CREATE INDEX IF NOT EXISTS token_families_device ON token_families(device_id)`,
  `CREATE TABLE IF NOT EXISTS refresh_tokens(hash TEXT PRIMARY KEY, family_id TEXT NOT NULL,
     created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER,
     successor TEXT, sealed BLOB)`,
];

export class StoreError extends Error {
  constructor(kind) {
    super(kind);
    this.kind = kind; // "auth", "no-space", "not-found", "expired", "replay"
  }
}

// "10.0.0.0/24" -> [base (number), prefix length], or null
export function parseSubnet(s) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s || "");
  if (!m) return null;
  const o = m.slice(1, 5).map(Number), len = Number(m[5]);
  if (o.some((x) => x > 255) || len < 8 || len > 30) return null;
  const base = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  if ((base & ~mask) >>> 0 !== 0) return null;
  return [base, len];
}

export function hostAddress(subnet, host) {
  const [base, len] = parseSubnet(subnet);
  const a = (base + host) >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`;
}

export class Store {
  constructor(storage) {
    this.storage = storage;
    this.sql = storage.sql;
    for (const s of SCHEMA) this.sql.exec(s);
  }

  tx(fn) {
    return this.storage.transactionSync(fn);
  }

  one(q, ...args) {
    const rows = this.sql.exec(q, ...args).toArray();
    return rows.length > 0 ? rows[0] : null;
  }

  network() {
    return this.one("SELECT name, subnet, turn_secret FROM network WHERE id = 1");
  }

  init(name, subnet, turnSecret, now) {
    this.sql.exec("INSERT INTO network(id, name, subnet, turn_secret, created_at) VALUES (1, ?, ?, ?, ?)", name, subnet, turnSecret, now);
  }

  joinAdd(hash, now, expires) {
    this.sql.exec("INSERT INTO join_tokens(hash, created_at, expires_at) VALUES (?, ?, ?)", hash, now, expires);
  }

  // The next virtual relay host number (1..65534, then around again).
  relayNext() {
    return this.tx(() => {
      const r = this.one("SELECT relay_seq FROM network WHERE id = 1");
      const n = (r.relay_seq % 65534) + 1;
      this.sql.exec("UPDATE network SET relay_seq = ? WHERE id = 1", n);
      return n;
    });
  }

  keys() {
    return this.sql.exec("SELECT kid, secret, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, rowid DESC").toArray();
  }

  keyAdd(kid, secret, now) {
    this.tx(() => {
      this.sql.exec("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL", now + 3600);
      this.sql.exec("INSERT INTO signing_keys(kid, secret, created_at) VALUES (?, ?, ?)", kid, secret, now);
    });
  }

  device(id) {
    return this.one("SELECT device_id, name, host, created_at, last_seen_at, revoked_at FROM devices WHERE device_id = ?", id);
  }

  devices() {
    return this.sql.exec("SELECT device_id, name, host, created_at, last_seen_at, revoked_at FROM devices ORDER BY created_at, rowid").toArray();
  }

  // {device, reclaimed} or a thrown StoreError("auth" | "no-space")
  register(r) {
    return this.tx(() => {
      const net = this.network();
      const used = this.sql.exec(
        "UPDATE join_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?",
        r.now, r.joinHash, r.now,
      ).rowsWritten;
      if (used !== 1) throw new StoreError("auth");
      const old = this.one("SELECT device_id FROM devices WHERE name = ? AND revoked_at IS NULL", r.name);
      let id, reclaimed = false;
      if (old) {
        id = old.device_id;
        reclaimed = true;
        this.sql.exec("UPDATE token_families SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL", r.now, id);
      } else {
        const [, len] = parseSubnet(net.subnet);
        const last = 2 ** (32 - len) - 2;
        let want = 1;
        for (const row of this.sql.exec("SELECT host FROM devices WHERE revoked_at IS NULL ORDER BY host").toArray()) {
          if (row.host > want) break;
          want = row.host + 1;
        }
        if (want > last) throw new StoreError("no-space");
        id = r.newId;
        this.sql.exec("INSERT INTO devices(device_id, name, host, created_at) VALUES (?, ?, ?, ?)", id, r.name, want, r.now);
      }
      this.sql.exec("UPDATE join_tokens SET device_id = ? WHERE hash = ?", id, r.joinHash);
      this.sql.exec("INSERT INTO token_families(family_id, device_id, created_at) VALUES (?, ?, ?)", r.family, id, r.now);
      this.sql.exec("INSERT INTO refresh_tokens(hash, family_id, created_at, expires_at) VALUES (?, ?, ?, ?)", r.refreshHash, r.family, r.now, r.refreshExpires);
      this.sql.exec("UPDATE devices SET last_seen_at = ? WHERE device_id = ?", r.now, id);
      return { device: this.device(id), reclaimed };
    });
  }

  // {family} of the rotated token; {family, sealed} for a repeat within the grace
  // window (the successor handed out before, sealed with the presented token);
  // or a thrown StoreError("not-found" | "auth" | "expired" | "replay").
  // r.sealed: the new token sealed with the presented one (kept for a repeat).
  refresh(r) {
    let replayed = null;
    const out = this.tx(() => {
      const d = this.device(r.deviceId);
      if (!d || d.revoked_at !== null) throw new StoreError("not-found");
      const t = this.one(
        `SELECT t.family_id, t.expires_at, t.used_at, f.revoked_at, f.device_id, t.sealed,
           n.used_at IS NULL AND n.hash IS NOT NULL AS next_unused
         FROM refresh_tokens t JOIN token_families f USING (family_id)
         LEFT JOIN refresh_tokens n ON n.hash = t.successor WHERE t.hash = ?`,
        r.oldHash,
      );
      if (!t || t.device_id !== r.deviceId || t.revoked_at !== null) throw new StoreError("auth");
      if (t.used_at !== null) {
        if (r.now < t.used_at + r.graceS && t.next_unused && t.sealed !== null) {
          // the answer was lost: the same successor once more (once: the seal goes)
          this.sql.exec("UPDATE refresh_tokens SET sealed = NULL WHERE hash = ?", r.oldHash);
          this.sql.exec("UPDATE devices SET last_seen_at = ? WHERE device_id = ?", r.now, r.deviceId);
          return { family: t.family_id, sealed: new Uint8Array(t.sealed) };
        }
        // a token used twice: one of the two users stole it; neither keeps the family
        this.sql.exec("UPDATE token_families SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL", r.now, t.family_id);
        replayed = t.family_id;
        return null;
      }
      if (t.expires_at <= r.now) throw new StoreError("expired");
      this.sql.exec("UPDATE refresh_tokens SET used_at = ?, successor = ?, sealed = ? WHERE hash = ?", r.now, r.newHash, r.sealed, r.oldHash);
      this.sql.exec("INSERT INTO refresh_tokens(hash, family_id, created_at, expires_at) VALUES (?, ?, ?, ?)", r.newHash, t.family_id, r.now, r.newExpires);
      this.sql.exec("UPDATE devices SET last_seen_at = ? WHERE device_id = ?", r.now, r.deviceId);
      return { family: t.family_id };
    });
    if (replayed !== null) throw new StoreError("replay");
    return out;
  }

  // "ok", "not-found" (device revoked or unknown) or "auth" (family revoked or not its)
  sessionLive(deviceId, family) {
    const r = this.one(
      "SELECT d.revoked_at AS d_rev, f.device_id AS f_dev, f.revoked_at AS f_rev FROM devices d LEFT JOIN token_families f ON f.family_id = ? WHERE d.device_id = ?",
      family, deviceId,
    );
    if (!r) return "not-found";
    if (r.d_rev !== null) return "not-found";
    if (r.f_dev === null || r.f_dev !== deviceId || r.f_rev !== null) return "auth";
    return "ok";
  }

  revoke(id, now) {
    return this.tx(() => {
      const n = this.sql.exec("UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL", now, id).rowsWritten;
      if (n !== 1) return false;
      this.sql.exec("UPDATE token_families SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL", now, id);
      return true;
    });
  }

  seen(id, now) {
    this.sql.exec("UPDATE devices SET last_seen_at = ? WHERE device_id = ?", now, id);
  }

  purge(now) {
    this.sql.exec("DELETE FROM join_tokens WHERE expires_at < ? OR used_at < ?", now - 86400, now - 86400);
    this.sql.exec("DELETE FROM refresh_tokens WHERE expires_at < ?", now - 86400);
    this.sql.exec("DELETE FROM signing_keys WHERE retired_at < ?", now - 86400);
    this.sql.exec("UPDATE refresh_tokens SET sealed = NULL WHERE sealed IS NOT NULL AND used_at < ?", now - 3600);
  }
}
