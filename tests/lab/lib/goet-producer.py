#!/usr/bin/env python3
# goet-producer.py COPY STOP MAX-SECONDS: random base64 lines on standard
# output, about 1.6 MB/s (16 KiB every 10 ms), each chunk also appended to COPY,
# until the file STOP exists or MAX-SECONDS have passed. Used by goet-rift.sh as
# the session's output: a stream long enough to span the lab's events, whose
# SHA-256 the test compares with what the client received.
import base64, os, sys, time

copy, stop, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.monotonic() + limit
out = sys.stdout.buffer
with open(copy, "wb") as f:
    while not os.path.exists(stop) and time.monotonic() < end:
        raw = base64.encodebytes(os.urandom(12 * 1024))  # 76-character lines
        f.write(raw)
        out.write(raw)
        out.flush()
        time.sleep(0.01)
