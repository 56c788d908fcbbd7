#!/usr/bin/env python3
"""report.py OUT [--md FILE] [--img DIR] [--readme FILE] [--tsv FILE]: the report of a
`make bench` run (bench/all.sh).

OUT holds `machine` (key: value lines) and raw/NAME.RUN.out, each bench
script's standard output as it printed it. Each is parsed into records
(section, row, metric, value; None when the script printed none: "n/a");
a figure is the median of its runs with min and max, and its ratio to the
section's peer is the median of the per-run ratios (peer measured in the
same run). Prints the tables; --md writes the document, --img the gnuplot
PNGs (the document links them as img/NAME.png relative to itself), --readme
replaces the summary between README's "<!-- bench:begin -->" and
"<!-- bench:end -->" lines, --tsv every figure parsed and computed, tab-separated.

Exit status 0, or 1 when OUT has no output at all. A script whose output
does not parse gives n/a cells, never an invented figure.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict


# --- the sections: rows in order (key, label), metrics (key, label, unit, better), the peer row
class Section:
    def __init__(self, key, title, script, rows, metrics, peer, note=""):
        self.key, self.title, self.script = key, title, script
        self.rows, self.metrics, self.peer, self.note = rows, metrics, peer, note


GNET = Section("gnet", "goet transport on loopback", "goet-net.sh", [
    ("quic", "goet QUIC"), ("tcp", "goet TCP+TLS"), ("bare", "bare TCP (iperf3, no TLS)"),
], [("mib_s", "MiB/s", "higher"), ("rss", "receiver peak RSS KiB", "lower")], "bare",
    "One direction, 64 KiB Data frames, two processes (tests/integration/goet/net-peer).")

GSESS = Section("gsess", "goet session end to end", "goet-session.sh", [
    ("quic", "goet (QUIC)"), ("tcp", "goet --tcp"),
], [("mib_s", "bulk MiB/s", "higher"), ("srss", "session RSS MiB", "lower"),
    ("crss", "client RSS MiB", "lower"), ("cut", "resumed after a 3 s cut ms", "lower"),
    ("move", "after an address move ms", "lower"), ("cut2", "after a second cut ms", "lower")],
    "tcp",
    "Bulk: a real `goet session` and `goet --local` on loopback, the shell cats base64. Resume "
    "(tests/lab/goet-cuts.sh, two namespaces): from the link's restore (or the client's move to "
    "a new address) to the first byte of resumed output. The peer is goet over TCP+TLS.")

VETH = Section("veth", "Tunnel over one veth", "wg-veth.sh", [
    ("bare", "bare veth (no tunnel)"),
    ("go-go", "wireguard-go (Debian) <-> itself"),
    ("up-up", "wireguard-go (upstream) <-> itself"),
    ("rg-rg", "riftgate wg up <-> itself"),
    ("rg-go", "riftgate wg up <-> wireguard-go (Debian)"),
    ("rg-up", "riftgate wg up -> wireguard-go (upstream)"),
    ("up-rg", "wireguard-go (upstream) -> riftgate wg up"),
], [("tcp", "TCP Mbit/s", "higher"), ("udp", "UDP Mbit/s delivered", "higher"),
    ("ping", "ping ms", "lower")], "go-go",
    "Since branch wg-speed, wg-veth.sh measures upstream wireguard-go and the pairs with it "
    "(up-up, rg-up, up-rg) instead of riftgate with Debian's (rg-go): a run of either version "
    "has n/a in the other's rows.")

NAT = Section("nat", "Tunnel through the NAT lab", "rift-tunnel.sh", [
    ("go-debian", "wireguard-go (Debian), port-forwarded UDP"),
    ("go-upstream", "wireguard-go (upstream), port-forwarded UDP"),
    ("rg-udp", "riftgate wg up, port-forwarded UDP"),
    ("agent-direct", "riftgate agent, direct (hole-punched)"),
    ("agent-channel", "riftgate agent, in the data channel"),
    ("agent-relayed", "riftgate agent, relayed (TURN)"),
], [("tcp", "TCP Mbit/s", "higher"), ("udp", "UDP Mbit/s delivered", "higher"),
    ("ping", "ping ms", "lower")], "go-debian")

NAT_EXTRA = Section("nat-extra", "Agent start and memory", "rift-tunnel.sh", [
    ("agent", "riftgate agent"),
], [("first_ping", "first ping after start ms", "lower"),
    ("rss1", "RSS 1 peer KiB", "lower"), ("rss10", "RSS 10 peers KiB", "lower")], None,
    "No peer program here: the first ping is from the second agent's start to its first reply "
    "through the tunnel (median of 5 inside each run).")

DC = Section("dc", "WebRTC data channels", "rtc-dc.sh", [
    ("rg->rg", "riftgate -> riftgate"),
    ("rg->ndc", "riftgate -> node-datachannel"),
    ("ndc->rg", "node-datachannel -> riftgate"),
    ("ndc->ndc", "node-datachannel -> node-datachannel"),
], [("rel", "reliable MB/s", "higher"), ("unrel", "unreliable MB/s", "higher"),
    ("setup", "set-up ms", "lower")], "ndc->ndc",
    "Set-up: each run's median of its fresh pairs. node-datachannel's own set-up often waits "
    "out a DTLS retransmission (1 s), which its median shows when that happens in most pairs.")

SIG = Section("sig", "Signaling server", "sig-server.sh", [
    ("1000", "1,000 clients"),
    ("10000", "10,000 clients"),
], [("join", "all joined s", "lower"), ("p50", "relay p50 ms", "lower"),
    ("p99", "relay p99 ms", "lower"), ("rss", "peak RSS MiB", "lower"),
    ("rss_per_1k", "RSS per 1,000 clients MiB", "lower")], "1000",
    "The peer is the same server with 1,000 clients (how each figure scales). RSS per 1,000 "
    "clients is the server's peak RSS divided by thousands of clients, for 10,000 beside "
    "`(RSS(10,000) - RSS(1,000)) / 9` in the text below.")

CONDS = [("0:0", "RTT 0 ms"), ("50:0", "RTT 50 ms"), ("200:0", "RTT 200 ms"),
         ("50:1", "RTT 50 ms, 1 % loss")]
TERM_ROWS = [("ssh", "ssh"), ("goet", "goet (QUIC)"), ("goet-tcp", "goet --tcp"),
             ("mosh", "mosh --predict=never")]
TERM_METRICS = [("echo", "echo ms", "lower"), ("setup", "set-up ms", "lower"),
                ("seq", "seq ms", "lower"), ("base64", "base64 ms", "lower"),
                ("b64rate", "base64 MB/s", "higher"), ("fwd", "fwd ms", "lower")]
PRED_ROWS = [("goet-predict", "goet --predict=always"), ("mosh-predict", "mosh --predict=always")]


def term_sections():
    return [Section("term " + c, "Terminal, " + label, "goet-vs-ssh.sh", TERM_ROWS, TERM_METRICS,
                    "ssh") for c, label in CONDS]


def pred_sections():
    return [Section("pred " + c, "Predicted echo, " + label, "goet-vs-ssh.sh", PRED_ROWS,
                    [("echo", "keystroke to screen ms", "lower")], "mosh-predict",
                    "From a keystroke to its appearance on the terminal with local echo "
                    "prediction on (both show it at once, before the remote echo).")
            for c, label in CONDS]


SECTIONS = [GNET, GSESS, VETH, NAT, NAT_EXTRA, DC] + term_sections() + pred_sections() + [SIG]


# --- parsers: the script's standard output -> [(section, row, metric, value or None)]
def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def parse_goet_net(text):
    """Lines "quic  256 MiB  46.0 MiB/s  receiver peak RSS N KiB", "bare  256 MiB  X MiB/s  (...)"."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^(quic|tcp|bare)\s+\d+ MiB\s+(\S+) MiB/s", line)
        if m:
            rss = re.search(r"receiver peak RSS (\S+) KiB", line)
            out += [("gnet", m.group(1), "mib_s", num(m.group(2))),
                    ("gnet", m.group(1), "rss", num(rss.group(1)) if rss else None)]
    return out


