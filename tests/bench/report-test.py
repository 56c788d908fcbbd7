#!/usr/bin/env python3
"""report-test.py SOURCE-ROOT: bench/report.py on the run recorded in
tests/data/bench/ (each bench script's own output, as bench/all.sh kept it):
the parsed figures, the exact cells of the tables and of the summary, n/a
where a script printed nothing, the document, README's summary between its
markers, and the gnuplot PNGs (gnuplot is a test dependency: its absence
fails the test). TAP on stdout; exit 1 on any failure."""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
spec = importlib.util.spec_from_file_location("report", os.path.join(root, "bench", "report.py"))
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)
RUN = os.path.join(root, "tests", "data", "bench", "run")  # bench/all.sh's output of a full run

results = []


def check(name, got, want):
    ok = got == want
    results.append((ok, name, got, want))


def row(lines, label):
    return next((line for line in lines if line.startswith("| " + label + " |")), None)


def test_parsers():
    def raw(name):
        return open(os.path.join(RUN, "raw", name)).read()

    recs = report.parse_wg_veth(raw("wg-veth.1.out"))
    check("wg-veth: 4 rows x 3 figures", len(recs), 12)
    check("wg-veth: rg-rg", [r for r in recs if r[1] == "rg-rg"],
          [("veth", "rg-rg", "tcp", 277.0), ("veth", "rg-rg", "udp", 159.0),
           ("veth", "rg-rg", "ping", 0.19)])
    recs = report.parse_rift_tunnel(raw("rift-tunnel.1.out"))
    check("rift-tunnel: 6 rows x 3 + 3", len(recs), 21)
    check("rift-tunnel: go-upstream tcp", ("nat", "go-upstream", "tcp", 2312.0) in recs, True)
    check("rift-tunnel: agent-relayed udp, ping", [r for r in recs if r[1] == "agent-relayed"][1:],
          [("nat", "agent-relayed", "udp", 74.0), ("nat", "agent-relayed", "ping", 0.559)])
    check("rift-tunnel: first ping, RSS", recs[-3:],
          [("nat-extra", "agent", "first_ping", 148.0), ("nat-extra", "agent", "rss1", 17588.0),
           ("nat-extra", "agent", "rss10", 19704.0)])
    recs = report.parse_rtc_dc(raw("rtc-dc.1.out"))
    check("rtc-dc: ndc->ndc", [r for r in recs if r[1] == "ndc->ndc"],
          [("dc", "ndc->ndc", "rel", 36.5), ("dc", "ndc->ndc", "unrel", 61.2),
           ("dc", "ndc->ndc", "setup", 1006.9)])
    recs = report.parse_goet_vs_ssh(raw("goet-vs-ssh.1.out"))
    check("goet-vs-ssh: 4 conditions x 4 clients x 4 figures", len(recs), 64)
    check("goet-vs-ssh: mosh at 200 ms", [r for r in recs if r[:2] == ("term 200:0", "mosh")],
          [("term 200:0", "mosh", "echo", 264.6), ("term 200:0", "mosh", "setup", 3074.1),
           ("term 200:0", "mosh", "seq", 3326.0), ("term 200:0", "mosh", "base64", 2981.7)])
    check("goet-vs-ssh: goet set-up with loss", ("term 50:1", "goet", "setup", 1540.5) in recs, True)
    # the table since goet forwards and predicts (a fwd column, -predict rows)
    recs = report.parse_goet_vs_ssh(
        "## RTT 200 ms, loss 0 %: echo 10 keys x 1; seq 1 50000; base64 1 MiB; fwd 4 MiB each way\n"
        "| client | echo ms | set-up ms | seq ms | base64 ms | base64 MB/s | fwd ms |\n"
        "|---|---|---|---|---|---|---|\n"
        "| ssh | 200.8 | - | - | - | 1.2 | 1957.0 |\n| mosh | 262.8 | - | - | - | - | - |\n"
        "| goet-predict | 0.2 | - | - | - | - | - |\n| mosh-predict | 0.1 | - | - | - | - | - |\n")
    check("goet-vs-ssh: fwd column, -predict rows in their own section", recs,
          [("term 200:0", "ssh", "echo", 200.8), ("term 200:0", "ssh", "setup", None),
           ("term 200:0", "ssh", "seq", None), ("term 200:0", "ssh", "base64", None),
           ("term 200:0", "ssh", "b64rate", 1.2), ("term 200:0", "ssh", "fwd", 1957.0),
           ("term 200:0", "mosh", "echo", 262.8), ("term 200:0", "mosh", "setup", None),
           ("term 200:0", "mosh", "seq", None), ("term 200:0", "mosh", "base64", None),
           ("term 200:0", "mosh", "b64rate", None), ("term 200:0", "mosh", "fwd", None),
           ("pred 200:0", "goet-predict", "echo", 0.2), ("pred 200:0", "mosh-predict", "echo", 0.1)])
    check("sig-server: run 1, 1,000 clients only (10,000 did not all join)",
          report.parse_sig_server(raw("sig-server.1.out")),
          [("sig", "1000", "join", 1.61), ("sig", "1000", "p50", 7.1), ("sig", "1000", "p99", 146.18),
           ("sig", "1000", "rss", 18.7), ("sig", "1000", "rss_per_1k", 18.7)])
    recs = report.parse_sig_server(raw("sig-server.2.out"))
    check("sig-server: run 2, 10,000 clients", recs[5:],
          [("sig", "10000", "join", 192.37), ("sig", "10000", "p50", 39.78),
           ("sig", "10000", "p99", 824.82), ("sig", "10000", "rss", 66.3),
           ("sig", "10000", "rss_per_1k", 6.63)])
    check("goet-net", report.parse_goet_net(raw("goet-net.1.out")),
          [("gnet", "quic", "mib_s", 102.1), ("gnet", "quic", "rss", 8248.0),
           ("gnet", "tcp", "mib_s", 86.2), ("gnet", "tcp", "rss", 8012.0),
           ("gnet", "bare", "mib_s", 2111.5), ("gnet", "bare", "rss", None)])
    check("goet-session", report.parse_goet_session(raw("goet-session.2.out"))[6:],
          [("gsess", "quic", "cut", 104.0), ("gsess", "quic", "move", 53.0),
           ("gsess", "quic", "cut2", 81.0), ("gsess", "tcp", "cut", 46.0),
           ("gsess", "tcp", "move", 3364.0), ("gsess", "tcp", "cut2", 221.0)])
    # wg-veth.sh's table since branch wg-speed (its line format, values made up)
    recs = report.parse_wg_veth("pair     TCP Mbit/s x up-up CPU s/GB calls/MB UDP Mbit/s lost % ping ms"
                                "  (medians of 1 rounds; TCP each round)\n"
                                "up-up          2500    1.00     1.20       90        700   12.5   0.210  [2500]\n"
                                "rg-rg           900    0.36     3.10        -        300   40.0   0.250  [900]\n")
    check("wg-veth, new table", recs,
          [("veth", "up-up", "tcp", 2500.0), ("veth", "up-up", "udp", 700.0), ("veth", "up-up", "ping", 0.21),
           ("veth", "rg-rg", "tcp", 900.0), ("veth", "rg-rg", "udp", 300.0), ("veth", "rg-rg", "ping", 0.25)])
    # what does not parse gives nothing (n/a), and a "-" cell gives None
    check("garbage", report.parse_wg_veth("bench: needs root\n") + report.parse_sig_server("x"), [])
    recs = report.parse_goet_vs_ssh("## RTT 50 ms, loss 1 %: x\n| client | echo ms | set-up ms | "
                                    "seq ms | base64 ms |\n|---|---|---|---|---|\n| mosh | - | 1 | 2 | 3 |\n")
    check("goet-vs-ssh: '-' is None", recs[0], ("term 50:1", "mosh", "echo", None))


