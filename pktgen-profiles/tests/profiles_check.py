#!/usr/bin/python3
"""Checks every Pktgen-DPDK profile in pktgen-profiles/ without pktgen.

  profiles_check.py GENERATOR PROFILE_DIR TMPDIR [LUA]

For each *.pkt and *.lua file:
- the header comment has every field (Profile, Measures, Ports, Lcores,
  Rate, Pcap, Config, Generate, Pktgen, Gsteer, Read), Profile is the file's
  name, Ports is "tx P[, rx Q]";
- the Generate command is a gsteer-pcapgen command whose --out and
  --config-out are the Pcap and Config named; it is run (in TMPDIR; with
  --dry-run only when it would write more than 1,100,000 packets) and the
  pcap must be a classic microsecond pcap of at least 8192 packets (pktgen
  24.07.x), the config must put --devargs-in/--devargs-out on its ports;
- the Pktgen command line: one port per lcore in -m (24.07.1 maps only the
  first port of a range), lcores inside -l and not its first (main) lcore,
  the ports mapped are exactly the header's, -s names the tx port and the
  Pcap, -f names the file itself, -j whenever a frame exceeds 1514 bytes;
  the header's Lcores names the same -l list;
- the body: .pkt lines are commands pktgen's CLI takes (set, enable,
  disable, start, stop, clr, sleep, delay, lua, quit) on ports of the
  header, the tx port's rate is set to Rate and switched to pcap replay,
  lua lines hold no backslash; .lua scripts set the tx port's rate to Rate
  with pktgen.set, switch it to pcap replay and start it; and every piece
  of Lua runs under LUA (lua5.3) against tests/fake_pktgen.lua, which
  rejects calls outside pktgen's API or to ports that do not exist, and
  must write its results file.

Exit 0 when every profile passes; each failure prints a FAIL line.
"""
import glob
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys

FIELDS = ["Profile", "Measures", "Ports", "Lcores", "Rate", "Pcap", "Config",
          "Generate", "Pktgen", "Gsteer", "Read"]
PKT_COMMANDS = {"set", "enable", "disable", "start", "stop", "clr", "sleep",
                "delay", "lua", "quit"}
REAL_LIMIT = 1100000
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL " + what, flush=True)
    return cond


def header(path):
    """-> ({field: text}, body lines)"""
    lines = open(path).read().splitlines()
    mark = "#" if path.endswith(".pkt") else "--"
    fields, key, i = {}, None, 0
    for i, line in enumerate(lines):
        if not line.startswith(mark):
            break
        text = line[len(mark):]
        m = re.match(r" ([A-Z][a-z]+): ?(.*)$", text)
        if m and m.group(1) in FIELDS:
            key = m.group(1)
            fields[key] = m.group(2).strip()
        elif key and text.startswith("   "):
            fields[key] += " " + text.strip()
        else:
            key = None
    return fields, lines[i:]


def opt(args, name):
    vals = [args[i + 1] for i, a in enumerate(args[:-1]) if a == name]
    return vals[-1] if vals else None


