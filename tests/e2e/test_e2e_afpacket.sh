#!/usr/bin/env bash
# End to end over net_af_packet: real TCP and UDP flows between two hosts
# behind a GENEVE upstream go through gsteer-dataplane to three reference
# appliances and back.  Checks: every flow completes, the appliances share
# the flows, no flow touched two appliances (so both directions of each flow
# went through one), and gsteer's counters agree.
set -u
GS_BUILD=${1:?usage: test_e2e_afpacket.sh BUILD_DIR}
GS_P=gse$$
GS_TMP=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
# bounded: every step that waits has its own timeout (and meson's on top)
trap 'stop_all; rm -rf "$GS_TMP"' EXIT

topo_up || fail "topology"
start_appliances
start_upstream
start_dataplane
topo_ns hb python3 "$(dirname "$0")/flows.py" serve 192.168.2.2 5001 >"$GS_TMP/srv.log" 2>&1 &
sleep 0.5

# the first packets wait for ARP on every hop; warm the path once
warm=$(timeout 30 ip netns exec "$GS_P-ha" python3 "$(dirname "$0")/flows.py" run 192.168.2.2 5001 1 1 1 1000)
case "$warm" in *'"tcp_ok": 1'*) ;; *)
	gs_ctl '{"cmd":"show_stats"}'; cat "$GS_TMP/upstream.log"
	fail "no flow through gsteer: $warm" ;;
esac

out=$(timeout 60 ip netns exec "$GS_P-ha" python3 "$(dirname "$0")/flows.py" run 192.168.2.2 5001 40 20 3 200000)
echo "flows: $out"
stats=$(gs_ctl '{"cmd":"show_stats"}')
apps=$(gs_ctl '{"cmd":"show_appliances"}')
echo "gsteer: $stats"
echo "appliances: $apps"
for i in $(seq 1 "$GS_N_APPLIANCES"); do app_ctl "$i" flows >"$GS_TMP/a$i.flows"; done

/usr/bin/python3 - "$out" "$apps" "$GS_TMP" "$GS_N_APPLIANCES" "$stats" <<'PY' || exit 1
import json, sys
flows, apps, tmp, n = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4])
stats = json.loads(sys.argv[5])
errors = []
# slow-path traffic (ICMP unreachable from hosts, stray ARP, IPv6 multicast
# chatter on the veth) is fine;
# no data packet may be dropped
lost = {k: v for k, v in stats["drops"].items() if v and k not in ("icmp_ignored", "arp_ignored", "not_for_us")}
if lost:
    errors.append("gsteer dropped packets: %s" % lost)
c = stats["counters"]
if c["to_appliance"] != c["to_upstream"]:
    errors.append("sent %d to appliances, returned %d to the upstream" % (c["to_appliance"], c["to_upstream"]))
if flows["tcp_failed"] or flows["tcp_ok"] != 40:
    errors.append("TCP flows: %d ok, %d failed of 40" % (flows["tcp_ok"], flows["tcp_failed"]))
# UDP has no retransmission: the single-threaded user-space upstream peer
# and kernel buffers lose datagrams under the TCP load on a busy 2-core host
# (286 of 560 came back in one CI run with gsteer's counters balanced); that
# gsteer loses none is checked above (no drops, to_appliance ==
# to_upstream).  This only says UDP flows work, as the XDP test does.
if flows["udp_received"] < 0.3 * flows["udp_sent"]:
    errors.append("UDP: %d of %d echoes came back" % (flows["udp_received"], flows["udp_sent"]))
seen = {}
for i in range(1, n + 1):
    for line in open("%s/a%d.flows" % (tmp, i)):
        f = line.split()
        if len(f) != 5:
            continue
        seen.setdefault(tuple(f), set()).add(i)
# the test's own flows (host a port <-> host b 5001)
ours = {k: v for k, v in seen.items() if "5001" in (k[2], k[4])}
split = {k: v for k, v in ours.items() if len(v) > 1}
if split:
    errors.append("flows seen at more than one appliance: %s" % list(split.items())[:3])
if len(ours) < 60:
    errors.append("appliances saw %d of the 60 flows" % len(ours))
per_app = [sum(1 for v in ours.values() if i in v) for i in range(1, n + 1)]
print("flows per appliance:", per_app)
if min(per_app) == 0:
    errors.append("an appliance got no flow: %s" % per_app)
counted = {a["id"]: a for a in apps["appliances"]}
for i in range(1, n + 1):
    a = counted["a%d" % i]
    if a["rx_pkts"] == 0 or a["tx_pkts"] == 0 or a["rx_pkts"] > a["tx_pkts"]:
        errors.append("gsteer counters for a%d: tx %d rx %d" % (i, a["tx_pkts"], a["rx_pkts"]))
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY
# set_states, the batch gsteerd sends (no gsteerd here to undo anything):
# checked first, so one bad entry refuses all of it
a2_state() {
	gs_ctl '{"cmd":"show_appliances"}' | /usr/bin/python3 -c '
import json, sys
print([a["state"] for a in json.load(sys.stdin)["appliances"] if a["id"] == "a2"][0])'
}
reply=$(gs_ctl '{"cmd":"set_states","changes":[{"appliance":"a2","group":"fleet","state":"unhealthy"},{"appliance":"nobody","group":"fleet","state":"healthy"}]}')
case "$reply" in *'"ok":false'*'changes[1]'*) ;; *) fail "set_states with a bad entry: $reply" ;; esac
[ "$(a2_state)" = healthy ] || fail "a refused set_states changed a2 to $(a2_state)"
reply=$(gs_ctl '{"cmd":"set_states","changes":[{"appliance":"a1","group":"fleet","state":"healthy"},{"appliance":"a2","group":"fleet","state":"unhealthy"}]}')
case "$reply" in *'"ok":true'*'"changed":1'*) ;; *) fail "set_states: $reply" ;; esac
[ "$(a2_state)" = unhealthy ] || fail "set_states left a2 $(a2_state)"
echo "PASS: end to end over af_packet"
