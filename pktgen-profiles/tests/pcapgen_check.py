#!/usr/bin/python3
"""Tests of gsteer-pcapgen (meson suite 'pktgen').

  pcapgen_check.py valid GENERATOR TMPDIR
      Generates pcaps in several shapes and checks each with tshark: no
      malformed packet, no bad checksum, the GENEVE header and the AWS
      options (class 0x0108, types 1, 2, 3 in that order, endpoint and
      attachment ids as asked, one cookie per flow in both directions),
      the number of packets, of distinct flows and of directions, the inner
      sizes (fixed, or IMIX 7:4:1 in every block of 12); the same seed gives
      the same bytes and another seed other flows; bad options exit 2 with
      one line naming the option.
  pcapgen_check.py forward DATAPLANE GENERATOR TMPDIR
      Generates pcaps with their configs (net_pcap in, net_pcap out), runs
      gsteer-dataplane on each, and checks the output: every input packet
      came out once, to an appliance of the config, with its inner packet
      unchanged; both directions of every flow went to one appliance; no
      drop counter moved.

Exit 0 when every check holds; each failure prints a FAIL line.
"""
import collections
import ipaddress
import json
import os
import shutil
import struct
import subprocess
import sys

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL " + what, flush=True)
    return cond


def run_gen(gen, args, expect_rc=0):
    p = subprocess.run([gen] + args, capture_output=True, text=True)
    if p.returncode != expect_rc:
        check(False, "%s exited %d (expected %d): %s" %
              (" ".join(args), p.returncode, expect_rc, p.stderr.strip()))
    return p


# ---- raw pcap reading (no scapy needed for this part) ----------------------

def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    # microsecond (what the generator writes) or nanosecond (net_pcap's tx)
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    else:
        end = ">"
        magic = struct.unpack_from(">I", data, 0)[0]
        if magic not in (0xA1B2C3D4, 0xA1B23C4D):
            raise ValueError("%s: not a classic pcap" % path)
    linktype = struct.unpack_from(end + "I", data, 20)[0]
    off, pkts = 24, []
    while off < len(data):
        _, _, incl, orig = struct.unpack_from(end + "IIII", data, off)
        off += 16
        pkts.append(data[off:off + incl])
        off += incl
    return magic, linktype, pkts


def parse_geneve_frame(b):
    """-> dict with outer addresses, vni, options list, inner bytes"""
    eth = struct.unpack_from("!H", b, 12)[0]
    off = 14
    if eth == 0x0800:
        ihl = (b[off] & 0xF) * 4
        src, dst = b[off + 12:off + 16], b[off + 16:off + 20]
        proto = b[off + 9]
        off += ihl
    elif eth == 0x86DD:
        src, dst = b[off + 8:off + 24], b[off + 24:off + 40]
        proto = b[off + 6]
        off += 40
    else:
        return None
    if proto != 17:
        return None
    sport, dport = struct.unpack_from("!HH", b, off)
    off += 8
    optlen = (b[off] & 0x3F) * 4
    ptype = struct.unpack_from("!H", b, off + 2)[0]
    vni = struct.unpack_from("!I", b, off + 4)[0] >> 8
    opts, o = [], off + 8
    while o < off + 8 + optlen:
        cls, typ, ln = struct.unpack_from("!HBB", b, o)
        dl = (ln & 0x1F) * 4
        opts.append((cls, typ, b[o + 4:o + 4 + dl]))
        o += 4 + dl
    return {"src": ipaddress.ip_address(bytes(src)), "dst": ipaddress.ip_address(bytes(dst)),
            "sport": sport, "dport": dport, "vni": vni, "ptype": ptype,
            "opts": opts, "inner": b[off + 8 + optlen:], "dst_mac": b[0:6]}


def inner_tuple(inner):
    v = inner[0] >> 4
    if v == 4:
        ihl = (inner[0] & 0xF) * 4
        src, dst, proto = inner[12:16], inner[16:20], inner[9]
        l4 = inner[ihl:]
    else:
        src, dst, proto = inner[8:24], inner[24:40], inner[6]
        l4 = inner[40:]
    sport, dport = struct.unpack_from("!HH", l4, 0)
    return (ipaddress.ip_address(bytes(src)), sport, ipaddress.ip_address(bytes(dst)), dport, proto)


