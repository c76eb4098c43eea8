#!/usr/bin/env bash
# gsteerd driving the XDP data plane (daemon.backend xdp), on the default
# topology with gsteer's port in its own namespace:
#  1. gsteerd loads and attaches the program itself; real flows complete;
#  2. black-hole a2 under rebalance: the in-band probe (sent from a UDP
#     socket, passed up by the program) and the passive signal (the
#     program's per-CPU counters) mark it unhealthy within the bound; its
#     flows move, no other flow moves or loses a request;
#  3. kill -9 gsteerd: the program keeps forwarding; a new gsteerd takes the
#     maps' states over (a2 stays unhealthy) and changes nothing.
# Health checks here are the probe and the passive signal only: the
# management network is not reachable from gsteer's namespace.
#   test_xdp_gsteerd.sh BUILD_DIR
set -u
GS_BUILD=${1:?usage: test_xdp_gsteerd.sh BUILD_DIR}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
GS_P=gsy$$
GS_MGMT=192.168.54
GS_TMP=$(mktemp -d)
E2E=$(cd "$(dirname "$0")/../../tests/e2e" && pwd)
. "$E2E/lib.sh"
. "$(dirname "$0")/xdp_topology.sh"
cleanup() {
	stop_gsteerd
	xdp_topo_down
	rm -rf "$GS_TMP"
}
trap cleanup EXIT
# unhealthy_threshold x interval + timeout of topo_config, one poll, slack
bound_ms=$((2 * 100 + 80 + 25 + 75))

start_gsteerd_xdp() {
	# not through the gs_ns function: $! must be gsteerd itself, not a
	# subshell that a kill would leave it running behind
	nsenter --net="/run/netns/$GS_P-gs" "$GS_BUILD/ctrl/gsteerd" --config "$GS_TMP/gsteer.json" \
		--log-stderr >>"$GS_TMP/gsteerd.log" 2>&1 &
	GS_GSD_PID=$!
	for _ in $(seq 1 50); do
		gsd_ctl '{"cmd":"ping"}' 2>/dev/null | grep -q '"dataplane":"connected"' && return 0
		kill -0 "$GS_GSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "gsteerd did not attach the XDP program"
}

xdp_topo_up
xdp_config 'c["target_groups"][0]["health_check"].update({"protocol": "none"})'
start_appliances
start_upstream
topo_ns hb python3 "$E2E/flows.py" serve 192.168.2.2 5001 >"$GS_TMP/srv.log" 2>&1 &
GS_APP_PIDS+=($!)
start_gsteerd_xdp
gs_ns ip -d link show "$GS_P-dp" | grep -q "prog/xdp " || fail "gsteerd attached no native XDP program"
xdp_wait_neighbours
for _ in 1 2 3; do
	warm=$(timeout 30 ip netns exec "$GS_P-ha" python3 "$E2E/flows.py" run 192.168.2.2 5001 1 1 1 1000)
	case "$warm" in *'"tcp_ok": 1'*) break ;; esac
done
case "$warm" in *'"tcp_ok": 1'*) ;; *) fail "no flow through gsteer: $warm" ;; esac
wait_all_state healthy 10
gsd_ctl '{"cmd":"show"}' | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
bad = [a["id"] for a in r["appliances"] if not a["checks"]["probe"]["returned"]]
print("probes returned:", {a["id"]: a["checks"]["probe"]["returned"] for a in r["appliances"]})
sys.exit(1 if bad or r["backend"] != "xdp" else 0)' || fail "in-band probes did not come back through XDP"

echo "== black hole a2, rebalance"
for i in 1 2 3; do app_ctl "$i" reset >/dev/null; done
timeout 60 ip netns exec "$GS_P-ha" python3 "$E2E/flows.py" stream 192.168.2.2 5001 4 16 5 \
	>"$GS_TMP/s1.json" &
sp=$!
sleep 2
app_ctl 2 "mode blackhole" >/dev/null
t0=$(now_ns)
wait $sp
for i in 1 2 3; do app_ctl "$i" flows >"$GS_TMP/a$i.flows"; done
gsd_ctl '{"cmd":"events"}' >"$GS_TMP/events.json"
/usr/bin/python3 "$E2E/failover.py" blackhole "$GS_TMP/s1.json" "$GS_TMP" 3 2 "$t0" \
	"$GS_TMP/events.json" "$bound_ms" rebalance || fail "black hole under XDP"

echo "== gsteerd killed and restarted"
for i in 1 2 3; do app_ctl "$i" reset >/dev/null; done
timeout 60 ip netns exec "$GS_P-ha" python3 "$E2E/flows.py" stream 192.168.2.2 5001 4 12 4 \
	>"$GS_TMP/s2.json" &
sp=$!
sleep 1
stop_gsteerd KILL
sleep 1
start_gsteerd_xdp
wait $sp
for i in 1 2 3; do app_ctl "$i" flows >"$GS_TMP/a$i.flows"; done
/usr/bin/python3 "$E2E/failover.py" steady "$GS_TMP/s2.json" "$GS_TMP" 3 0 || fail "restart under XDP"
gsd_ctl '{"cmd":"show"}' | grep -q '"id":"a2"[^{]*"state":"unhealthy"' ||
	fail "the new gsteerd did not take a2 unhealthy over from the maps"
n_ev=$(gsd_ctl '{"cmd":"events"}' | grep -o '"seq"' | wc -l)
[ "$n_ev" -eq 0 ] || fail "the restarted gsteerd changed $n_ev states: $(gsd_ctl '{"cmd":"events"}')"
echo "PASS: gsteerd on the XDP data plane"
