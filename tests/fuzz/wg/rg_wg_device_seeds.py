#!/usr/bin/env python3
"""Write the hand-made seeds of the rg_wg_device fuzz target.

Each seed is a script of the harness's operations (see rg_wg_device.c for
what each reads); the helpers below spell out their parameter bytes. Run
from anywhere: `tests/fuzz/wg/rg_wg_device_seeds.py` writes
tests/fuzz/corpus/rg_wg_device/seed-*. Inputs the fuzzer found sit beside
them (merged with -merge=1).
"""
import os
import struct

A, B, U = 0, 1, 2
ATTACKER = 0x80  # endpoint choice: an attacker's endpoint
MACS_AFTER, MACS_BEFORE, MACS_NONE = 0, 1, 2
TS_NOW, TS_LAST, TS_OLDER, TS_FUTURE, TS_ZERO = 0, 1, 2, 3, 4


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def damage(at=0, x=0):
    return bytes([at, x, 0 if x else 1])


def init(p, ep=0, ts=TS_NOW, seed=0, sender=0x100, forced=0, dmg=damage(), macs=MACS_AFTER):
    return bytes([0, p, ep, ts, seed]) + u32(sender) + bytes([forced]) + dmg + bytes([macs])


def resp(p, ep=0, seed=0, sender=0x200, forced=0, dmg=damage(), macs=MACS_AFTER):
    return bytes([1, p, ep, seed]) + u32(sender) + bytes([forced]) + dmg + bytes([macs])


def cookie(p, ep=0, seed=0, receiver=None, dmg=damage()):
    other = receiver is not None
    return bytes([2, p, ep, seed]) + u32(receiver or 0) + bytes([other]) + dmg


def data(p, ep=0, slot=0, cmode=0, shape=0, pad=0, extra=0, cparams=b"", header=b"",
         padextra=b"", receiver=b"", dmg=damage()):
    return (bytes([3, p, ep, slot, cmode, shape, pad]) + cparams + bytes([extra]) + header +
            padextra + receiver + dmg)


def time_ms(code):
    return bytes([4, code])


# indices into steps_ms[] in rg_wg_device.c
T1MS, T20MS, T500MS, T1S, T5S, T5_4S, T10S, T15S, T60S, T90S, T120S, T125S, T165S, T175S, \
    T180S, T540S = range(16)


def send(dest, extra=0):
    return bytes([5, dest, extra])


def replay(idx, ep=0):
    return bytes([6, idx, ep])


def raw(p, ep, typ, payload, index_choice=None):
    b = bytes([7, p, ep, typ, len(payload)]) + payload
    if typ > 0:
        b += bytes([index_choice or 0])
    return b


def admin(what, arg, p):
    return bytes([8, what, arg, p])


def drop(n):
    return bytes([9, n])


REMOVE_READD, KEEPALIVE, INITIATE, LOAD, MTU, ENDPOINT = range(6)

