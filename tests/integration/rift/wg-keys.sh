#!/usr/bin/env bash
# wg-keys.sh RIFTGATE: `riftgate genkey` / `riftgate pubkey` agree with
# wireguard-tools' `wg genkey` / `wg pubkey` byte for byte, both ways, and
# refuse what wg refuses. Exits 77 (skip) without wg.
set -u
rg=$(realpath "${1:?usage: wg-keys.sh path/to/riftgate}")
command -v wg >/dev/null || { echo "SKIP: no wg"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

for _ in $(seq 20); do
	k=$("$rg" genkey) || fail "genkey"
	[ "$("$rg" pubkey <<<"$k")" = "$(wg pubkey <<<"$k")" ] || fail "pubkey of our key $k"
	k=$(wg genkey)
	[ "$("$rg" pubkey <<<"$k")" = "$(wg pubkey <<<"$k")" ] || fail "pubkey of wg's key $k"
done
# an unclamped key: wg clamps before multiplying, so do we
k=$(head -c 32 /dev/urandom | base64)
[ "$("$rg" pubkey <<<"$k")" = "$(wg pubkey <<<"$k")" ] || fail "unclamped $k"
for bad in "" "abc" "$(head -c 31 /dev/urandom | base64)" "$(head -c 33 /dev/urandom | base64)"; do
	out=$("$rg" pubkey <<<"$bad" 2>&1) && fail "accepted \"$bad\""
	[ "$out" = "pubkey: Key is not the correct length or format" ] || fail "message: $out"
	wg pubkey <<<"$bad" >/dev/null 2>&1 && fail "wg accepted \"$bad\" (test is wrong)"
done
echo "PASS: 41 public keys equal to wg's; 4 bad keys refused with wg's message"
