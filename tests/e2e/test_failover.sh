#!/usr/bin/env bash
# gsteerd end to end, on the default topology with real flows:
#  1. black-hole a2 under rebalance: gsteerd marks it unhealthy within
#     unhealthy_threshold x interval + timeout; its flows move to a1/a3 and
#     go on; no flow of a1 or a3 moves or loses a request;
#  2. drain a3: flows already on a3 go on there untouched, no new flow
#     reaches it; undrain;
#  3. kill -9 gsteerd: traffic keeps flowing; start it again: it takes the
#     data plane's states over and moves nothing;
#  4. restart the data plane with on_unhealthy no_rebalance: packets of
#     flows that were running reach the appliances they had (deterministic
#     Maglev); restart it again with a2 drained: gsteerd re-sends the drain;
#  5. black-hole a1 under no_rebalance: its flows stay pinned to it.
# Figures (detection and failover times, flows moved) are printed.
set -u
GS_BUILD=${1:?usage: test_failover.sh BUILD_DIR}
GS_P=gsf$$
GS_MGMT=${GS_MGMT:-192.168.52}
GS_TMP=$(mktemp -d)
GS_DEREG_DELAY=300
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
trap 'stop_all; rm -rf "$GS_TMP"' EXIT
# unhealthy_threshold x interval_ms + timeout_ms of topo_config, plus one
# data plane poll and scheduling slack of a loaded 2-core machine
bound_ms=$((2 * 100 + 80 + 25 + 75))

stream() { # n_tcp n_udp seconds > file
	timeout 60 ip netns exec "$GS_P-ha" python3 "$here/flows.py" stream 192.168.2.2 5001 "$@"
}
reset_app_flows() { for i in 1 2 3; do app_ctl "$i" reset >/dev/null; done; }
dump_app_flows() { for i in 1 2 3; do app_ctl "$i" flows >"$GS_TMP/a$i.flows"; done; }
check() { # name, failover.py args...
	local name=$1; shift
	/usr/bin/python3 "$here/failover.py" "$@" >"$GS_TMP/$name.out"
	local rc=$?
	echo "$name: $(cat "$GS_TMP/$name.out")"
	[ $rc -eq 0 ] || { cat "$GS_TMP/gsteerd.log" >&2; fail "$name"; }
}

start_stack

# streams running, appliance $2 black-holes $4 s in; checked as failover
# mode $3 (failover.py blackhole)
blackhole_phase() { # name, appliance, mode, seconds before, stream args...
	local name=$1 victim=$2 mode=$3 before=$4 sp t0
	shift 4
	reset_app_flows
	stream "$@" >"$GS_TMP/$name.json" &
	sp=$!
	sleep "$before"
	app_ctl "$victim" "mode blackhole" >/dev/null
	t0=$(now_ns)
	wait $sp
	dump_app_flows
	gsd_ctl '{"cmd":"events"}' >"$GS_TMP/$name.events"
	check "$name" blackhole "$GS_TMP/$name.json" "$GS_TMP" 3 "$victim" "$t0" \
		"$GS_TMP/$name.events" "$bound_ms" "$mode"
}

echo "== 1. black hole a2, rebalance"
blackhole_phase blackhole 2 rebalance 2 6 24 5
app_ctl 2 "mode normal" >/dev/null
wait_all_state healthy 10

echo "== 2. drain a3"
reset_app_flows
stream 4 12 4 >"$GS_TMP/s2.json" &
sp=$!
sleep 1
reply=$(gsd_ctl '{"cmd":"drain","appliance":"a3"}')
case "$reply" in *'"state":"draining"'*) ;; *) fail "drain: $reply" ;; esac
timeout 60 ip netns exec "$GS_P-ha" python3 "$here/flows.py" run 192.168.2.2 5001 20 10 1 2000 \
	>"$GS_TMP/r2.json"
wait $sp
dump_app_flows
check drain drain "$GS_TMP/s2.json" "$GS_TMP/r2.json" "$GS_TMP" 3 3
gs_ctl '{"cmd":"show_appliances"}' | grep -q '"id":"a3"[^}]*"state":"draining"' ||
	fail "the data plane does not have a3 draining"
gsd_ctl '{"cmd":"undrain","appliance":"a3"}' >/dev/null
wait_all_state healthy 5

echo "== 3. gsteerd killed and restarted"
reset_app_flows
app_ctl 2 "mode blackhole" >/dev/null
for _ in $(seq 1 30); do
	gsd_ctl '{"cmd":"show"}' | grep -q '"id":"a2"[^{]*"state":"unhealthy"' && break
	sleep 0.1
done
stream 4 12 4 >"$GS_TMP/s3.json" &
sp=$!
sleep 1
stop_gsteerd KILL
sleep 1
start_gsteerd
wait $sp
dump_app_flows
check gsteerd_restart steady "$GS_TMP/s3.json" "$GS_TMP" 3 0
gsd_ctl '{"cmd":"show"}' | grep -q '"id":"a2"[^{]*"state":"unhealthy"' ||
	fail "gsteerd did not take over a2 unhealthy from the data plane"
n_ev=$(gsd_ctl '{"cmd":"events"}' | grep -o '"seq"' | wc -l)
[ "$n_ev" -eq 0 ] || fail "the restarted gsteerd changed $n_ev states: $(gsd_ctl '{"cmd":"events"}')"
app_ctl 2 "mode normal" >/dev/null
wait_all_state healthy 10

echo "== 4. data plane restarted (no_rebalance from now on)"
reset_app_flows
stream 4 12 8 >"$GS_TMP/s4.json" &
sp=$!
sleep 1.5
stop_dataplane
GS_ON_UNHEALTHY=no_rebalance start_dataplane
wait $sp
dump_app_flows
# the restart itself loses what arrives while no data plane runs
check dataplane_restart steady "$GS_TMP/s4.json" "$GS_TMP" 3 100000
reconnects=$(gsd_ctl '{"cmd":"show"}' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["dataplane"]["reconnects"])')
# once at its start, once after the restart (more if a poll timed out)
[ "$reconnects" -ge 2 ] || fail "gsteerd did not reconnect to the restarted data plane ($reconnects connections)"
# a decision the restarted data plane cannot know from its config
gsd_ctl '{"cmd":"drain","appliance":"a2"}' >/dev/null
stop_dataplane
GS_ON_UNHEALTHY=no_rebalance start_dataplane
# (with no flow left to finish, the data plane ends the drain at once)
drained='"id":"a2"[^}]*"state":"(draining|removed)"'
for _ in $(seq 1 20); do
	gs_ctl '{"cmd":"show_appliances"}' | grep -Eq "$drained" && break
	sleep 0.1
done
gs_ctl '{"cmd":"show_appliances"}' | grep -Eq "$drained" ||
	fail "gsteerd did not re-send a2's drain to the restarted data plane"
gsd_ctl '{"cmd":"undrain","appliance":"a2"}' >/dev/null

echo "== 5. black hole a1, no_rebalance"
wait_all_state healthy 10
# pinned flows of the black hole stop (it swallows them) and TCP ones fail:
# the checks of healthy flows and of pinning are what matter here
blackhole_phase pinned 1 no_rebalance 1.5 4 16 4
echo "PASS: failover, drain, gsteerd and data plane restarts"