def pcap_info(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack_from("<I", hdr, 0)[0]
        n, biggest = 0, 0
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            incl = struct.unpack_from("<I", rec, 8)[0]
            f.seek(incl, 1)
            n += 1
            biggest = max(biggest, incl)
    return magic, n, biggest


def check_generate(name, f, gen, tmp):
    args = shlex.split(f["Generate"])
    if not check(args and args[0] == "gsteer-pcapgen",
                 "%s: Generate is not a gsteer-pcapgen command" % name):
        return None
    check(opt(args, "--out") == f["Pcap"], "%s: Generate --out %s is not Pcap %s" %
          (name, opt(args, "--out"), f["Pcap"]))
    check(opt(args, "--config-out") == f["Config"], "%s: Generate --config-out %s is not Config %s" %
          (name, opt(args, "--config-out"), f["Config"]))
    cwd = os.path.join(tmp, name)
    os.makedirs(os.path.join(cwd, os.path.dirname(f["Pcap"]) or "."), exist_ok=True)
    os.makedirs(os.path.join(cwd, os.path.dirname(f["Config"]) or "."), exist_ok=True)
    dry = subprocess.run([gen] + args[1:] + ["--dry-run"], cwd=cwd, capture_output=True, text=True)
    if not check(dry.returncode == 0, "%s: Generate --dry-run failed: %s" % (name, dry.stderr.strip())):
        return None
    m = re.search(r": (\d+) packets, .*frames (\d+) to (\d+) bytes", dry.stdout)
    if not check(m, "%s: unexpected --dry-run output %r" % (name, dry.stdout)):
        return None
    packets, biggest = int(m.group(1)), int(m.group(3))
    check(packets >= 8192, "%s: %d packets; pktgen 24.07.x needs at least 8192" % (name, packets))
    if packets <= REAL_LIMIT:
        p = subprocess.run([gen] + args[1:], cwd=cwd, capture_output=True, text=True)
        if check(p.returncode == 0, "%s: Generate failed: %s" % (name, p.stderr.strip())):
            pcap = os.path.join(cwd, f["Pcap"])
            magic, n, big = pcap_info(pcap)
            check(magic == 0xA1B2C3D4, "%s: %s is not a microsecond pcap (magic %08x)" %
                  (name, f["Pcap"], magic))
            check(n == packets and big == biggest, "%s: pcap has %d packets (largest %d), --dry-run said %d (%d)" %
                  (name, n, big, packets, biggest))
            conf = json.load(open(os.path.join(cwd, f["Config"])))
            ports = conf["dataplane"]["ports"]
            for i, o in ((0, "--devargs-in"), (1, "--devargs-out")):
                if opt(args, o):
                    check(ports[i]["devargs"] == opt(args, o), "%s: config port %d devargs %r, not %s %r" %
                          (name, i, ports[i]["devargs"], o, opt(args, o)))
            check(all(pt["mtu"] + 14 >= biggest for pt in ports),
                  "%s: config MTU below the largest frame %d" % (name, biggest))
            apps = conf["target_groups"][0]["appliances"]
            check(len(apps) == int(opt(args, "--appliances") or 2),
                  "%s: config has %d appliances" % (name, len(apps)))
            os.unlink(pcap)  # keep the build directory small
        print("ok   %s: generated %d packets, largest frame %d" % (name, packets, biggest), flush=True)
    else:
        print("ok   %s: --dry-run accepted %d packets (not written: over %d), largest frame %d" %
              (name, packets, REAL_LIMIT, biggest), flush=True)
    return biggest


def lcore_list(s):
    out = set()
    for part in s.split(","):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def check_pktgen_line(name, f, path, tx, rx, biggest):
    words = shlex.split(f["Pktgen"])
    while words and re.match(r"^[A-Z_]+=", words[0]):
        words.pop(0)
    if not check(words and words[0] == "pktgen" and "--" in words,
                 "%s: Pktgen is not 'pktgen EAL -- APP' (%s)" % (name, f["Pktgen"])):
        return
    eal, app = words[1:words.index("--")], words[words.index("--") + 1:]
    l_opt = opt(eal, "-l")
    if not check(l_opt and re.match(r"^[\d,-]+$", l_opt), "%s: pktgen needs -l" % name):
        return
    lcores = lcore_list(l_opt)
    main = min(lcores)
    check(re.search(r"pktgen -l %s\b" % re.escape(l_opt), f["Lcores"]),
          "%s: Lcores does not name pktgen -l %s" % (name, l_opt))
    maps = [app[i + 1] for i, a in enumerate(app[:-1]) if a == "-m"]
    mapped, used = set(), set()
    for m in maps:
        mm = re.match(r"^(\d+)\.(\d+)$", m)
        if not check(mm, "%s: -m %s is not LCORE.PORT (24.07.1 maps only the first port of a range)" %
                     (name, m)):
            continue
        lc, port = int(mm.group(1)), int(mm.group(2))
        check(lc in lcores and lc != main, "%s: -m %s: lcore %d not a worker of -l %s" %
              (name, m, lc, l_opt))
        check(lc not in used and port not in mapped, "%s: -m %s maps an lcore or port twice" % (name, m))
        used.add(lc)
        mapped.add(port)
        check(("-m %s" % m) in f["Lcores"], "%s: Lcores does not show -m %s" % (name, m))
    check(mapped == tx | rx, "%s: -m maps ports %s, the header says %s" %
          (name, sorted(mapped), sorted(tx | rx)))
    s_opt = opt(app, "-s")
    check(s_opt == "%d:%s" % (min(tx), f["Pcap"]),
          "%s: -s %s does not load Pcap %s on tx port %d" % (name, s_opt, f["Pcap"], min(tx)))
    check(opt(app, "-f") == os.path.basename(path), "%s: -f %s is not the profile itself" %
          (name, opt(app, "-f")))
    if biggest is not None:
        check(biggest <= 1514 or "-j" in app,
              "%s: frames up to %d bytes need pktgen's -j (jumbo)" % (name, biggest))


def run_lua(lua, name, tmp, ports, code=None, script=None, env_extra=None):
    outdir = os.path.join(tmp, name, "out")
    os.makedirs(outdir, exist_ok=True)
    logf = os.path.join(tmp, name, "fake.log")
    env = dict(os.environ, FAKE_LOG=logf, FAKE_OUTDIR=outdir,
               FAKE_PORTS=",".join(str(p) for p in sorted(ports)))
    env.pop("GSTEER_RESULTS", None)
    env.update(env_extra or {})
    harness = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_pktgen.lua")
    cmd = [lua, harness] + (["-e", code] if code is not None else [script])
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "%s: Lua failed under the fake pktgen: %s" % (name, (p.stderr or p.stdout).strip()))
    return logf, outdir