def parse_goet_session(text):
    """"bulk quic  46.0 MiB/s  (... peak RSS session 15.0 MiB, client 9.0 MiB)" and
    "resume quic: resumed after restore: N ms, after the move: N ms, after the second cut: N ms"."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^bulk (\S+)\s+(\S+) MiB/s", line)
        if m:
            r = re.search(r"session (\S+) MiB, client (\S+) MiB", line)
            out += [("gsess", m.group(1), "mib_s", num(m.group(2))),
                    ("gsess", m.group(1), "srss", num(r.group(1)) if r else None),
                    ("gsess", m.group(1), "crss", num(r.group(2)) if r else None)]
        m = re.match(r"^resume (\S+): resumed after restore: (\S+) ms, after the move: (\S+) ms, "
                     r"after the second cut: (\S+) ms", line)
        if m:
            out += [("gsess", m.group(1), k, num(m.group(i)))
                    for i, k in ((2, "cut"), (3, "move"), (4, "cut2"))]
    return out


def parse_wg_veth(text):
    """Lines "NAME TCP n Mbit/s   UDP n Mbit/s, n% lost   ping n ms   CPU ...", or (since
    branch wg-speed) the table "PAIR TCP x-up-up CPU calls UDP lost% ping  [TCP each round]"."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^(\S+)\s+(\S+)\s+\S+\s+\S+\s+\S+\s+(\S+)\s+\S+\s+(\S+)\s+\[", line)
        if m:
            out += [("veth", m.group(1), "tcp", num(m.group(2))),
                    ("veth", m.group(1), "udp", num(m.group(3))),
                    ("veth", m.group(1), "ping", num(m.group(4)))]
            continue
        m = re.match(r"^(\S+)\s+TCP\s+(\S+)\s+Mbit/s", line)
        if not m:
            continue
        row = m.group(1)
        udp = re.search(r"UDP\s+(\S+)\s+Mbit/s", line)
        ping = re.search(r"ping\s+(\S+)\s+ms", line)
        out += [("veth", row, "tcp", num(m.group(2))),
                ("veth", row, "udp", num(udp.group(1)) if udp else None),
                ("veth", row, "ping", num(ping.group(1)) if ping else None)]
    return out


