#!/usr/bin/env bash
# A bounded soak on the default topology: for SOAK_SECONDS (default 45) new
# TCP and UDP flows start every second through gsteer-dataplane on
# af_packet, while appliances flap (black-holed for 2 s in turn), gsteerd is
# killed and restarted, and its config is reloaded, once without a3 and
# then with it again (a removal and an add in the data plane).  At the end:
#  - no packet went to an appliance while the data plane had it unhealthy
#    (its counters, sampled every 50 ms, did not grow between two samples
#    that both say unhealthy);
#  - every flow aged out: the flow table is empty (2 s idle timeouts);
#  - no mbuf leaked: when the data plane exits, the mempool's in-use count
#    equals what it legitimately holds (its --stats-file);
#  - gsteerd and the data plane are still alive, and the sanitizers (in the
#    ASan build) found nothing.
# Prints the figures.   test_soak.sh BUILD_DIR [SECONDS]
set -u
GS_BUILD=${1:?usage: test_soak.sh BUILD_DIR [SECONDS]}
SOAK=${2:-${SOAK_SECONDS:-45}}
GS_P=gss$$
GS_MGMT=${GS_MGMT:-192.168.55}
GS_TMP=$(mktemp -d)
GS_IDLE_TCP=2
GS_IDLE_OTHER=2
GS_DEREG_DELAY=2
here=$(dirname "$0")
. "$here/lib.sh"
trap 'touch "$GS_TMP/stop"; stop_all; rm -rf "$GS_TMP"' EXIT

start_stack
/usr/bin/python3 "$here/sampler.py" "$GS_TMP/dp.sock" "$GS_TMP/samples.csv" 0.05 "$GS_TMP/stop" &
GS_APP_PIDS+=($!)

# churn: new flows every second, each run a second long
( while [ ! -e "$GS_TMP/stop" ]; do
	timeout 30 ip netns exec "$GS_P-ha" python3 "$here/flows.py" run 192.168.2.2 5001 20 10 1 4000 \
		>>"$GS_TMP/churn.json" 2>/dev/null
done ) &
churn=$!

start_ns=$(now_ns)
flaps=0 restarts=0 reloads=0
elapsed() { echo $(( ($(now_ns) - start_ns) / 1000000000 )); }
while [ "$(elapsed)" -lt "$SOAK" ]; do
	t=$(elapsed)
	victim=$(( t / 4 % 3 + 1 ))
	app_ctl "$victim" "mode blackhole" >/dev/null; flaps=$((flaps + 1))
	sleep 2
	app_ctl "$victim" "mode normal" >/dev/null
	case $(( t / 4 % 4 )) in
	1) stop_gsteerd KILL; start_gsteerd; restarts=$((restarts + 1)) ;;
	2) GS_SKIP_APPLIANCES=a3 topo_config "$GS_TMP/dp.sock" >"$GS_TMP/gsteer.json"
	   kill -HUP "$GS_GSD_PID"; reloads=$((reloads + 1)) ;;
	3) topo_config "$GS_TMP/dp.sock" >"$GS_TMP/gsteer.json"
	   kill -HUP "$GS_GSD_PID"; reloads=$((reloads + 1)) ;;
	esac
	sleep 2
done
touch "$GS_TMP/stop"
wait "$churn"
echo "soak: ${SOAK} s, $flaps flaps, $restarts gsteerd restarts, $reloads reloads"

kill -0 "$GS_GSD_PID" 2>/dev/null || fail "gsteerd died"
kill -0 "$GS_DP_PID" 2>/dev/null || fail "the data plane died"
# the hosts' kernels still retransmit for connections the churn abandoned:
# silence them, so that the flows can age out
topo_ns ha ip link set eth0 down
topo_ns hb ip link set eth0 down
# idle timeouts are 2 s; aging walks the table in slices
for _ in $(seq 1 100); do
	used=$(gs_ctl '{"cmd":"show_stats"}' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["flow_table"]["used"])')
	[ "$used" = 0 ] && break
	sleep 0.1
done
[ "$used" = 0 ] || fail "$used flows still in the table after the idle timeouts: $(gs_ctl '{"cmd":"show_flows"}')"
gs_ctl '{"cmd":"show_stats"}' >"$GS_TMP/stats.json"
gsd_ctl '{"cmd":"events"}' >"$GS_TMP/events.json"
stop_gsteerd TERM
stop_dataplane

/usr/bin/python3 - "$GS_TMP" <<'PY' || exit 1
import collections, json, sys
tmp = sys.argv[1]
errors = []
stats = json.load(open(tmp + "/stats.json"))
final = json.load(open(tmp + "/dp.stats"))
mb = final.get("mbufs")
if mb is None:
    errors.append("the data plane's stats file has no mbuf counts")
elif mb["in_use"] != mb["held"]:
    errors.append("mbufs: %d in use, %d legitimately held: %d leaked" % (mb["in_use"], mb["held"], mb["in_use"] - mb["held"]))
churn = [json.loads(l) for l in open(tmp + "/churn.json") if l.strip()]
tcp_ok = sum(c["tcp_ok"] for c in churn)
tcp_failed = sum(c["tcp_failed"] for c in churn)
rows = collections.defaultdict(list)
for line in open(tmp + "/samples.csv"):
    t, app, state, tx, rx = line.strip().split(",")
    rows[app].append((float(t), state, int(tx)))
leaks = 0
unhealthy_samples = 0
for app, r in rows.items():
    for (t0, s0, tx0), (t1, s1, tx1) in zip(r, r[1:]):
        if s0 == "unhealthy" and s1 == "unhealthy":
            unhealthy_samples += 1
            if tx1 > tx0:
                leaks += 1
                errors.append("%s: %d packets sent while the data plane had it unhealthy (%.2f..%.2f)"
                              % (app, tx1 - tx0, t0, t1))
events = json.load(open(tmp + "/events.json"))["events"]
c = stats["counters"]
print(json.dumps({"flows_created": c["flows_created"], "flows_rebalanced": c["flows_rebalanced"],
                  "flows_aged": stats["flow_table"]["aged"], "churn_tcp_ok": tcp_ok,
                  "churn_tcp_failed": tcp_failed, "unhealthy_sample_pairs": unhealthy_samples,
                  "state_changes_last_gsteerd": len(events), "mbufs": mb}))
if tcp_ok == 0:
    errors.append("no flow completed during the soak")
if unhealthy_samples == 0:
    errors.append("the data plane never had an appliance unhealthy: the flaps were not seen")
for e in errors[:20]:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY
echo "PASS: soak"