def check_pkt_body(name, body, tx, rx, rate, lua, tmp):
    ports = tx | rx
    seen_rate = seen_pcap = seen_start = False
    for line in body:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        w = s.split()
        if not check(w[0] in PKT_COMMANDS, "%s: '%s' is not a pktgen command a .pkt may use" % (name, s)):
            continue
        if w[0] == "lua":
            check("\\" not in s, "%s: a lua line holds a backslash: %s" % (name, s))
            m = re.match(r"^lua '(.*)'$", s)
            if check(m and "'" not in m.group(1), "%s: lua line is not lua '...': %s" % (name, s)) and lua:
                run_lua(lua, name, tmp, ports, code=m.group(1))
            continue
        if w[0] in ("set", "enable", "disable", "start", "stop"):
            if not check(len(w) >= 2 and re.match(r"^[\d,]+$", w[1]), "%s: no port list in '%s'" % (name, s)):
                continue
            pl = {int(p) for p in w[1].split(",")}
            check(pl <= ports, "%s: '%s' names a port outside %s" % (name, s, sorted(ports)))
            if w[0] == "set" and len(w) == 4 and w[2] == "rate":
                check(pl <= tx and float(w[3]) == rate, "%s: '%s' but Rate is %s on tx %s" %
                      (name, s, rate, sorted(tx)))
                seen_rate = True
            if w[0] == "enable" and w[2:] == ["pcap"]:
                check(pl <= tx, "%s: pcap replay on a port that is not tx: %s" % (name, s))
                seen_pcap = True
            if w[0] == "start":
                check(pl <= tx, "%s: '%s' starts a port that is not tx" % (name, s))
                seen_start = True
    check(seen_rate, "%s: never sets the tx port's rate" % name)
    check(seen_pcap, "%s: never switches the tx port to pcap replay (enable P pcap)" % name)
    check(seen_start, "%s: never starts the tx port" % name)


def check_lua_body(name, path, tx, rx, rate, lua, tmp):
    text = open(path).read()
    txp, rxp = min(tx), (min(rx) if rx else None)
    m = re.search(r'^local TX, RX = "(\d+)", "(\d+)"$', text, re.M)
    check(m and int(m.group(1)) == txp and int(m.group(2)) == rxp,
          "%s: 'local TX, RX = \"%s\", \"%s\"' missing" % (name, txp, rxp))
    sets = re.findall(r'pktgen\.set\("(\d+)", "rate", (\d+)\)', text)
    check(sets == [(str(txp), str(int(rate)))], "%s: rate settings %s, expected one pktgen.set(\"%d\", \"rate\", %d)" %
          (name, sets, txp, rate))
    if not lua:
        return
    logf, outdir = run_lua(lua, name, tmp, tx | rx, script=path,
                           env_extra={"GSTEER_CTL": "echo"})
    log = open(logf).read().splitlines() if os.path.exists(logf) else []
    check("pcap %d on" % txp in log, "%s: never switches port %d to pcap replay" % (name, txp))
    check("start %d" % txp in log, "%s: never starts port %d" % (name, txp))
    check("set %d rate %d" % (txp, rate) in log, "%s: never sets port %d rate %d" % (name, txp, rate))
    check("stop %d" % txp in log, "%s: never stops port %d" % (name, txp))
    results = os.listdir(outdir)
    check(results, "%s: wrote no results file" % name)
    for r in results:
        lines = open(os.path.join(outdir, r)).read().splitlines()
        check(any(l.startswith("total,") for l in lines), "%s: %s has no total line" % (name, r))


