#!/usr/bin/env bash
# End to end over veth with native XDP: the topology of the DPDK e2e test
# (tests/e2e/topology.sh: an upstream GENEVE router with two hosts, three
# reference appliances on a bridge), with gsteer's port moved into its own
# namespace, given the listener and port addresses, and the XDP program
# attached natively by gsteer-xdp.  Checks:
#  1. real TCP and UDP flows complete through gsteer;
#  2. the appliances share the flows and no flow touched two appliances
#     (so both directions of every flow crossed one appliance);
#  3. failover: with UDP flows running, appliance a2 black-holes and is set
#     unhealthy; afterwards only flows that were on a2 have a second
#     appliance, every other flow stayed where it was, and the flows keep
#     getting answers.
#   test_xdp_e2e.sh BUILD_DIR
set -u
GS_BUILD=${1:?usage: test_xdp_e2e.sh BUILD_DIR}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
GS_P=gsx$$
GS_MGMT=192.168.51
GS_TMP=$(mktemp -d)
E2E=$(cd "$(dirname "$0")/../../tests/e2e" && pwd)
XDP="$GS_BUILD/kernel/gsteer-xdp"
. "$E2E/lib.sh"
DP=$GS_P-dp

. "$(dirname "$0")/xdp_topology.sh"
cleanup() {
	xdp_topo_down
	rm -rf "$GS_TMP"
}
trap cleanup EXIT

xdp_topo_up
xdp_config

start_appliances
start_upstream
topo_ns hb python3 "$E2E/flows.py" serve 192.168.2.2 5001 >"$GS_TMP/srv.log" 2>&1 &
GS_APP_PIDS+=($!)
gs_ns "$XDP" attach --config "$GS_TMP/gsteer.json" || fail "gsteer-xdp attach"
gs_ns ip -d link show "$DP" | grep -q "prog/xdp " || fail "no native XDP program on $DP"
xdp_wait_neighbours

xstats() { gs_ns "$XDP" stats --config "$GS_TMP/gsteer.json" --json; }

warm=$(timeout 30 ip netns exec "$GS_P-ha" python3 "$E2E/flows.py" run 192.168.2.2 5001 1 1 1 1000)
case "$warm" in *'"tcp_ok": 1'*) ;; *)
	xstats; cat "$GS_TMP/upstream.log"
	fail "no flow through gsteer: $warm" ;;
esac

# ---- 1 and 2: flows complete, shared, one appliance each -------------------
out=$(timeout 60 ip netns exec "$GS_P-ha" python3 "$E2E/flows.py" run 192.168.2.2 5001 40 20 3 200000)
echo "flows: $out"
stats=$(xstats)
echo "gsteer: $stats"
for i in 1 2 3; do app_ctl "$i" flows >"$GS_TMP/a$i.flows"; done

/usr/bin/python3 - "$out" "$stats" "$GS_TMP" <<'PY' || exit 1
import json, sys
flows, stats, tmp = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
errors = []
if stats["drops"]:
    errors.append("gsteer dropped packets: %s" % stats["drops"])
v = stats["verdicts"]
if v["to_appliance"] == 0 or abs(v["to_appliance"] - v["to_upstream"]) > 0.01 * v["to_appliance"]:
    errors.append("sent %d to appliances, returned %d to the upstream" % (v["to_appliance"], v["to_upstream"]))
if flows["tcp_failed"] or flows["tcp_ok"] != 40:
    errors.append("TCP flows: %d ok, %d failed of 40" % (flows["tcp_ok"], flows["tcp_failed"]))
# UDP has no retransmission: the single-threaded user-space upstream peer
# and the appliances lose datagrams under the TCP load on a busy 2-core host
# (more so in a sanitizer build); that gsteer loses none is checked above
# (no drops, to_appliance == to_upstream).  This only says UDP flows work.
if flows["udp_received"] < 0.3 * flows["udp_sent"]:
    errors.append("UDP: %d of %d echoes came back" % (flows["udp_received"], flows["udp_sent"]))
seen = {}
for i in (1, 2, 3):
    for line in open("%s/a%d.flows" % (tmp, i)):
        f = line.split()
        if len(f) == 5:
            seen.setdefault(tuple(f), set()).add(i)
ours = {k: s for k, s in seen.items() if "5001" in (k[2], k[4])}
split = {k: s for k, s in ours.items() if len(s) > 1}
if split:
    errors.append("flows seen at more than one appliance: %s" % list(split.items())[:3])
if len(ours) < 60:
    errors.append("appliances saw %d of the 60 flows" % len(ours))
per_app = [sum(1 for s in ours.values() if i in s) for i in (1, 2, 3)]
print("flows per appliance:", per_app)
if min(per_app) == 0:
    errors.append("an appliance got no flow: %s" % per_app)
# the 60 flows of this run (and the warm-up's) are all far from idle
if not 60 <= stats["flows_active"] <= 70:
    errors.append("flows_active %d, expected the 60 flows of the run (+ warm-up)" % stats["flows_active"])
for a in stats["appliances"]:
    if a["to_pkts"] == 0 or a["from_pkts"] == 0 or a["from_pkts"] > a["to_pkts"]:
        errors.append("gsteer counters for %s: to %d from %d" % (a["id"], a["to_pkts"], a["from_pkts"]))
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY

# ---- 3: failover moves only the failed appliance's flows -------------------
for i in 1 2 3; do app_ctl "$i" reset >/dev/null; done
timeout 60 ip netns exec "$GS_P-ha" python3 "$E2E/flows.py" run 192.168.2.2 5001 0 30 5 \
	>"$GS_TMP/fo.out" 2>&1 &
fo=$!
sleep 2
app_ctl 2 "mode blackhole" >/dev/null
gs_ns "$XDP" set-state --config "$GS_TMP/gsteer.json" fleet a2 unhealthy || fail "set-state"
sleep 1
for i in 1 2 3; do app_ctl "$i" "flows counts" >"$GS_TMP/fo$i.before"; done
wait "$fo"
for i in 1 2 3; do app_ctl "$i" "flows counts" >"$GS_TMP/fo$i.flows"; done
stats=$(xstats)
echo "failover flows: $(cat "$GS_TMP/fo.out")"
echo "gsteer: $stats"

/usr/bin/python3 - "$(cat "$GS_TMP/fo.out")" "$stats" "$GS_TMP" <<'PY' || exit 1
import json, sys
flows, stats, tmp = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
ports = {str(p) for p in flows["udp_ports"]}
errors = []
def load(suffix):
    seen = {}
    for i in (1, 2, 3):
        for line in open("%s/fo%d.%s" % (tmp, i, suffix)):
            f = line.split()
            if len(f) >= 5 and (f[2] in ports or f[4] in ports):
                seen.setdefault(tuple(f[:5]), {})[i] = int(f[5]) if len(f) > 5 else 0
    return seen
before, after = load("before"), load("flows")
on_a2 = {k for k, s in after.items() if 2 in s}
moved = {k for k in on_a2 if set(after[k]) - {2}}
stayed = {k: s for k, s in after.items() if 2 not in s}
print("failover: %d flows, %d were on a2, %d of them moved; %d never on a2"
      % (len(after), len(on_a2), len(moved), len(stayed)))
if len(after) < 30:
    errors.append("appliances saw %d of the 30 UDP flows" % len(after))
if not on_a2 or moved != on_a2:
    errors.append("flows on a2 not moved: %s" % sorted(on_a2 - moved)[:3])
bad = {k: s for k, s in stayed.items() if len(s) > 1}
if bad:
    errors.append("flows of healthy appliances changed appliance: %s" % list(bad.items())[:3])
# the moved flows keep working: their new appliance kept receiving after the
# switch (its count grew between the two snapshots)
stuck = [k for k in moved if all(after[k].get(i, 0) <= before.get(k, {}).get(i, 0)
                                 for i in (1, 3))]
if stuck:
    errors.append("moved flows got no traffic after the switch: %s" % stuck[:3])
if stats["drops"]:
    errors.append("gsteer dropped packets: %s" % stats["drops"])
if flows["udp_received"] < 0.6 * flows["udp_sent"]:
    errors.append("UDP: %d of %d echoes came back" % (flows["udp_received"], flows["udp_sent"]))
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY
# ---- 4: a restart (attach again) keeps flows, counters and states -------------
rx_before=$(xstats | /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["verdicts"]["rx"], s["flows_active"])')
for i in 1 2 3; do app_ctl "$i" reset >/dev/null; done
timeout 60 ip netns exec "$GS_P-ha" python3 "$E2E/flows.py" run 192.168.2.2 5001 0 20 3 \
	>"$GS_TMP/rs.out" 2>&1 &
rs=$!
sleep 1
gs_ns "$XDP" attach --config "$GS_TMP/gsteer.json" || fail "gsteer-xdp attach again"
wait "$rs"
for i in 1 2 3; do app_ctl "$i" flows >"$GS_TMP/rs$i.flows"; done
stats=$(xstats)
/usr/bin/python3 - "$(cat "$GS_TMP/rs.out")" "$stats" "$GS_TMP" $rx_before <<'PY' || exit 1
import json, sys
flows, stats, tmp = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
rx_before, active_before = int(sys.argv[4]), int(sys.argv[5])
ports = {str(p) for p in flows["udp_ports"]}
errors = []
seen = {}
for i in (1, 2, 3):
    for line in open("%s/rs%d.flows" % (tmp, i)):
        f = line.split()
        if len(f) == 5 and (f[2] in ports or f[4] in ports):
            seen.setdefault(tuple(f), set()).add(i)
print("restart: %d flows, rx %d -> %d, flows_active %d -> %d" % (
    len(seen), rx_before, stats["verdicts"]["rx"], active_before, stats["flows_active"]))
if len(seen) < 20:
    errors.append("appliances saw %d of the 20 flows" % len(seen))
if any(len(s) > 1 for s in seen.values()):
    errors.append("flows changed appliance across the restart")
if any(2 in s for s in seen.values()):
    errors.append("unhealthy a2 got flows after the restart: its state was reset")
if stats["verdicts"]["rx"] <= rx_before or stats["flows_active"] < active_before:
    errors.append("counters or flows were reset by the restart")
if flows["udp_received"] < 0.9 * flows["udp_sent"]:
    errors.append("UDP across the restart: %d of %d echoes" % (flows["udp_received"], flows["udp_sent"]))
if stats["drops"]:
    errors.append("gsteer dropped packets: %s" % stats["drops"])
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY
echo "PASS: end to end over veth with native XDP"
