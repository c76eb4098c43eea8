#!/usr/bin/env bash
# The live demo on the embedded default topology (tests/e2e/topology.sh):
# an upstream router with two hosts sends their traffic through GENEVE to
# gsteer-dataplane (net_af_packet on a veth), which spreads the flows over
# three reference appliances and returns their traffic.  Midway, appliance
# a2 is marked unhealthy through the control socket: its flows move to a1
# and a3 while theirs stay put.  Prints per-appliance counters each second.
# Installs what it needs, builds, and removes everything it created.
set -u
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 1
bash scripts/build.sh || exit 1

GS_BUILD=$PWD/build
GS_P=gsdemo
GS_TMP=$(mktemp -d)
. tests/e2e/lib.sh
trap 'stop_all; rm -rf "$GS_TMP"' EXIT INT TERM

echo "== bringing up the topology (namespaces $GS_P-*)"
topo_up || fail "topology"
start_appliances
start_upstream
start_dataplane
echo "== gsteer-dataplane is up: $(head -1 "$GS_TMP/dp.log")"
topo_ns hb python3 tests/e2e/flows.py serve 192.168.2.2 5001 >/dev/null 2>&1 &
sleep 0.5
topo_ns ha python3 tests/e2e/flows.py run 192.168.2.2 5001 1 1 1 1000 >/dev/null # warm ARP

table() {
	gs_ctl '{"cmd":"show_appliances"}' | /usr/bin/python3 -c '
import json, sys, time
r = json.load(sys.stdin)
print("%s  " % time.strftime("%H:%M:%S") + "  ".join(
    "%s %-9s flows %4d  to %7d  back %7d" % (a["id"], a["state"], a["flows"], a["tx_pkts"], a["rx_pkts"])
    for a in r["appliances"]))'
}

echo "== traffic: 60 TCP connections and 30 UDP flows from host a to host b, 8 s"
topo_ns ha python3 tests/e2e/flows.py run 192.168.2.2 5001 60 30 8 300000 >"$GS_TMP/flows.json" &
flows_pid=$!
for t in $(seq 1 10); do
	sleep 1
	table
	if [ "$t" = 4 ]; then
		echo "== marking a2 unhealthy (on_unhealthy: rebalance): its flows move, others stay"
		gs_ctl '{"cmd":"set_state","appliance":"a2","state":"unhealthy"}'
	fi
done
wait "$flows_pid"
echo "== result: $(cat "$GS_TMP/flows.json")"
echo "== drops:"
gs_ctl '{"cmd":"show_stats"}' | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
print("  flows in table: %(used)d of %(capacity)d" % r["flow_table"])
for k, v in sorted(r["drops"].items()):
    if v: print("  %-28s %d" % (k, v))'