SEEDS = {
    "established": bytes([3]),
    "a-initiates": bytes([0]) + init(A) + data(A),
    "dut-initiates": bytes([0]) + send(0) + resp(A) + data(A) + send(0, 40),
    "b-psk-ipv6": bytes([0]) + send(1) + resp(B) + data(B, shape=2) + send(3) + data(B),
    "cookie-under-load": bytes([0]) + admin(LOAD, 0, A) + init(A) + init(A) + data(A),
    "cookie-to-dut": bytes([0]) + send(0) + cookie(A) + time_ms(T5_4S) + resp(A) + data(A),
    "cookie-forged": bytes([0]) + send(0) + cookie(A, dmg=damage(40, 1)) +
    cookie(A, receiver=0x1234) + cookie(U),
    "replay": bytes([1]) + data(A) + time_ms(T1S) + replay(0) + replay(0, ATTACKER) + replay(1) +
    init(A, ts=TS_LAST) + init(A, ts=TS_OLDER),
    "roaming": bytes([1]) + data(A, ep=1) + data(A, ep=ATTACKER | 2) + send(0) +
    data(A, ep=3),
    "rekey-after-time": bytes([0]) + send(0) + resp(A) + data(A) + time_ms(T125S) + send(0) +
    resp(A, seed=1) + data(A),
    "reject-after-time": bytes([1]) + time_ms(T175S) + data(A) + time_ms(T5S) + data(A),
    "last-minute-rekey": bytes([0]) + send(0) + resp(A) + time_ms(T165S) + data(A) +
    resp(A, seed=2) + data(A),
    "counters": bytes([1]) + data(A, cmode=3, cparams=u32(9000) + bytes([0])) +
    data(A, cmode=2, cparams=bytes([5])) + data(A, cmode=1) + data(A, cmode=4) +
    data(A, cmode=5) + data(A, cmode=6) + data(A, cmode=7, cparams=struct.pack("<Q", 1 << 62)),
    "shapes": bytes([3]) + data(B, shape=1) + data(B, shape=3) + data(B, shape=4) +
    data(A, shape=2) + data(B, shape=6) + data(A, shape=7, extra=9) +
    data(A, shape=5, header=bytes([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2])) +
    data(A, pad=1, extra=3) + data(A, pad=2, padextra=bytes([200])),
    "damaged-init": bytes([0]) + init(A, dmg=damage(5, 0x40)) + init(A, seed=1, dmg=damage(20, 1)) +
    init(A, seed=2, forced=1) + init(A, seed=3, forced=2) + init(A, seed=4, macs=MACS_NONE) +
    init(A, seed=5, macs=MACS_BEFORE, dmg=damage(140, 1)) +
    init(A, seed=6, macs=MACS_BEFORE, dmg=damage(60, 1)) + init(A, ts=TS_FUTURE),
    "damaged-resp": bytes([0]) + send(0) + resp(A, dmg=damage(9, 1)) + time_ms(T5_4S) +
    resp(A, forced=1) + time_ms(T5_4S) + resp(A, dmg=damage(30, 1)) + time_ms(T5_4S) +
    resp(A, dmg=damage(6, 0x80)) + data(A),
    "forged-data": bytes([1]) + data(A, slot=3) + data(A, slot=4, receiver=u32(77)) +
    data(A, dmg=damage(20, 4)) + data(A, dmg=damage(9, 1)) + data(U, receiver=u32(5)),
    "readd": bytes([3]) + admin(REMOVE_READD, 0, B) + data(B) + replay(0) + replay(1) + data(A),
    "unknown-peer": bytes([0]) + init(U) + init(U, ts=TS_ZERO) + resp(U),
    "raw-typed": bytes([1]) + raw(0, ATTACKER, 4, bytes(40), 0) + raw(0, 0, 3, b"", 2) +
    raw(0, 0, 2, b"", 2) + raw(1, 0, 1, b"") + raw(0, 0, 0, b"\x04\0\0\0" + bytes(28)),
    "timers": bytes([1]) + admin(KEEPALIVE, 1, A) + time_ms(T10S) + time_ms(T15S) +
    admin(INITIATE, 0, B) + time_ms(T90S) + time_ms(T120S) + send(0) + time_ms(T540S),
    "lossy": bytes([0]) + send(0) + drop(1) + time_ms(T5_4S) + resp(A) + drop(2) + data(A) +
    time_ms(T10S) + time_ms(T15S) + data(A),
    "admin": bytes([3]) + admin(MTU, 10, A) + send(0, 150) + admin(ENDPOINT, 2, A) + send(0) +
    admin(LOAD, 1, A) + init(B) + init(B, seed=1) + admin(LOAD, 3, A) + time_ms(T1S) + init(B),
    "no-route": bytes([3]) + send(2) + send(4) + send(3, 20),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "corpus", "rg_wg_device")
    os.makedirs(out, exist_ok=True)
    for name, seed in SEEDS.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(seed)


if __name__ == "__main__":
    main()
