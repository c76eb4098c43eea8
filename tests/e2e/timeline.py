#!/usr/bin/env python3
"""The demo's timeline and plot data, from what each part recorded.

  timeline.py DIR N_APPLIANCES
Reads, in DIR: marks.txt ("epoch_ns name [appliance]" per demo event, in
order), events.json (gsteerd's events, possibly from two gsteerd runs:
one JSON object per line), stream.json (flows.py stream), a<i>.flows (the
appliances' flow lists), samples.csv (sampler.py).  Writes DIR/timeline.txt
and DIR/pps.dat (seconds, then packets/s to each appliance) and prints the
timeline.
"""
import collections
import json
import sys

from failover import placement  # which appliances saw each flow


def load_events(path):
    events = []
    for line in open(path):
        line = line.strip()
        if line:
            events += json.loads(line).get("events", [])
    return sorted(events, key=lambda e: e["at_ns"])


PPS_WINDOW = 0.5  # seconds a rate is averaged over: 100 ms samples jitter


def pps(d, n, t0):
    rows = collections.defaultdict(dict)
    hist = collections.defaultdict(list)
    for line in open("%s/samples.csv" % d):
        t, app, _state, tx, _rx = line.strip().split(",")
        t, tx = float(t), int(tx)
        h = hist[app]
        if h and tx < h[-1][1]:
            h.clear()  # a restarted data plane counts from zero again
        h.append((t, tx))
        while len(h) > 2 and h[1][0] <= t - PPS_WINDOW:
            h.pop(0)
        if len(h) > 1 and h[0][0] < t:
            rows[round(t - t0, 1)][app] = (tx - h[0][1]) / (t - h[0][0])
    apps = ["a%d" % i for i in range(1, n + 1)]
    with open("%s/pps.dat" % d, "w") as f:
        f.write("# seconds " + " ".join(apps) + "\n")
        for t in sorted(rows):
            f.write("%.1f %s\n" % (t, " ".join("%.0f" % rows[t].get(a, 0) for a in apps)))


def main(d, n):
    n = int(n)
    marks = []
    for line in open("%s/marks.txt" % d):
        p = line.split()
        marks.append((int(p[0]) / 1e9, p[1], p[2] if len(p) > 2 else None))
    t0 = marks[0][0]
    events = load_events("%s/events.json" % d)
    flows = json.load(open("%s/stream.json" % d))["flows"]
    where = placement(d, n)
    lines = ["gsteer demo timeline (seconds from the start of traffic)", ""]
    lines.append("%-8s %-28s %-14s %-13s %-12s %s" % ("at", "event", "noticed after", "flows moved",
                                                     "requests lost", "notes"))
    for k, (t, name, app) in enumerate(marks):
        if name == "start" or name == "end":
            continue
        t_next = marks[k + 1][0] if k + 1 < len(marks) else t + 1e9
        lost = sum(1 for f in flows for x in f.get("lost_times", []) if t <= x < t_next)
        noticed, moved, notes = "-", 0, ""
        if name == "blackhole":
            ev = [e for e in events if e["appliance"] == app and e["to"] == "unhealthy"
                  and e["at_ns"] / 1e9 >= t - 0.05]
            if ev:
                noticed = "%.0f ms" % ((ev[0]["at_ns"] / 1e9 - t) * 1000)
                notes = ev[0]["why"]
            victim = int(app[1:])
            moved = sum(1 for f in flows if victim in where.get(f["port"], set())
                        and len(where[f["port"]]) > 1)
            healthy_lost = sum(f["lost"] for f in flows if victim not in where.get(f["port"], set()))
            # a moved flow's last unanswered request left this long after the
            # event: later ones went through another appliance
            back = [x - t for f in flows if victim in where.get(f["port"], set())
                    for x in f.get("lost_times", []) if x >= t]
            if back:
                notes += "; moved flows answered again after %.0f ms" % (max(back) * 1000)
            notes += "; requests lost on other appliances' flows: %d" % healthy_lost
        elif name == "drain":
            ev = [e for e in events if e["appliance"] == app and e["to"] == "draining"
                  and e["at_ns"] / 1e9 >= t - 0.05]
            if ev:
                noticed = "%.0f ms" % ((ev[0]["at_ns"] / 1e9 - t) * 1000)
            victim = int(app[1:])
            on_it = sum(1 for f in flows if where.get(f["port"]) == {victim})
            notes = "%d flows stay on %s until they end; new flows go elsewhere" % (on_it, app)
        elif name in ("gsteerd_stop", "gsteerd_start"):
            changes = [e for e in events if t <= e["at_ns"] / 1e9 < t_next]
            notes = "state changes in this interval: %d" % len(changes)
        lines.append("%-8.2f %-28s %-14s %-13d %-12d %s" % (t - t0, name + (" " + app if app else ""),
                                                           noticed, moved, lost, notes))
    lines += ["", "flows in the stream: %d (%d TCP, %d UDP); every flow kept going: %s" % (
        len(flows), sum(f["proto"] == "tcp" for f in flows), sum(f["proto"] == "udp" for f in flows),
        all(f["ok"] for f in flows))]
    lines += ["", "gsteerd events:"]
    for e in events:
        lines.append("  %7.2f  %s/%s %s -> %s (%s)" % (e["at_ns"] / 1e9 - t0, e["group"], e["appliance"],
                                                       e["from"], e["to"], e["why"]))
    text = "\n".join(lines) + "\n"
    open("%s/timeline.txt" % d, "w").write(text)
    sys.stdout.write(text)
    pps(d, n, t0)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