def canon(t):
    a, b = (t[0], t[1]), (t[2], t[3])
    return (min(a, b), max(a, b), t[4])


# ---- valid ----------------------------------------------------------------

TSHARK_FIELDS = ["frame.number", "_ws.malformed", "geneve.vni", "geneve.option.class",
                 "geneve.option.type", "geneve.option.unknown.data",
                 "ip.len", "ipv6.plen", "ip.checksum.status", "udp.checksum.status",
                 "tcp.checksum.status", "ip.src", "ipv6.src", "udp.srcport", "tcp.srcport",
                 "ip.dst", "ipv6.dst", "udp.dstport", "tcp.dstport", "geneve.proto_type"]


def tshark_rows(path):
    cmd = ["tshark", "-n", "-r", path,
           "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
           "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode == 0, "tshark -r %s exited %d: %s" % (path, p.returncode, p.stderr[-300:]))
    rows = []
    for line in p.stdout.splitlines():
        vals = line.split("\t")
        rows.append(dict(zip(TSHARK_FIELDS, vals)))
    return rows


def last(v):
    return v.split(",")[-1] if v else ""


def check_shape(gen, tmp, name, args, flows, directions, packets=None, size=64,
                inner=4, outer=4, endpoint="6773000000000001", attachment="6773000000000002",
                vni=0):
    path = os.path.join(tmp, name + ".pcap")
    run_gen(gen, ["--out", path, "--flows", str(flows)] + args)
    want_n = packets or max(flows * directions, 8192)
    magic, linktype, raw = read_pcap(path)
    check(magic == 0xA1B2C3D4 and linktype == 1,
          "%s: classic microsecond pcap of Ethernet (magic %08x, linktype %d)" % (name, magic, linktype))
    check(len(raw) == want_n, "%s: %d packets, expected %d" % (name, len(raw), want_n))
    rows = tshark_rows(path)
    check(len(rows) == want_n, "%s: tshark read %d packets, expected %d" % (name, len(rows), want_n))

    bad = collections.Counter()
    flows_seen = collections.defaultdict(set)   # canonical flow -> directions
    cookies = collections.defaultdict(set)
    sizes = []
    for r in rows:
        if r["_ws.malformed"]:
            bad["malformed"] += 1
        for f in ("ip.checksum.status", "udp.checksum.status", "tcp.checksum.status"):
            if "0" in r[f].split(","):    # 0 = Bad
                bad["bad " + f] += 1
        if r["geneve.option.class"] != "0x0108,0x0108,0x0108":
            bad["option classes %s" % r["geneve.option.class"]] += 1
        if [int(x, 0) for x in r["geneve.option.type"].split(",") if x] != [1, 2, 3]:
            bad["option types %s" % r["geneve.option.type"]] += 1
        data = r["geneve.option.unknown.data"].split(",")
        if len(data) != 3 or data[0] != endpoint or data[1] != attachment or len(data[2]) != 8:
            bad["option data %s" % r["geneve.option.unknown.data"]] += 1
            continue
        if int(r["geneve.vni"] or "-1", 0) != vni:
            bad["vni %s" % r["geneve.vni"]] += 1
        if r["geneve.proto_type"] != ("0x0800" if inner == 4 else "0x86dd"):
            bad["protocol type %s" % r["geneve.proto_type"]] += 1
        # outer and inner addresses: first and last occurrence
        if inner == outer:
            key = "ip" if inner == 4 else "ipv6"
            srcs, dsts = r[key + ".src"].split(","), r[key + ".dst"].split(",")
            if len(srcs) != 2:
                bad["address layers %s" % srcs] += 1
                continue
            isrc, idst = srcs[1], dsts[1]
        else:
            ik = "ip" if inner == 4 else "ipv6"
            isrc, idst = r[ik + ".src"], r[ik + ".dst"]
        l4 = "tcp" if r["tcp.srcport"] else "udp"
        sp, dp = last(r[l4 + ".srcport"]), last(r[l4 + ".dstport"])
        t = (ipaddress.ip_address(isrc), int(sp), ipaddress.ip_address(idst), int(dp), l4)
        c = canon(t)
        client = ipaddress.ip_address(isrc) in (ipaddress.ip_network("198.18.0.0/16") if inner == 4
                                                 else ipaddress.ip_network("2001:2:0:1::/64"))
        flows_seen[c].add("fwd" if client else "rev")
        cookies[c].add(data[2])
        if inner == 4:
            sizes.append(int(last(r["ip.len"])))
        else:
            sizes.append(int(last(r["ipv6.plen"])) + 40)
    for what, n in bad.items():
        check(False, "%s: %d packets with %s" % (name, n, what))
    check(len(flows_seen) == flows, "%s: %d distinct flows, expected %d" % (name, len(flows_seen), flows))
    want_dirs = {"fwd", "rev"} if directions == 2 else {"fwd"}
    wrong = [c for c, d in flows_seen.items() if d != want_dirs]
    check(not wrong, "%s: %d flows without exactly the directions %s (e.g. %s)" %
          (name, len(wrong), sorted(want_dirs), wrong[:1]))
    multi = [c for c, k in cookies.items() if len(k) != 1]
    check(not multi, "%s: %d flows carry more than one cookie" % (name, len(multi)))
    if size == "imix":
        blocks = len(sizes) // 12
        badb = 0
        for i in range(blocks):
            cnt = collections.Counter(sizes[12 * i:12 * i + 12])
            if cnt != collections.Counter({64: 7, 570: 4, 1518: 1}):
                badb += 1
        check(blocks and not badb, "%s: %d of %d IMIX blocks not 7x64, 4x570, 1x1518" %
              (name, badb, blocks))
    else:
        odd = [s for s in sizes if s != size]
        check(not odd, "%s: %d inner packets not %d bytes (e.g. %s)" % (name, len(odd), size, odd[:3]))
    print("ok   %s: %d packets, %d flows, directions %s, sizes %s" %
          (name, len(rows), len(flows_seen), sorted(want_dirs), size), flush=True)
    return path


def valid(gen, tmp):
    check_shape(gen, tmp, "v4-udp-one", [], flows=1000, directions=1)
    check_shape(gen, tmp, "v4-mix-both", ["--proto", "mix", "--directions", "both",
                                          "--size", "512"], flows=3000, directions=2, size=512)
    check_shape(gen, tmp, "v6v6-mix-both-blocks",
                ["--inner", "6", "--outer", "6", "--proto", "mix", "--directions", "both",
                 "--interleave", "no", "--size", "1400", "--vni", "4242"],
                flows=1500, directions=2, size=1400, inner=6, outer=6, vni=4242)
    check_shape(gen, tmp, "v6in4-imix", ["--inner", "6", "--proto", "mix", "--size", "imix",
                                         "--packets", "12000", "--endpoint-id", "0x1122334455667788",
                                         "--attachment-id", "7"],
                flows=4000, directions=1, packets=12000, size="imix", inner=6,
                endpoint="1122334455667788", attachment="0000000000000007")
    check_shape(gen, tmp, "v4in6-tcp-64", ["--outer", "6", "--proto", "tcp", "--directions", "both",
                                           "--seed", "99"],
                flows=5000, directions=2, outer=6)

    # determinism: same seed, same bytes; another seed, other flows
    a, b, c = (os.path.join(tmp, n) for n in ("s1a.pcap", "s1b.pcap", "s2.pcap"))
    for path, seed in ((a, "5"), (b, "5"), (c, "6")):
        run_gen(gen, ["--out", path, "--flows", "100", "--seed", seed, "--size", "imix",
                      "--proto", "mix", "--directions", "both"])
    check(open(a, "rb").read() == open(b, "rb").read(), "the same seed wrote different pcaps")
    fa = {canon(inner_tuple(parse_geneve_frame(p)["inner"])) for p in read_pcap(a)[2]}
    fc = {canon(inner_tuple(parse_geneve_frame(p)["inner"])) for p in read_pcap(c)[2]}
    check(fa != fc, "seeds 5 and 6 gave the same flows")
    print("ok   determinism", flush=True)

    # bad input: exit 2, one line naming the option
    for args, opt in ((["--flows", "0"], "--flows"),
                      (["--flows", "10000001"], "--flows"),
                      (["--flows", "10", "--size", "20"], "--size"),
                      (["--flows", "10", "--size", "9200"], "--size"),
                      (["--flows", "10", "--inner", "6", "--proto", "tcp", "--size", "59"], "--size"),
                      (["--flows", "10", "--proto", "sctp"], "--proto"),
                      (["--flows", "10", "--directions", "three"], "--directions"),
                      (["--flows", "100", "--packets", "99"], "--packets"),
                      (["--flows", "10", "--listener", "fd00::1"], "--listener"),
                      (["--flows", "10", "--upstream", "10.9.0.2"], "--upstream"),
                      (["--flows", "10", "--src-mac", "01:00:5e:00:00:01"], "--src-mac"),
                      (["--flows", "10", "--dst-mac", "zz"], "--dst-mac"),
                      (["--flows", "10", "--appliances", "300", "--config-out",
                        os.path.join(tmp, "bad.json")], "--appliances"),
                      (["--flows", "10", "--appliance-base", "10.0.0.9", "--config-out",
                        os.path.join(tmp, "bad.json")], "--appliance-base"),
                      (["--flows", "10", "--appliances", "3"], "--appliances"),
                      (["--flows", "10", "--devargs-in", "", "--config-out",
                        os.path.join(tmp, "bad.json")], "--devargs-in"),
                      (["--flows", "10", "--seed", "x1"], "--seed"),
                      (["--flows", "10", "--bogus"], "--bogus"),
                      (["--flows"], "--flows")):
        p = run_gen(gen, ["--out", os.path.join(tmp, "bad.pcap")] + args, expect_rc=2)
        lines = p.stderr.strip().splitlines()
        check(len(lines) == 1 and opt in lines[0] and "gsteer-pcapgen" in lines[0],
              "bad input %s: wanted one line naming %s, got %r" % (args, opt, p.stderr))
    p = run_gen(gen, ["--flows", "10"], expect_rc=2)
    check("--out" in p.stderr, "missing --out is not named: %r" % p.stderr)
    check(not os.path.exists(os.path.join(tmp, "bad.pcap")), "a rejected command wrote its pcap")
    check(not os.path.exists(os.path.join(tmp, "bad.json")), "a rejected command wrote its config")
    p = run_gen(gen, ["--help"])
    for word in ("--out", "--flows", "--packets", "--size", "imix", "--proto", "--inner",
                 "--outer", "--directions", "--seed", "--listener", "--upstream", "--src-mac",
                 "--dst-mac", "--appliances", "--appliance-base", "--config-out",
                 "--devargs-in", "--devargs-out"):
        check(word in p.stdout, "--help does not mention %s" % word)
    print("ok   bad input and --help", flush=True)


# ---- forward --------------------------------------------------------------

def forward_one(dp, gen, tmp, name, args, n_apps):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    pcap, cfg = os.path.join(d, "in.pcap"), os.path.join(d, "in.json")
    # the documented default command, plus the shape under test
    run_gen(gen, ["--out", pcap, "--config-out", cfg] + args)
    conf = json.load(open(cfg))
    apps = {ipaddress.ip_address(a["address"]): a["id"]
            for a in conf["target_groups"][0]["appliances"]}
    app_port = ipaddress.ip_interface(conf["dataplane"]["ports"][1]["addresses"][0]).ip
    prefix = "gsg%d%s" % (os.getpid(), name.replace("-", ""))
    try:
        p = subprocess.run([dp, "--config", cfg, "--exit-idle-ms", "1500",
                            "--stats-file", os.path.join(d, "stats.json"),
                            "-l", "0-1", "--no-huge", "-m", "512", "--no-pci",
                            "--file-prefix", prefix, "--log-level", "warning"],
                           capture_output=True, text=True, timeout=60)
    finally:
        subprocess.run(["rm", "-rf", "/var/run/dpdk/" + prefix])
    if not check(p.returncode == 0, "%s: gsteer-dataplane exited %d: %s" %
                 (name, p.returncode, p.stderr[-2000:])):
        return
    check("runtime error:" not in p.stderr and "Sanitizer" not in p.stderr,
          "%s: sanitizer report: %s" % (name, p.stderr[-2000:]))
    stats = json.load(open(os.path.join(d, "stats.json")))["stats"]
    moved = {k: v for k, v in stats["drops"].items() if v}
    check(not moved, "%s: drop counters moved: %s" % (name, moved))

    _, _, inp = read_pcap(pcap)
    _, _, out = read_pcap(os.path.join(d, "in.out.pcap"))
    check(len(out) == len(inp), "%s: %d packets out for %d in" % (name, len(out), len(inp)))
    in_inner = collections.Counter(parse_geneve_frame(p)["inner"] for p in inp)
    in_cookie = {}
    for p in inp:
        g = parse_geneve_frame(p)
        in_cookie[canon(inner_tuple(g["inner"]))] = g["opts"][2][2]
    out_cookies = collections.defaultdict(set)
    same_cookie = 0
    app_of = collections.defaultdict(set)
    dirs = collections.defaultdict(set)
    per_app = collections.Counter()
    out_inner = collections.Counter()
    bad = collections.Counter()
    for b in out:
        g = parse_geneve_frame(b)
        if g is None or g["dport"] != 6081:
            bad["not GENEVE"] += 1
            continue
        if g["dst"] not in apps:
            bad["to %s, not an appliance" % g["dst"]] += 1
            continue
        out_inner[g["inner"]] += 1
        t = inner_tuple(g["inner"])
        c = canon(t)
        app_of[c].add(g["dst"])
        dirs[c].add((t[0], t[1]))  # the sender: one per direction
        per_app[apps[g["dst"]]] += 1
        classes = [(o[0], o[1]) for o in g["opts"]]
        if classes[:3] != [(0x0108, 1), (0x0108, 2), (0x0108, 3)]:
            bad["options %s" % classes] += 1
            continue
        out_cookies[c].add(g["opts"][2][2])
        same_cookie += g["opts"][2][2] == in_cookie.get(c)
        if g["src"] != app_port:
            bad["from %s, not port 'app' %s" % (g["src"], app_port)] += 1
    for what, n in bad.items():
        check(False, "%s: %d output packets %s" % (name, n, what))
    check(out_inner == in_inner, "%s: the inner packets out differ from those in" % name)
    split = [c for c, a in app_of.items() if len(a) != 1]
    check(not split, "%s: %d flows on more than one appliance (e.g. %s)" % (name, len(split), split[:1]))
    want_dirs = 2 if "both" in args else 1
    lop = [c for c, d2 in dirs.items() if len(d2) != want_dirs]
    check(not lop, "%s: %d flows without %d directions out" % (name, len(lop), want_dirs))
    multi = [c for c, k in out_cookies.items() if len(k) != 1]
    check(not multi, "%s: %d flows reached the appliances with more than one cookie" % (name, len(multi)))
    check(len(per_app) == n_apps, "%s: traffic reached %d of %d appliances: %s" %
          (name, len(per_app), n_apps, dict(per_app)))
    print("ok   %s: %d packets, %d flows, per appliance %s; gsteer's cookie equals the "
          "generator's on %d packets (both the symmetric flow hash)" %
          (name, len(out), len(app_of), dict(sorted(per_app.items())), same_cookie), flush=True)


def forward(dp, gen, tmp):
    forward_one(dp, gen, tmp, "defaults", ["--flows", "1000"], 2)
    forward_one(dp, gen, tmp, "v4-mix-both", ["--flows", "2000", "--proto", "mix",
                                              "--directions", "both", "--size", "imix",
                                              "--appliances", "4"], 4)
    forward_one(dp, gen, tmp, "v6v6-tcp-both", ["--flows", "1500", "--inner", "6", "--outer", "6",
                                               "--proto", "tcp", "--directions", "both",
                                               "--interleave", "no", "--size", "1400",
                                               "--appliances", "3"], 3)


def main(argv):
    if len(argv) >= 3:
        shutil.rmtree(argv[-1], ignore_errors=True)  # nothing stale from a failed run
    if len(argv) == 3 and argv[0] == "valid":
        os.makedirs(argv[2], exist_ok=True)
        valid(argv[1], argv[2])
    elif len(argv) == 4 and argv[0] == "forward":
        os.makedirs(argv[3], exist_ok=True)
        forward(argv[1], argv[2], argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    if FAILS:
        print("%d checks failed (files kept in %s)" % (len(FAILS), argv[-1]))
        return 1
    shutil.rmtree(argv[-1], ignore_errors=True)  # tens of MB of pcaps
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