def md_table(lines):
    """The first markdown table in lines: [{header: cell}]."""
    head, rows = None, []
    for line in lines:
        line = line.strip()
        if not line.startswith("|"):
            if head is not None and rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if head is None:
            head = cells
        elif not all(re.fullmatch(r":?-+:?", c) for c in cells):
            rows.append(dict(zip(head, cells)))
    return rows


def parse_rift_tunnel(text):
    out = []
    for r in md_table(text.splitlines()):
        row = r.get("path")
        out += [("nat", row, "tcp", num(r.get("TCP Mbit/s"))),
                ("nat", row, "udp", num(r.get("UDP Mbit/s delivered"))),
                ("nat", row, "ping", num(r.get("ping ms")))]
    m = re.search(r"first ping after the second agent starts: (\S+) ms", text)
    out.append(("nat-extra", "agent", "first_ping", num(m.group(1)) if m else None))
    m = re.search(r"agent RSS: (\S+) KiB with 1 peer, (\S+) KiB with 10 peers", text)
    out.append(("nat-extra", "agent", "rss1", num(m.group(1)) if m else None))
    out.append(("nat-extra", "agent", "rss10", num(m.group(2)) if m else None))
    return out


def parse_rtc_dc(text):
    """The table: "PAIR | msg/s MB/s x runs | offered msg/s MB/s deliv% x runs | med p90 min x"."""
    out = []
    for line in text.splitlines():
        parts = [p.split() for p in line.split("|")]
        if len(parts) != 4 or len(parts[0]) != 1 or "->" not in parts[0][0]:
            continue
        row = parts[0][0]
        rel, unrel, setup = parts[1], parts[2], parts[3]
        out += [("dc", row, "rel", num(rel[1]) if len(rel) > 1 else None),
                ("dc", row, "unrel", num(unrel[2]) if len(unrel) > 2 else None),
                ("dc", row, "setup", num(setup[0]) if setup else None)]
    return out


def parse_goet_vs_ssh(text):
    """"## RTT n ms, loss n %: ..." then a table | client | echo ms | set-up ms | seq ms | base64 ms |
    [base64 MB/s | fwd ms |] (since goet forwards); the -predict clients' echo is also their own section's."""
    out = []
    blocks = re.split(r"^## RTT (\S+) ms, loss (\S+) %.*$", text, flags=re.M)
    for i in range(1, len(blocks) - 2, 3):
        cond = "%s:%s" % (blocks[i], blocks[i + 1])
        for r in md_table(blocks[i + 2].splitlines()):
            client = r.get("client")
            if client in dict(PRED_ROWS):
                out.append(("pred " + cond, client, "echo", num(r.get("echo ms"))))
                continue
            for key, head, _ in TERM_METRICS:
                if head in r:
                    out.append(("term " + cond, client, key, num(r.get(head))))
    return out


