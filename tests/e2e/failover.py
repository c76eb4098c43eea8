#!/usr/bin/env python3
"""Checks and figures for the failover end-to-end test and the demo.

Every check reads the truth from the outside: which appliances saw a flow
comes from the appliances' own flow lists (TMP/a<i>.flows, written by
`gsteer-appliance` and dumped by the test), what the flows went through from
flows.py, when gsteerd noticed from its events.

  failover.py blackhole STREAM TMP N VICTIM T0_NS EVENTS BOUND_MS MODE
      MODE rebalance: the victim's flows moved to others and went on;
      MODE no_rebalance: they stayed on the victim.  Either way no flow of
      another appliance moved or lost a packet, and gsteerd marked the
      victim unhealthy within BOUND_MS of T0.
  failover.py drain STREAM RUN TMP N DRAINED
      flows that were on DRAINED before the drain stayed there and lost
      nothing; none of the flows started after it (RUN) reached it.
  failover.py steady STREAM TMP N MAX_LOST
      every flow stayed on one appliance and went on to its end, losing at
      most MAX_LOST requests in all (gsteerd or the data plane restarted
      under it).
Prints one JSON line of figures; exits 1 with FAIL lines on a failed check.
"""
import json
import sys


def placement(tmp, n):
    """client port -> set of appliances that saw the flow"""
    where = {}
    for i in range(1, n + 1):
        for line in open("%s/a%d.flows" % (tmp, i)):
            f = line.split()
            if len(f) == 5 and "5001" in (f[2], f[4]):
                port = int(f[4] if f[2] == "5001" else f[2])
                where.setdefault(port, set()).add(i)
    return where


def flows_of(stream_path):
    return json.load(open(stream_path))["flows"]


def blackhole(stream, tmp, n, victim, t0_ns, events, bound_ms, mode):
    errors, where = [], placement(tmp, int(n))
    victim, t0 = int(victim), int(t0_ns) / 1e9
    ev = [e for e in json.load(open(events))["events"]
          if e["appliance"] == "a%d" % victim and e["to"] == "unhealthy"]
    detect_ms = None
    if not ev:
        errors.append("gsteerd never marked a%d unhealthy" % victim)
    else:
        detect_ms = (ev[0]["at_ns"] / 1e9 - t0) * 1000
        if detect_ms > float(bound_ms):
            errors.append("a%d marked unhealthy %.0f ms after the black hole (bound %s ms)"
                          % (victim, detect_ms, bound_ms))
    moved = lost_moved = 0
    failover_ms = []
    for f in flows_of(stream):
        apps = where.get(f["port"], set())
        if not apps:
            errors.append("%s flow %d seen by no appliance" % (f["proto"], f["port"]))
            continue
        if victim not in apps:
            if len(apps) > 1 or f["lost"] or not f["ok"]:
                errors.append("%s flow %d of a healthy appliance disturbed: apps %s lost %d ok %s"
                              % (f["proto"], f["port"], sorted(apps), f["lost"], f["ok"]))
            continue
        if mode == "rebalance":
            if len(apps) < 2:
                errors.append("%s flow %d stayed on the black hole a%d"
                              % (f["proto"], f["port"], victim))
                continue
            moved += 1
            lost_moved += f["lost"]
            if not f["ok"] or f["received"] == 0:
                errors.append("%s flow %d did not go on after moving" % (f["proto"], f["port"]))
            if f["lost_last"]:
                # the last unanswered request left this long after the black
                # hole began: from then on the flow was through another
                failover_ms.append((f["lost_last"] - t0) * 1000)
        elif len(apps) > 1:
            errors.append("%s flow %d moved under no_rebalance: %s"
                          % (f["proto"], f["port"], sorted(apps)))
    figures = {"detect_ms": detect_ms, "flows_moved": moved,
               "requests_lost_on_moved_flows": lost_moved,
               "failover_ms_max": max(failover_ms) if failover_ms else None,
               "flows_total": len(flows_of(stream))}
    return errors, figures


def drain(stream, run, tmp, n, drained):
    errors, where, drained = [], placement(tmp, int(n)), int(drained)
    old = flows_of(stream)
    on_drained = [f for f in old if drained in where.get(f["port"], set())]
    for f in old:
        apps = where.get(f["port"], set())
        if len(apps) > 1 or f["lost"] or not f["ok"]:
            errors.append("existing %s flow %d disturbed by the drain: apps %s lost %d"
                          % (f["proto"], f["port"], sorted(apps), f["lost"]))
    if not on_drained:
        errors.append("no flow was on a%d before the drain: nothing was tested" % drained)
    new = json.load(open(run))
    ports = new["tcp_ports"] + new["udp_ports"]
    reached = [p for p in ports if drained in where.get(p, set())]
    if reached:
        errors.append("%d new flows reached the draining a%d" % (len(reached), drained))
    if new["tcp_failed"]:
        errors.append("%d new TCP flows failed during the drain" % new["tcp_failed"])
    return errors, {"existing_on_drained": len(on_drained), "new_flows": len(ports),
                    "new_on_drained": len(reached)}


def steady(stream, tmp, n, max_lost):
    errors, where = [], placement(tmp, int(n))
    flows = flows_of(stream)
    for f in flows:
        apps = where.get(f["port"], set())
        if len(apps) != 1 or not f["ok"]:
            errors.append("%s flow %d: apps %s ok %s" % (f["proto"], f["port"], sorted(apps), f["ok"]))
    lost = sum(f["lost"] for f in flows)
    if lost > int(max_lost):
        errors.append("%d requests lost (at most %s allowed)" % (lost, max_lost))
    return errors, {"flows": len(flows), "lost": sum(f["lost"] for f in flows),
                    "max_gap_ms": max(f["max_gap_ms"] for f in flows)}


def main(argv):
    cmds = {"blackhole": (blackhole, 8), "drain": (drain, 5), "steady": (steady, 4)}
    if not argv or argv[0] not in cmds or len(argv) - 1 != cmds[argv[0]][1]:
        sys.stderr.write(__doc__)
        return 2
    errors, figures = cmds[argv[0]][0](*argv[1:])
    print(json.dumps(figures))
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
