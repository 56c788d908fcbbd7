#!/usr/bin/env python3
"""goet-vs-ssh.py: time one client program (ssh, goet, mosh) the way a user
meets it, in a real pseudo-terminal. Driven by bench/goet-vs-ssh.sh.

  goet-vs-ssh.py echo  N  -- CMD...   N keystrokes into CMD (its remote end runs
                                       `cat` on a terminal): ms from each key to
                                       its echo, one line of numbers
  goet-vs-ssh.py run       -- CMD...   ms from start to CMD's exit, with every
                                       byte it writes to the terminal read
                                       (set-up: `true`; bulk: seq, cat), then
                                       the bytes read and the MB/s from the
                                       first byte read to the last
Prints one line: the figures, or "error: ..." (exit 1).
"""
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time

LIMIT_S = 300


def spawn(cmd):
    """cmd on a new pty (100x30) as its controlling terminal; returns (proc, master fd)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))

    def setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, preexec_fn=setup,
                         close_fds=True)
    os.close(slave)
    return p, master


def read_some(fd, timeout):
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return b""
    try:
        return os.read(fd, 1 << 16)
    except OSError:  # EIO: the program closed the terminal
        return None


def wait_for(fd, want, limit, seen=b""):
    """Read until want appears (bytes); returns what was read, or None."""
    end = time.monotonic() + limit
    while want not in seen:
        if time.monotonic() > end:
            return None
        chunk = read_some(fd, 0.5)
        if chunk is None:
            return None
        seen += chunk
    return seen


def finish(p, fd):
    try:
        p.send_signal(signal.SIGTERM)
        p.wait(5)
    except Exception:
        p.kill()
        p.wait()
    os.close(fd)


def echo(n, cmd):
    p, fd = spawn(cmd)
    # ready: a line typed now comes back twice (the terminal's echo, then cat's)
    os.write(fd, b"ready-42\r")
    if wait_for(fd, b"ready-42\r\nready-42", 60) is None:
        finish(p, fd)
        return "error: no echo from the remote cat"
    times = []
    for i in range(n):
        time.sleep(0.25)  # an idle link between keystrokes
        while read_some(fd, 0):  # drain
            pass
        key = bytes([ord("a") + i % 26])
        t0 = time.monotonic()
        os.write(fd, key)
        seen = wait_for(fd, key, 30)
        if seen is None:
            finish(p, fd)
            return "error: keystroke %d never echoed" % i
        times.append((time.monotonic() - t0) * 1000)
    finish(p, fd)
    return " ".join("%.2f" % t for t in times)


def run(cmd):
    t0 = time.monotonic()
    p, fd = spawn(cmd)
    total = 0
    first = last = None
    end = t0 + LIMIT_S
    while True:
        chunk = read_some(fd, 1.0)
        if chunk:
            last = time.monotonic()
            first = first or last
            total += len(chunk)
        elif chunk is None or p.poll() is not None:
            # the program exited: take what is left on the terminal
            while True:
                rest = read_some(fd, 0.05)
                if not rest:
                    break
                last = time.monotonic()
                first = first or last
                total += len(rest)
            break
        if time.monotonic() > end:
            finish(p, fd)
            return "error: still running after %d s" % LIMIT_S
    rc = p.wait()
    ms = (time.monotonic() - t0) * 1000
    os.close(fd)
    if rc != 0:
        return "error: exit status %d after %.0f ms (%d bytes)" % (rc, ms, total)
    rate = total / (last - first) / 1e6 if first and last > first else 0.0
    return "%.1f %d %.2f" % (ms, total, rate)


def main():
    args = sys.argv[1:]
    if "--" not in args:
        print(__doc__, file=sys.stderr)
        return 2
    cut = args.index("--")
    mode, opts, cmd = args[0], args[1:cut], args[cut + 1:]
    out = echo(int(opts[0]), cmd) if mode == "echo" else run(cmd)
    print(out)
    return 1 if out.startswith("error") else 0


if __name__ == "__main__":
    sys.exit(main())