def parse_sig_server(text):
    """"clients N networks M joined in S s; K offers relayed: p50 A ms, p99 B ms...; server peak RSS R MiB"."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^clients (\d+) networks \d+ joined in (\S+) s;.*?p50 (\S+) ms, p99 (\S+) ms", line)
        if not m:
            continue
        n = m.group(1)
        rss = re.search(r"server peak RSS (\S+) MiB", line)
        rss = num(rss.group(1)) if rss else None
        out += [("sig", n, "join", num(m.group(2))), ("sig", n, "p50", num(m.group(3))),
                ("sig", n, "p99", num(m.group(4))), ("sig", n, "rss", rss),
                ("sig", n, "rss_per_1k", rss / (int(n) / 1000) if rss is not None else None)]
    return out


PARSERS = {"goet-net": parse_goet_net, "goet-session": parse_goet_session,
           "wg-veth": parse_wg_veth, "rift-tunnel": parse_rift_tunnel, "rtc-dc": parse_rtc_dc,
           "goet-vs-ssh": parse_goet_vs_ssh, "sig-server": parse_sig_server}


# --- the run: records by run
def load(outdir):
    """{run: [(section, row, metric, value)]}, the machine's facts, which scripts ran how often."""
    runs, ran = defaultdict(list), defaultdict(int)
    raw = os.path.join(outdir, "raw")
    for f in sorted(os.listdir(raw)) if os.path.isdir(raw) else []:
        m = re.fullmatch(r"(.+)\.(\d+)\.out", f)
        if not m or m.group(1) not in PARSERS:
            continue
        with open(os.path.join(raw, f), errors="replace") as fh:
            runs[int(m.group(2))] += PARSERS[m.group(1)](fh.read())
        ran[m.group(1)] += 1
    machine = {}
    path = os.path.join(outdir, "machine")
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.partition(":")
            machine[k.strip()] = v.strip()
    return runs, machine, ran


class Figure:
    """One cell: median, min, max of the runs; the median of the per-run ratios to the peer."""

    def __init__(self, values, ratios):
        self.values, self.ratios = values, ratios
        self.n = len(values)
        self.med = statistics.median(values) if values else None
        self.lo = min(values) if values else None
        self.hi = max(values) if values else None
        self.ratio = statistics.median(ratios) if ratios else None


RUNS = [0]  # how many runs the report covers: a figure from fewer says so


def figures(runs):
    """{(section, row, metric): Figure}"""
    RUNS[0] = len(runs)
    by_run = {r: {(s, row, m): v for s, row, m, v in recs if v is not None} for r, recs in runs.items()}
    out = {}
    for sec in SECTIONS:
        for row, _ in sec.rows:
            for met, _, _ in sec.metrics:
                vals, ratios = [], []
                for recs in by_run.values():
                    v = recs.get((sec.key, row, met))
                    if v is None:
                        continue
                    vals.append(v)
                    p = recs.get((sec.key, sec.peer, met)) if sec.peer else None
                    if p:
                        ratios.append(v / p)
                out[(sec.key, row, met)] = Figure(vals, ratios)
    return out


def fmt(x, digits=None):
    """x for a table: 3 significant digits or so, or with `digits` decimals (echo: 50.73)."""
    if x is None:
        return "n/a"
    if digits is not None:
        return "%.*f" % (digits, x)
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fmt_ratio(r):
    return "%.2f" % r if r >= 0.095 else "%.3f" % r


# metrics whose differences lie in the second decimal of a ms: printed with two
ECHO_DIGITS = {"echo": 2}


def cell(f, with_ratio=True, unit="", digits=None):
    if f.med is None:
        return "n/a"
    s = fmt(f.med, digits) + (" " + unit if unit else "")
    if f.n > 1:
        s += " (%s-%s)" % (fmt(f.lo, digits), fmt(f.hi, digits))
    if f.n < RUNS[0]:
        s += " [%d of %d runs]" % (f.n, RUNS[0])
    if with_ratio and f.ratio is not None:
        s += " **%sx**" % fmt_ratio(f.ratio)
    return s


