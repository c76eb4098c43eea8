#!/usr/bin/python3
"""Collect what scripts/bench.sh measured into one JSON file and a plot.

bench_report.py --tmp DIR --json OUT.json --png OUT.png [--mem TEXT] [--build DIR]

DIR holds inproc*.json (bench_pipeline --json), e2e.txt (lines "flows
gsteer_mpps io_mpps 5tswap_mpps ratio_io ratio_5tswap", medians) and maglev.txt (bench_maglev's output).
The plot (matplotlib, Debian's python3-matplotlib) shows Mpps against
active flows: gsteer end to end beside testpmd io and 5tswap on the same
input, and gsteer's in-process rate per core.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess


def load(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--mem", default="")
    ap.add_argument("--build", default="")
    a = ap.parse_args()

    inproc = load(os.path.join(a.tmp, "inproc.json"), []) + \
        load(os.path.join(a.tmp, "inproc10m.json"), [])
    inproc2 = load(os.path.join(a.tmp, "inproc2.json"), [])
    e2e = []
    try:
        for line in open(os.path.join(a.tmp, "e2e.txt")):
            n, gs, io, sw, r1, r2 = line.split()
            e2e.append({"flows": int(n), "gsteer_mpps": round(float(gs), 3),
                        "testpmd_io_mpps": round(float(io), 3),
                        "testpmd_5tswap_mpps": round(float(sw), 3),
                        "ratio_io": round(float(r1), 3), "ratio_5tswap": round(float(r2), 3)})
    except OSError:
        pass
    maglev = []
    try:
        for line in open(os.path.join(a.tmp, "maglev.txt")):
            m = re.match(r"\s*(\d+)\s+(\d+)\s+(.+?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", line)
            if m:
                maglev.append({"appliances": int(m[1]), "slots": int(m[2]), "weights": m[3],
                               "build_ms": float(m[4]), "ref_ms": float(m[5])})
    except OSError:
        pass
    try:
        cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"Model name:\s*(.+)", cpu)[1].strip()
    except (OSError, TypeError):
        model = platform.processor()
    res = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpu": model, "cores": os.cpu_count(), "memory": a.mem},
        "build": a.build,
        "inprocess_1_worker": inproc,
        "inprocess_2_workers": inproc2,
        "end_to_end": e2e,
        "maglev": maglev,
    }
    with open(a.json, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    if e2e:
        xs = [r["flows"] for r in e2e]
        ax.plot(xs, [r["testpmd_io_mpps"] for r in e2e], "s--", color="grey",
                label="testpmd io (end to end)")
        ax.plot(xs, [r["testpmd_5tswap_mpps"] for r in e2e], "^--", color="black",
                label="testpmd 5tswap (end to end)")
        ax.plot(xs, [r["gsteer_mpps"] for r in e2e], "o-", color="tab:blue",
                label="gsteer (end to end)")
    for d, style in (("upstream", "o:"), ("return", "x:")):
        pts = sorted((r["flows"], r["mpps_per_core"]) for r in inproc
                     if r.get("kind") == "hit" and r.get("dir") == d and r.get("size") == 64)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color="tab:orange",
                    label="gsteer in process, %s, per core" % d)
    ax.set_xscale("log")
    ax.set_xlabel("active flows")
    ax.set_ylabel("Mpps (64-byte inner packets, 1 worker core)")
    ax.set_title("gsteer beside testpmd, same input, same run (%s)" % res["date"][:10])
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(a.png, dpi=110)
    print("wrote %s and %s" % (a.json, a.png))


if __name__ == "__main__":
    main()
