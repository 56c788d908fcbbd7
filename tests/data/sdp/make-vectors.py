#!/usr/bin/env python3
"""Writes tests/data/sdp/{valid,invalid}/ and invalid.tsv (run from anywhere).

The valid files written here imitate what each stack sends (attribute order,
line ends, session- versus media-level placement); node-datachannel-*.sdp and
werift-*.sdp in valid/ are real captures (see README.md) and are not written
here. The invalid ones are a good SDP with one thing broken. tests/unit/rtc/test_sdp.c checks exact values.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FP = "5F:E0:1C:6B:93:AA:04:D2:7E:18:C3:B9:40:FF:62:8D:11:2A:5C:E7:90:3B:D4:66:0F:A1:B8:27:CE:45:73:9E"
FP2 = "A0:B1:C2:D3:E4:F5:06:17:28:39:4A:5B:6C:7D:8E:9F:A0:B1:C2:D3:E4:F5:06:17:28:39:4A:5B:6C:7D:8E:9F"


def sdp(lines, end="\r\n"):
    return "".join(l + end for l in lines)


CHROMIUM_OFFER = [
    "v=0",
    "o=- 4215775240449105457 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:Hx5N",
    "a=ice-pwd:hGvP6AKqkd7YMTxrt2yqvZf3",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 " + FP,
    "a=setup:actpass",
    "a=mid:0",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
]

SESSION_LEVEL_ANSWER = [  # everything ICE/DTLS before m=, "ice2,trickle" as libdatachannel writes it
    "v=0",
    "o=rtc 2586130396 0 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=group:LS 0",
    "a=msid-semantic:WMS *",
    "a=setup:active",
    "a=ice-ufrag:Lb7F",
    "a=ice-pwd:kqzPqRpK0rxqLvhfxtbYhO",
    "a=ice-options:ice2,trickle",
    "a=fingerprint:sha-256 " + FP2,
    "m=application 56144 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 192.168.1.20",
    "a=mid:0",
    "a=sendrecv",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
    "a=candidate:1 1 UDP 2122317823 192.168.1.20 56144 typ host",
    "a=candidate:2 1 UDP 1686109951 203.0.113.7 56144 typ srflx raddr 0.0.0.0 rport 0",
    "a=end-of-candidates",
]

FIREFOX_OFFER = [
    "v=0",
    "o=mozilla...THIS_IS_SDPARTA-99.0 6931823154283402036 0 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=fingerprint:sha-256 " + FP,
    "a=group:BUNDLE 0",
    "a=ice-options:trickle",
    "a=msid-semantic:WMS *",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=candidate:0 1 UDP 2122252543 3f9d2b1c-5a6e-4c7d-9e8f-0a1b2c3d4e5f.local 49562 typ host",
    "a=candidate:2 1 UDP 2122187007 2001:db8::1f 53011 typ host",
    "a=candidate:4 1 TCP 2105524479 3f9d2b1c-5a6e-4c7d-9e8f-0a1b2c3d4e5f.local 9 typ host tcptype active",
    "a=sendrecv",
    "a=end-of-candidates",
    "a=ice-pwd:9b2a6f3e1d0c4b5a69788796a5b4c3d2",
    "a=ice-ufrag:1c4d6e8a",
    "a=mid:0",
    "a=setup:actpass",
    "a=sctp-port:5000",
    "a=max-message-size:1073741823",
]

CHROMIUM_AV_OFFER = [
    "v=0",
    "o=- 1733000000000000001 3 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1 2",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS stream0",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=candidate:3442447574 1 udp 2122260223 192.168.1.7 60001 typ host generation 0 network-id 1",
    "a=ice-ufrag:AUDo",
    "a=ice-pwd:audioaudioaudioaudioaudio",
    "a=ice-options:trickle",
    "a=fingerprint:sha-1 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14",
    "a=setup:passive",
    "a=mid:0",
    "a=sendrecv",
    "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:AUDo",
    "a=ice-pwd:audioaudioaudioaudioaudio",
    "a=fingerprint:sha-256 " + FP2,
    "a=setup:actpass",
    "a=mid:1",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 nack pli",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=candidate:3442447574 1 udp 2122260223 192.168.1.7 60003 typ host generation 0 network-id 1",
    "a=candidate:842163049 1 udp 1686052607 198.51.100.9 60003 typ srflx raddr 192.168.1.7 rport 60003 generation 0 network-id 1",
    "a=candidate:2043785446 1 tcp 1518280447 192.168.1.7 9 typ host tcptype active generation 0 network-id 1",
    "a=ice-ufrag:Dc7k",
    "a=ice-pwd:Ra8gSmI0N5tfHBvzKpW2Lq1x",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 " + FP,
    "a=setup:actpass",
    "a=mid:2",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
]

PION_ANSWER = [
    "v=0",
    "o=- 8429958165426381455 1732544111 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=msid-semantic:WMS*",
    "a=fingerprint:sha-256 " + FP2.lower(),
    "a=extmap-allow-mixed",
    "a=group:BUNDLE 0",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=setup:active",
    "a=mid:0",
    "a=sendrecv",
    "a=sctp-port:5000",
    "a=ice-ufrag:XsjpKSRYiOJTBsSr",
    "a=ice-pwd:uvyBUjRkYyxNxWFUiZQRLbyMlEgGNNWo",
    "a=candidate:2930439337 1 udp 2130706431 192.168.1.5 51234 typ host",
    "a=candidate:1335614478 1 udp 1694498815 198.51.100.3 51234 typ srflx raddr 0.0.0.0 rport 51234",
    "a=candidate:433216735 1 udp 16777215 192.0.2.10 3478 typ relay raddr 198.51.100.3 rport 51234",
    "a=end-of-candidates",
]

LEGACY_OFFER = [
    "v=0",
    "o=- 77 1 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "m=application 9 DTLS/SCTP 5001",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:Lg4c",
    "a=ice-pwd:legacylegacylegacylegac",
    "a=fingerprint:SHA-256 " + FP,
    "a=setup:passive",
    "a=mid:data",
    "a=sctpmap:5001 webrtc-datachannel 1024",
]

VALID = {
    "chromium-offer.sdp": sdp(CHROMIUM_OFFER),
    "session-level-answer.sdp": sdp(SESSION_LEVEL_ANSWER),
    "firefox-offer.sdp": sdp(FIREFOX_OFFER),
    "chromium-av-offer.sdp": sdp(CHROMIUM_AV_OFFER),
    "pion-answer.sdp": sdp(PION_ANSWER, "\n"),
    "legacy-dtls-sctp.sdp": sdp(LEGACY_OFFER),
}


def edit(lines, drop=(), replace=None, add=()):
    out = [l for l in lines if not any(l.startswith(d) for d in drop)]
    if replace:
        out = [replace.get(l.split(":")[0], l) if l.startswith("a=") else l for l in out]
    return out + list(add)


def cands(n):
    return ["a=candidate:%d 1 UDP %d 10.0.%d.%d 4000 typ host" % (i, 2122252543 - i, i // 200, i % 200 + 1)
            for i in range(n)]


C = CHROMIUM_OFFER
INVALID = [
    # name, code, reason, text
    ("no-application", "BAD_VALUE", "no m=application section",
     sdp([l if not l.startswith("m=") else "m=audio 9 UDP/TLS/RTP/SAVPF 111" for l in C])),
    ("application-port-zero", "BAD_VALUE", "no m=application section",
     sdp([l if not l.startswith("m=") else "m=application 0 UDP/DTLS/SCTP webrtc-datachannel" for l in C])),
    ("two-applications", "BAD_VALUE", "more than one m=application section",
     sdp(C + C[7:])),
    ("missing-fingerprint", "BAD_VALUE", "missing a=fingerprint", sdp(edit(C, drop=["a=fingerprint"]))),
    ("sha1-fingerprint", "BAD_VALUE", "fingerprint is not sha-256",
     sdp(edit(C, replace={"a=fingerprint": "a=fingerprint:sha-1 " + FP[:59]}))),
    ("fingerprint-bad-hex", "BAD_FORMAT", "bad fingerprint hex",
     sdp(edit(C, replace={"a=fingerprint": "a=fingerprint:sha-256 " + FP[:-2] + "ZZ"}))),
    ("fingerprint-short", "BAD_FORMAT", "bad fingerprint hex",
     sdp(edit(C, replace={"a=fingerprint": "a=fingerprint:sha-256 " + FP[:-3]}))),
    ("fingerprint-no-colons", "BAD_FORMAT", "bad fingerprint hex",
     sdp(edit(C, replace={"a=fingerprint": "a=fingerprint:sha-256 " + FP.replace(":", "") + "0" * 31}))),
    ("fingerprint-no-hash", "BAD_FORMAT", "bad a=fingerprint syntax",
     sdp(edit(C, replace={"a=fingerprint": "a=fingerprint:" + FP}))),
    ("missing-ice-ufrag", "BAD_VALUE", "missing a=ice-ufrag", sdp(edit(C, drop=["a=ice-ufrag"]))),
    ("missing-ice-pwd", "BAD_VALUE", "missing a=ice-pwd", sdp(edit(C, drop=["a=ice-pwd"]))),
    ("ufrag-short", "BAD_VALUE", "bad ice-ufrag length",
     sdp(edit(C, replace={"a=ice-ufrag": "a=ice-ufrag:Hx5"}))),
    ("ufrag-long", "BAD_VALUE", "bad ice-ufrag length",
     sdp(edit(C, replace={"a=ice-ufrag": "a=ice-ufrag:" + "u" * 257}))),
    ("ufrag-bad-char", "BAD_VALUE", "bad ice-ufrag character",
     sdp(edit(C, replace={"a=ice-ufrag": "a=ice-ufrag:Hx5N-"}))),
    ("pwd-short", "BAD_VALUE", "bad ice-pwd length",
     sdp(edit(C, replace={"a=ice-pwd": "a=ice-pwd:hGvP6AKqkd7YMTxrt2yqv"}))),
    ("pwd-bad-char", "BAD_VALUE", "bad ice-pwd character",
     sdp(edit(C, replace={"a=ice-pwd": "a=ice-pwd:hGvP6AKqkd7YMTxrt2yqvZf3 x"}))),
    ("bad-m-port", "BAD_VALUE", "bad m= port",
     sdp([l if not l.startswith("m=") else "m=application 70000 UDP/DTLS/SCTP webrtc-datachannel" for l in C])),
    ("bad-m-line", "BAD_FORMAT", "bad m= line",
     sdp([l if not l.startswith("m=") else "m=application 9" for l in C])),
    ("sctp-port-zero", "BAD_VALUE", "bad a=sctp-port", sdp(edit(C, replace={"a=sctp-port": "a=sctp-port:0"}))),
    ("sctp-port-large", "BAD_VALUE", "bad a=sctp-port",
     sdp(edit(C, replace={"a=sctp-port": "a=sctp-port:65536"}))),
    ("max-message-size-negative", "BAD_VALUE", "bad a=max-message-size",
     sdp(edit(C, replace={"a=max-message-size": "a=max-message-size:-1"}))),
    ("bad-setup", "BAD_VALUE", "bad a=setup", sdp(edit(C, replace={"a=setup": "a=setup:holdconn"}))),
    ("bad-mid", "BAD_VALUE", "bad a=mid", sdp(edit(C, replace={"a=mid": "a=mid:" + "m" * 33}))),
    ("too-many-candidates", "TOO_LARGE", "too many candidates", sdp(C + cands(65))),
    ("candidate-bad-type", "BAD_VALUE", "bad candidate type",
     sdp(C + ["a=candidate:1 1 UDP 2122252543 192.168.1.2 54321 typ hots"])),
    ("candidate-bad-port", "BAD_VALUE", "bad candidate port",
     sdp(C + ["a=candidate:1 1 UDP 2122252543 192.168.1.2 65536 typ host"])),
    ("candidate-bad-transport", "BAD_VALUE", "bad candidate transport",
     sdp(C + ["a=candidate:1 1 SCTP 2122252543 192.168.1.2 5432 typ host"])),
    ("candidate-bad-address", "BAD_VALUE", "bad candidate address",
     sdp(C + ["a=candidate:1 1 UDP 2122252543 192.168.1.2/24 5432 typ host"])),
    ("candidate-few-fields", "BAD_FORMAT", "candidate has too few fields",
     sdp(C + ["a=candidate:1 1 UDP 2122252543 192.168.1.2 5432 typ"])),
    ("candidate-no-typ", "BAD_FORMAT", "candidate lacks \"typ\"",
     sdp(C + ["a=candidate:1 1 UDP 2122252543 192.168.1.2 5432 type host"])),
    ("nul-byte", "BAD_FORMAT", "NUL byte in SDP", sdp(C).replace("s=-", "s=\0-")),
    ("huge", "TOO_LARGE", "SDP larger than 64 KiB",
     sdp(C + ["a=x-padding:" + "p" * 1000] * 66)),
    ("no-version", "BAD_FORMAT", "SDP must start with v=0", sdp(C[1:])),
    ("version-1", "BAD_VALUE", "unsupported version", sdp(["v=1"] + C[1:])),
    ("malformed-line", "BAD_FORMAT", "malformed line", sdp(C[:3] + ["hello world"] + C[3:])),
    ("missing-origin", "BAD_FORMAT", "missing o= line", sdp(C[:1] + C[2:])),
    ("bad-origin", "BAD_FORMAT", "bad o= line", sdp(C[:1] + ["o=- 42x 2 IN IP4 127.0.0.1"] + C[2:])),
    ("empty", "BAD_FORMAT", "empty SDP", "\r\n"),
]


def main():
    for name, text in VALID.items():
        with open(os.path.join(HERE, "valid", name), "wb") as f:
            f.write(text.encode())
    with open(os.path.join(HERE, "invalid.tsv"), "w") as tsv:
        tsv.write("# name<TAB>error code<TAB>text the rejection reason contains (invalid/<name>.sdp)\n")
        for name, code, reason, text in INVALID:
            with open(os.path.join(HERE, "invalid", name + ".sdp"), "wb") as f:
                f.write(text.encode())
            tsv.write("%s\t%s\t%s\n" % (name, code, reason))


main()
