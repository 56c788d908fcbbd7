#!/usr/bin/env python3
"""fwd-xfer.py: both ends of forwarded TCP connections for tests/lab/goet-fwd.sh.

  serve PORT FILE REPORT      accept connections on 127.0.0.1:PORT; to each send
                              FILE while reading everything it sends; append a line
                              "recv=<sha256> bytes=<n>" to REPORT per connection
  connect PORT FILE N REPORT  open N connections to 127.0.0.1:PORT at once; each
                              sends FILE and reads to the end; a line per connection
                              "recv=<sha256> bytes=<n>" (or "error=<text>") in REPORT

Each side sends and reads at once (a thread per direction) and half-closes
after sending, so a forwarder that stalls one direction behind the other
shows. Bounded: every socket times out after 120 s.
"""
import hashlib
import socket
import sys
import threading

TIMEOUT = 120
lock = threading.Lock()


def pump(sock, path, report):
    def send():
        try:
            with open(path, "rb") as f:
                while True:
                    b = f.read(65536)
                    if not b:
                        break
                    sock.sendall(b)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    t = threading.Thread(target=send)
    t.start()
    h, n, err = hashlib.sha256(), 0, None
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                break
            h.update(b)
            n += len(b)
    except OSError as e:
        err = e
    t.join()
    sock.close()
    line = f"error={err}" if err else f"recv={h.hexdigest()} bytes={n}"
    with lock:
        with open(report, "a") as f:
            f.write(line + "\n")


def serve(port, path, report):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(256)
    while True:
        s, _ = ls.accept()
        s.settimeout(TIMEOUT)
        threading.Thread(target=pump, args=(s, path, report), daemon=True).start()


def connect(port, path, n, report):
    def one():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        except OSError as e:
            with lock:
                with open(report, "a") as f:
                    f.write(f"error={e}\n")
            return
        pump(s, path, report)

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        connect(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