def test_tables():
    runs, machine, ran = report.load(RUN)
    check("runs", sorted(runs), [1, 2, 3])
    check("machine cores", machine.get("cores"), "2")
    figs = report.figures(runs)
    # rg-rg TCP 277, 401, 429 Mbit/s against go-go 400, 290, 341 in the same runs
    f = figs[("veth", "rg-rg", "tcp")]
    check("figure rg-rg tcp", (f.n, f.med, f.lo, f.hi), (3, 401.0, 277.0, 429.0))
    check("figure rg-rg tcp ratio: median of per-run ratios", round(f.ratio, 6), round(429 / 341, 6))
    lines = report.table(report.VETH, figs)
    check("veth table, rg-rg", row(lines, "riftgate wg up <-> itself"),
          "| riftgate wg up <-> itself | 401 (277-429) **1.26x** | 162 (159-375) **1.37x** | "
          "0.24 (0.19-0.96) **0.38x** |")
    check("veth table, peer", row(lines, "wireguard-go (Debian) <-> itself"),
          "| wireguard-go (Debian) <-> itself | 341 (290-400) **1.00x** | 157 (118-169) **1.00x** | "
          "0.64 (0.30-2.35) **1.00x** |")
    lines = report.table(report.DC, figs)
    check("data channel table, ndc->rg", row(lines, "node-datachannel -> riftgate"),
          "| node-datachannel -> riftgate | 42.7 (37.0-52.4) **0.98x** | 55.1 (50.3-55.3) **1.12x** | "
          "22.3 (21.9-23.5) **0.023x** |")  # 23.5/1006.9, 22.3/1005.4, 21.9/560.4
    lines = report.table(report.SIG, figs)
    check("sig table, 10,000 clients in 2 of 3 runs", row(lines, "10,000 clients"),
          "| 10,000 clients | 192 (192-193) [2 of 3 runs] **221.48x** | 34.5 (29.3-39.8) [2 of 3 runs] "
          "**9.60x** | 553 (281-825) [2 of 3 runs] **10.79x** | 66.2 (66.1-66.3) [2 of 3 runs] "
          "**3.59x** | 6.62 (6.61-6.63) [2 of 3 runs] **0.36x** |")
    lines = report.table(report.term_sections()[1], figs)
    # the echo to 0.01 ms (report.ECHO_DIGITS), the rest to about 3 digits
    check("terminal 50 ms, goet", row(lines, "goet (QUIC)"),
          "| goet (QUIC) | 55.70 (51.80-58.80) **1.10x** | 1208 (1118-1282) **1.32x** | "
          "1412 (1404-2641) **1.18x** | 1586 (1533-1884) **1.11x** | n/a | n/a |")
    lines = report.table(report.NAT_EXTRA, figs)
    check("agent extra, no peer: no ratio", row(lines, "riftgate agent"),
          "| riftgate agent | 148 (128-355) | 17600 (17588-17692) | 19704 (19692-19772) |")
    lines = report.summary(figs)
    check("summary, tunnel TCP veth", row(lines, "Tunnel TCP, veth"),
          "| Tunnel TCP, veth | riftgate wg up | 401 Mbit/s (277-429) | wireguard-go (Debian) | 1.26 | higher |")
    check("summary, signaling p99", row(lines, "Signaling relay p99, 10,000 clients"),
          "| Signaling relay p99, 10,000 clients | riftgate server | 553 ms (281-825) [2 of 3 runs] | "
          "same, 1,000 clients | 10.79 | lower |")
    # a run without a figure: n/a, never a number
    runs[1] = [r for r in runs[1] if r[0] != "dc"]
    runs[2] = [r for r in runs[2] if r[0] != "dc"]
    runs[3] = [r for r in runs[3] if r[0] != "dc"]
    lines = report.table(report.DC, report.figures(runs))
    check("no data channel output: n/a", row(lines, "riftgate -> riftgate"),
          "| riftgate -> riftgate | n/a | n/a | n/a |")