def check_make_pcaps(gen, pdir, tmp):
    """make-pcaps.sh runs a profile's Generate line; options after -- win"""
    d = os.path.join(tmp, "make-pcaps")
    p = subprocess.run(["bash", os.path.join(pdir, "make-pcaps.sh"), "--gen", gen, "--dir", d,
                        "line-rate-64-1flow", "--", "--dst-mac", "3c:fd:fe:aa:bb:00",
                        "--devargs-in", "0000:17:00.0"], capture_output=True, text=True)
    if not check(p.returncode == 0, "make-pcaps.sh failed: %s" % p.stderr.strip()):
        return
    f, _ = header(os.path.join(pdir, "line-rate-64-1flow.pkt"))
    with open(os.path.join(d, f["Pcap"]), "rb") as fp:
        first = fp.read(24 + 16 + 6)[40:]
    check(first == bytes.fromhex("3cfdfeaabb00"), "make-pcaps.sh: --dst-mac after -- did not win (%s)" %
          first.hex())
    conf = json.load(open(os.path.join(d, f["Config"])))
    check(conf["dataplane"]["ports"][0]["devargs"] == "0000:17:00.0",
          "make-pcaps.sh: --devargs-in after -- did not win")
    print("ok   make-pcaps.sh", flush=True)


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    gen, pdir, tmp = os.path.abspath(argv[0]), argv[1], argv[2]
    lua = argv[3] if len(argv) == 4 else None
    if not lua:
        print("note: no lua5.3 given: the profiles' Lua is not run")
    shutil.rmtree(tmp, ignore_errors=True)  # nothing stale from a failed run
    os.makedirs(tmp, exist_ok=True)
    files = sorted(glob.glob(os.path.join(pdir, "*.pkt")) + glob.glob(os.path.join(pdir, "*.lua")))
    check(len(files) >= 6, "only %d profiles in %s" % (len(files), pdir))
    for path in files:
        name = os.path.splitext(os.path.basename(path))[0]
        f, body = header(path)
        missing = [k for k in FIELDS if not f.get(k)]
        if not check(not missing, "%s: header lacks %s" % (name, ", ".join(missing))):
            continue
        check(f["Profile"] == name, "%s: Profile says %s" % (name, f["Profile"]))
        m = re.match(r"^tx ([\d,]+)(?:, rx ([\d,]+))?\b", f["Ports"])
        if not check(m, "%s: Ports must start 'tx P, rx Q'" % name):
            continue
        tx = {int(p) for p in m.group(1).split(",")}
        rx = {int(p) for p in (m.group(2) or "").split(",") if p}
        rm = re.match(r"^(\d+)\b", f["Rate"])
        if not check(rm and 0 < int(rm.group(1)) <= 100, "%s: Rate %r is not a percentage" % (name, f["Rate"])):
            continue
        rate = int(rm.group(1))
        biggest = check_generate(name, f, gen, tmp)
        check_pktgen_line(name, f, path, tx, rx, biggest)
        check(f["Config"] in f["Gsteer"] and f["Gsteer"].startswith("gsteer-dataplane --config"),
              "%s: Gsteer does not run gsteer-dataplane on Config" % name)
        if path.endswith(".pkt"):
            check_pkt_body(name, body, tx, rx, rate, lua, tmp)
        else:
            check_lua_body(name, path, tx, rx, rate, lua, tmp)
        print("ok   %s" % name, flush=True)
    check_make_pcaps(gen, pdir, tmp)
    if FAILS:
        print("%d checks failed (files kept in %s)" % (len(FAILS), tmp))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("all %d profiles passed" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