def table(sec, figs):
    head = ["", *[m[1] for m in sec.metrics]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row, label in sec.rows:
        cells = [cell(figs[(sec.key, row, m[0])], digits=ECHO_DIGITS.get(m[0]))
                 for m in sec.metrics]
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    return lines


# --- the summary (README): one line a comparison
SUMMARY = [
    ("goet resume after a 3 s cut", ("gsess", "quic", "cut"), "goet (QUIC)", "goet --tcp"),
    ("goet resume after an address move", ("gsess", "quic", "move"), "goet (QUIC)", "goet --tcp"),
    ("Tunnel TCP, veth", ("veth", "rg-rg", "tcp"), "riftgate wg up", "wireguard-go (Debian)"),
    ("Tunnel TCP, NAT lab", ("nat", "agent-direct", "tcp"), "riftgate agent, direct",
     "wireguard-go (Debian)"),
    ("Tunnel TCP, NAT lab, relayed", ("nat", "agent-relayed", "tcp"), "riftgate agent via TURN",
     "wireguard-go (Debian), port-forwarded"),
    ("Tunnel ping, NAT lab", ("nat", "agent-direct", "ping"), "riftgate agent, direct",
     "wireguard-go (Debian)"),
    ("Data channel, reliable", ("dc", "rg->rg", "rel"), "riftgate", "node-datachannel"),
    ("Data channel, unreliable", ("dc", "rg->rg", "unrel"), "riftgate", "node-datachannel"),
    ("Data channel set-up", ("dc", "rg->rg", "setup"), "riftgate", "node-datachannel"),
    ("Keystroke echo, RTT 50 ms", ("term 50:0", "goet", "echo"), "goet (QUIC)", "ssh"),
    ("Keystroke echo, RTT 200 ms", ("term 200:0", "goet", "echo"), "goet (QUIC)", "ssh"),
    ("Keystroke echo, 50 ms, 1 % loss", ("term 50:1", "goet", "echo"), "goet (QUIC)", "ssh"),
    ("Set-up, RTT 50 ms", ("term 50:0", "goet", "setup"), "goet (QUIC)", "ssh"),
    ("Set-up, RTT 200 ms", ("term 200:0", "goet", "setup"), "goet (QUIC)", "ssh"),
    ("Keystroke to screen, predicted, RTT 50 ms", ("pred 50:0", "goet-predict", "echo"),
     "goet --predict=always", "mosh --predict=always"),
    ("Keystroke to screen, predicted, RTT 200 ms", ("pred 200:0", "goet-predict", "echo"),
     "goet --predict=always", "mosh --predict=always"),
    ("Bulk after the first byte, 50 ms, 1 % loss", ("term 50:1", "goet", "b64rate"), "goet (QUIC)",
     "ssh"),
    ("Forwarded TCP (-L), RTT 0 ms", ("term 0:0", "goet", "fwd"), "goet -L (QUIC)", "ssh -L"),
    ("Forwarded TCP (-L), RTT 50 ms", ("term 50:0", "goet", "fwd"), "goet -L (QUIC)", "ssh -L"),
    ("Signaling relay p99, 10,000 clients", ("sig", "10000", "p99"), "riftgate server",
     "same, 1,000 clients"),
    ("Signaling RSS per 1,000 clients (at 10,000)", ("sig", "10000", "rss_per_1k"),
     "riftgate server", "same, 1,000 clients"),
]


def unit_of(key):
    sec = next(s for s in SECTIONS if s.key == key[0])
    label = next(m[1] for m in sec.metrics if m[0] == key[2])
    return label.rsplit(" ", 1)[-1]


def summary(figs):
    lines = ["| figure | ours | median (min-max) | peer, same run | ratio | better |",
             "|---|---|---|---|---|---|"]
    for what, key, ours, peer in SUMMARY:
        f = figs[key]
        val = cell(f, with_ratio=False, unit=unit_of(key), digits=ECHO_DIGITS.get(key[2]))
        ratio = fmt_ratio(f.ratio) if f.ratio is not None else "n/a"
        sec = next(x for x in SECTIONS if x.key == key[0])
        better = next(m[2] for m in sec.metrics if m[0] == key[2])
        lines.append("| %s | %s | %s | %s | %s | %s |" % (what, ours, val, peer, ratio, better))
    return lines


# --- plots (gnuplot, pngcairo)
SHORT = {"quic": "QUIC", "tcp": "TCP+TLS", "bare": "bare veth", "go-go": "wireguard-go", "rg-rg": "riftgate",
         "rg-go": "riftgate<->wg-go", "up-up": "wg-go upstream", "rg-up": "riftgate->upstream",
         "up-rg": "upstream->riftgate", "go-debian": "wg-go Debian", "go-upstream": "wg-go upstream",
         "rg-udp": "riftgate UDP", "agent-direct": "agent direct", "agent-channel": "agent channel",
         "agent-relayed": "agent relayed"}


def plots(figs, imgdir):
    """Writes the PNGs; returns [(file name, caption)]. Raises when gnuplot fails."""
    os.makedirs(imgdir, exist_ok=True)
    tmp = tempfile.mkdtemp()
    made = []
    try:
        def bars(name, title, ylabel, sec, metrics, logy=False):
            dat = os.path.join(tmp, name + ".dat")
            png = os.path.join(imgdir, name + ".png")
            if all(figs[(sec.key, row, m)].med is None for row, _ in sec.rows for m in metrics):
                if os.path.exists(png):
                    os.remove(png)  # not a stale picture beside a table of n/a
                return
            with open(dat, "w") as fh:
                for row, label in sec.rows:
                    vals = []
                    for m in metrics:
                        f = figs[(sec.key, row, m)]
                        vals += [f.med, f.lo, f.hi] if f.med is not None else [float("nan")] * 3
                    fh.write('"%s" %s\n' % (SHORT.get(row, row), " ".join("%g" % v for v in vals)))
            labels = [next(x[1] for x in sec.metrics if x[0] == m) for m in metrics]
            cols = ", ".join(
                "'%s' using %d:%d:%d:xtic(1) title '%s'" % (dat, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, labels[i])
                for i in range(len(metrics)))
            script = "\n".join([
                "set terminal pngcairo size 960,480 font 'sans,10'",
                "set output '%s'" % os.path.join(imgdir, name + ".png"),
                "set title '%s'" % title, "set ylabel '%s'" % ylabel,
                "set style data histograms", "set style histogram errorbars gap 1 lw 1",
                "set style fill solid 0.7 border -1", "set boxwidth 0.9",
                "set logscale y; set yrange [10:*]" if logy else "set yrange [0:*]",
                "set grid ytics", "set key top right", "plot " + cols, ""])
            run_gnuplot(script)
            made.append((name + ".png", title))

        def lines_vs_rtt(name, title, metric):
            rtts = [(c, int(c.split(":")[0])) for c, _ in CONDS if c.endswith(":0")]
            plot = []
            for row, label in TERM_ROWS:
                dat = os.path.join(tmp, "%s-%s.dat" % (name, row))
                with open(dat, "w") as fh:
                    for c, rtt in rtts:
                        f = figs[("term " + c, row, metric)]
                        if f.med is not None:
                            fh.write("%d %g %g %g\n" % (rtt, f.med, f.lo, f.hi))
                if os.path.getsize(dat):
                    plot.append("'%s' using 1:2:3:4 with yerrorlines title '%s'" % (dat, label))
            if not plot:
                if os.path.exists(os.path.join(imgdir, name + ".png")):
                    os.remove(os.path.join(imgdir, name + ".png"))
                return
            script = "\n".join([
                "set terminal pngcairo size 960,480 font 'sans,10'",
                "set output '%s'" % os.path.join(imgdir, name + ".png"),
                "set title '%s'" % title, "set xlabel 'round-trip time, ms'",
                "set ylabel '%s'" % next(m[1] for m in TERM_METRICS if m[0] == metric),
                "set xrange [-10:210]", "set yrange [0:*]", "set grid", "set key top left",
                "plot " + ", ".join(plot), ""])
            run_gnuplot(script)
            made.append((name + ".png", title))

        bars("tunnel-veth", "Tunnel throughput over one veth (iperf3)", "Mbit/s (log scale)", VETH, ["tcp", "udp"],
             logy=True)
        bars("tunnel-nat", "Tunnel throughput through the NAT lab (iperf3)", "Mbit/s (log scale)", NAT,
             ["tcp", "udp"], logy=True)
        bars("datachannel", "WebRTC data channel throughput, 1,400-byte messages", "MB/s", DC,
             ["rel", "unrel"])
        bars("goet-resume", "goet: first resumed output after a cut or a move", "ms", GSESS,
             ["cut", "move", "cut2"])
        lines_vs_rtt("terminal-echo", "Keystroke echo against RTT", "echo")
        lines_vs_rtt("terminal-setup", "Session set-up against RTT", "setup")
    finally:
        shutil.rmtree(tmp)
    return made


def run_gnuplot(script):
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("gnuplot failed: " + p.stderr.strip())


# --- the document
METHOD = """\
`make bench` (bench/all.sh) runs every script in `bench/` in turn, run after run, so that load
from other work on the machine spreads over all of them; bench/report.py parses each script's own
output and writes this file. Each cell is the **median of the runs**, then **(min-max)**, then in
bold the **ratio to the section's peer**: the median of the per-run ratios, the peer measured in
the same run of the same script (higher is better for throughput, lower for times and memory).
"n/a": the script printed no figure for that cell (a row it skips, a run that failed) — never a
guess.

- goet transport (`bench/goet-net.sh`): QUIC and TCP+TLS between two processes on loopback,
  against bare TCP (iperf3, no encryption) in the same run.
- goet session (`bench/goet-session.sh`): bulk output through a real session and client on
  loopback; resume after 3 s cuts and an address move in the two-namespace lab.
- Tunnel over one veth (`bench/wg-veth.sh`): two namespaces joined by one veth; iperf3 TCP and
  UDP (unlimited rate, 1,300-byte datagrams: UDP delivered = rate x (1 - loss)) and ping.
- Tunnel through the NAT lab (`bench/rift-tunnel.sh`): two homes behind nftables NAT routers,
  a server and coturn between them; plain WireGuard with each router forwarding UDP 51820, and
  the riftgate agent (`riftgate up`) hole-punched, in the data channel, and through symmetric
  NATs via coturn. iperf3 TCP, UDP at TCP's rate, ping.
- Data channels (`bench/rtc-dc.sh`): riftgate's peer (tests/interop/rtc-peer) against
  node-datachannel on loopback, one channel, 1,400-byte messages, reliable/ordered and
  unordered with maxRetransmits 0; set-up from creating the offer to the channel's open event.
- Terminal (`bench/goet-vs-ssh.sh`): a real sshd and real clients in a pseudo-terminal, two
  namespaces, delay and loss by tests/lab/tools/netem on NFQUEUE (the kernel has no netem):
  keystroke echo (30 keys, to 0.01 ms; the real echo, prediction off), set-up (`host true`, 3 times a run), `seq 1 N` and a
  base64 file to the terminal (its MB/s counted from the first byte on the terminal to the last:
  the bulk rate without the set-up), a file each way at once through one forwarded TCP connection
  (`ssh -N -L` against `goet -L`), and the time from a keystroke to the screen with local echo
  prediction on (`goet --predict=always` against `mosh --predict=always`).
- Signaling server (`bench/sig-server.sh`): `riftgate server` on loopback with 1,000 and 10,000
  WebSocket clients (bench/sig-load) in 100 networks, 2,000 offers relayed between random pairs.
"""


def document(figs, machine, ran, made, log):
    quick = machine.get("quick", "0") not in ("", "0")
    n = machine.get("runs", "?")
    out = ["# Benchmarks", "",
           "Generated by `make bench` (bench/all.sh, bench/report.py); do not edit by hand.", ""]
    if quick:
        out += ["**This is a `BENCH_QUICK=1` run: one run of each script with short measurements "
                "(2 s iperf3, 1 s data channels, one round of the terminal benchmark with 5 keys, "
                "smaller transfers at 0 and 50 ms and none at 200 ms or with loss, 1,000 "
                "signaling clients but not 10,000), "
                "so each "
                "figure is a single value, not a median of three; the ratios still compare with "
                "a peer measured in the same run.**", ""]
    if machine.get("note"):
        out += [machine["note"], ""]
    out += ["## Summary", ""] + summary(figs) + [""]
    out += ["## Machine", "",
            "| | |", "|---|---|",
            "| date | %s |" % machine.get("date", "?"),
            "| CPU | %s |" % machine.get("cpu", "?"),
            "| cores | %s |" % machine.get("cores", "?"),
            "| kernel | %s |" % machine.get("kernel", "?"),
            "| system | %s |" % machine.get("os", "?"),
            "| commit | %s |" % machine.get("commit", "?"),
            "| runs of each script | %s |" % n,
            "| load average before, after | %s; %s |" % (machine.get("load-before", "?"),
                                                        machine.get("load-after", "?")),
            "", "The machine is shared: other engineers built and tested on its cores during the "
            "run (the load averages above, and per script in the log below), which widens the "
            "min-max ranges; compare the ratios more than the absolute figures.", ""]
    out += ["## Method", "", METHOD]
    for sec in SECTIONS:
        out += ["## %s" % sec.title + ("" if not sec.key.startswith("term") else ""),
                "", "`bench/%s`, %d run(s); peer: %s." % (
                    sec.script, ran.get(sec.script[:-3], 0),
                    next((l for r, l in sec.rows if r == sec.peer), "none")), ""]
        out += table(sec, figs) + [""]
        if sec.note:
            out += [sec.note, ""]
        if sec.key == "sig":
            a, b = figs[("sig", "1000", "rss")], figs[("sig", "10000", "rss")]
            if a.med is not None and b.med is not None:
                out += ["Marginal RSS per 1,000 more clients, (RSS(10,000) - RSS(1,000)) / 9: "
                        "%s MiB." % fmt((b.med - a.med) / 9), ""]
    if made:
        out += ["## Plots", "", "Bars: median; whiskers: min and max of the runs.", ""]
        for f, caption in made:
            out += ["![%s](img/%s)" % (caption, f), ""]
    if log:
        out += ["## Log", "", "```"] + log + ["```", ""]
    return "\n".join(out)


def replace_readme(path, lines):
    text = open(path).read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in text or end not in text:
        print("report: %s has no %s ... %s lines: left alone" % (path, begin, end), file=sys.stderr)
        return
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as fh:
        fh.write(head + begin + "\n" + "\n".join(lines) + "\n" + end + tail)


def write_tsv(path, runs, figs):
    """Every parsed figure, one a line: run section row metric value ("n/a"), then per figure
    "all" section row metric median min max runs ratio-to-peer."""
    with open(path, "w") as fh:
        fh.write("run\tsection\trow\tmetric\tvalue\n")
        for r in sorted(runs):
            for sec, row, met, v in runs[r]:
                fh.write("%d\t%s\t%s\t%s\t%s\n" % (r, sec, row, met, "n/a" if v is None else "%g" % v))
        fh.write("\nall\tsection\trow\tmetric\tmedian\tmin\tmax\truns\tratio\tpeer\n")
        for sec in SECTIONS:
            for row, _ in sec.rows:
                for met, _, _ in sec.metrics:
                    f = figs[(sec.key, row, met)]
                    g = ["n/a" if x is None else "%g" % x for x in (f.med, f.lo, f.hi, f.ratio)]
                    fh.write("all\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n" % (
                        sec.key, row, met, g[0], g[1], g[2], f.n, g[3], sec.peer or "-"))


def main(argv):
    args, opts = [], {}
    it = iter(argv)
    for a in it:
        if a in ("--md", "--img", "--readme", "--tsv"):
            opts[a] = next(it)
        else:
            args.append(a)
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    runs, machine, ran = load(args[0])
    if not runs:
        print("report: no bench output in %s/raw" % args[0], file=sys.stderr)
        return 1
    figs = figures(runs)
    for sec in SECTIONS:
        print("\n## " + sec.title)
        print("\n".join(table(sec, figs)))
    print("\n## Summary")
    print("\n".join(summary(figs)))
    if "--tsv" in opts:
        write_tsv(opts["--tsv"], runs, figs)
    made = plots(figs, opts["--img"]) if "--img" in opts else []
    if "--md" in opts:
        logf = os.path.join(args[0], "log")
        log = open(logf).read().splitlines() if os.path.exists(logf) else []
        with open(opts["--md"], "w") as fh:
            fh.write(document(figs, machine, ran, made, log))
    if "--readme" in opts:
        doc = opts.get("--md", "docs/benchmarks.md")
        quick = machine.get("quick", "0") not in ("", "0")
        replace_readme(opts["--readme"], [
            "%s run%s of each script%s, commit %s, %s:" % (
                machine.get("runs", "?"), "" if machine.get("runs") == "1" else "s",
                " (`BENCH_QUICK=1`)" if quick else "", machine.get("commit", "?"),
                machine.get("date", "?")), ""] + summary(figs) + [
            "", "Every figure, the machine and the method: [%s](%s)." % (doc, doc)])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