def test_cli():
    tmp = tempfile.mkdtemp()
    try:
        readme = os.path.join(tmp, "README.md")
        with open(readme, "w") as fh:
            fh.write("# x\n\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n\nafter\n")
        md = os.path.join(tmp, "docs", "benchmarks.md")
        os.makedirs(os.path.dirname(md))
        img = os.path.join(tmp, "docs", "img")
        if shutil.which("gnuplot") is None:
            results.append((False, "gnuplot installed (scripts/install-deps TEST_PKGS)", None, "gnuplot"))
            return
        p = subprocess.run([sys.executable, os.path.join(root, "bench", "report.py"), RUN, "--md", md,
                            "--img", img, "--readme", readme, "--tsv", os.path.join(tmp, "f.tsv")],
                           capture_output=True, text=True)
        check("report.py exit", (p.returncode, p.stderr), (0, ""))
        for name in ("goet-resume", "tunnel-veth", "tunnel-nat", "datachannel", "terminal-echo",
                     "terminal-setup"):
            path = os.path.join(img, name + ".png")
            head = open(path, "rb").read(8) if os.path.exists(path) else b""
            check("plot %s.png is a PNG" % name, head, b"\x89PNG\r\n\x1a\n")
            check("plot %s.png is not tiny" % name, os.path.getsize(path) > 5000 if head else False, True)
            check("document links %s.png" % name, "(img/%s.png)" % name in open(md).read(), True)
        tsv = open(os.path.join(tmp, "f.tsv")).read().splitlines()
        check("tsv: a run's figure", "2\tsig\t10000\tp99\t824.82" in tsv, True)
        check("tsv: a figure", "all\tveth\trg-rg\ttcp\t401\t277\t429\t3\t1.25806\tgo-go" in tsv, True)
        check("tsv: n/a", "1\tgnet\tbare\trss\tn/a" in tsv, True)
        doc = open(md).read()
        check("document: machine", "| CPU | AMD EPYC |" in doc and "| cores | 2 |" in doc, True)
        check("document: runs", "| runs of each script | 3 |" in doc, True)
        text = open(readme).read()
        check("README: the run", "3 runs of each script, commit db81a3f, 2026-12-04T22:31Z:" in text, True)
        check("README: summary replaced", "old" not in text and text.endswith("<!-- bench:end -->\n\nafter\n")
              and "| Tunnel TCP, veth | riftgate wg up | 401 Mbit/s (277-429) |" in text, True)
        p = subprocess.run([sys.executable, os.path.join(root, "bench", "report.py"), tmp],
                           capture_output=True, text=True)
        check("no output: exit 1", (p.returncode, p.stderr.strip()),
              (1, "report: no bench output in %s/raw" % tmp))
    finally:
        shutil.rmtree(tmp)


test_parsers()
test_tables()
test_cli()
print("1..%d" % len(results))
for i, (ok, name, got, want) in enumerate(results, 1):
    print("%s %d %s" % ("ok" if ok else "not ok", i, name))
    if not ok:
        print("# got:  %r\n# want: %r" % (got, want))
sys.exit(0 if all(r[0] for r in results) else 1)
