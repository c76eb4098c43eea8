#!/usr/bin/env bash
# The live demo on the embedded default topology (tests/e2e/topology.sh):
# an upstream router with two hosts sends their traffic through GENEVE to
# gsteer-dataplane (net_af_packet on a veth), which spreads the flows over
# three reference appliances; gsteerd runs the health checks (HTTP over the
# management network, the in-band GENEVE probe, the passive signal).
# Under steady traffic (long-lived TCP and UDP flows, and new TCP flows every
# second) it black-holes a2, drains a3, then stops and restarts gsteerd, and
# prints a timeline: when each event happened, when gsteer noticed, how many
# flows moved and how many requests were lost.  It leaves the timeline and a
# PNG plot of packets per second to each appliance in demo-output/, and
# removes everything else it created.  Installs what it needs and builds.
set -u
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 1
bash scripts/build.sh || exit 1

GS_BUILD=$PWD/build
GS_P=gsdemo
GS_MGMT=192.168.59
GS_TMP=$(mktemp -d)
OUT=$PWD/demo-output
. tests/e2e/lib.sh
trap 'touch "$GS_TMP/stop"; stop_all; rm -rf "$GS_TMP"' EXIT INT TERM
mkdir -p "$OUT"
rm -f "$OUT"/*

mark() { echo "$(now_ns) $*" >>"$GS_TMP/marks.txt"; echo "== $(date +%T) $*"; }
table() {
	gsd_ctl '{"cmd":"show"}' | /usr/bin/python3 -c '
import json, sys, time
r = json.load(sys.stdin)
print("   %s  " % time.strftime("%H:%M:%S") + "  ".join(
    "%s %-9s flows %3d %5.0f pps rtt %s" % (a["id"], a["state"], a["flows"], a["tx_pps"],
        "%.2f ms" % (a["checks"]["probe"]["rtt_us"] / 1000) if a["checks"]["probe"]["rtt_us"] else "-")
    for a in r["appliances"]))' 2>/dev/null || echo "   $(date +%T)  (gsteerd is not running)"
}

echo "== bringing up the topology (namespaces $GS_P-*)"
start_stack
echo "== gsteer-dataplane: $(head -1 "$GS_TMP/dp.log")"
echo "== gsteerd: $(head -1 "$GS_TMP/gsteerd.log")"
for i in 1 2 3; do app_ctl "$i" reset >/dev/null; done

/usr/bin/python3 tests/e2e/sampler.py "$GS_TMP/dp.sock" "$GS_TMP/samples.csv" 0.1 "$GS_TMP/stop" &
GS_APP_PIDS+=($!)
mark start
start_ns=$(now_ns)
topo_ns ha python3 tests/e2e/flows.py stream 192.168.2.2 5001 8 32 20 50 >"$GS_TMP/stream.json" &
stream_pid=$!
( while [ ! -e "$GS_TMP/stop" ]; do # new flows every second
	topo_ns ha python3 tests/e2e/flows.py run 192.168.2.2 5001 4 0 0.2 2000 >>"$GS_TMP/churn.json"
	sleep 1
done ) &
GS_APP_PIDS+=($!)

for t in $(seq 1 20); do
	# on the second, however long the table took
	while [ $(( ($(now_ns) - start_ns) / 1000000000 )) -lt "$t" ]; do sleep 0.05; done
	table
	case $t in
	# the black hole is in force once the appliance answered
	4) app_ctl 2 "mode blackhole" >/dev/null; mark blackhole a2 ;;
	8) mark drain a3; gsd_ctl '{"cmd":"drain","appliance":"a3"}' >/dev/null ;;
	12) gsd_ctl '{"cmd":"events"}' >>"$GS_TMP/events.json"; echo >>"$GS_TMP/events.json"
	    mark gsteerd_stop; stop_gsteerd TERM ;;
	14) mark gsteerd_start; start_gsteerd ;;
	esac
done
wait "$stream_pid"
mark end
touch "$GS_TMP/stop"
gsd_ctl '{"cmd":"events"}' >>"$GS_TMP/events.json"
for i in 1 2 3; do app_ctl "$i" flows >"$GS_TMP/a$i.flows"; done
sleep 0.3

echo
/usr/bin/python3 tests/e2e/timeline.py "$GS_TMP" 3 || fail "timeline"
cp "$GS_TMP/timeline.txt" "$GS_TMP/pps.dat" "$OUT/"
ev() { awk -v n="$1" '$2 == n {printf "%.1f", ($1 - s) / 1e9} NR == 1 {s = $1}' "$GS_TMP/marks.txt"; }
gnuplot <<EOF2
set terminal pngcairo size 1100,520 font "sans,10"
set output "$OUT/appliance-pps.png"
set title "gsteer demo: packets per second to each appliance"
set xlabel "seconds"
set ylabel "packets/s to the appliance"
set grid
set key top right
set arrow from $(ev blackhole),graph 0 to $(ev blackhole),graph 1 nohead dt 2 lc rgb "red"
set label "a2 black-holed" at $(ev blackhole),graph 0.95 offset 0.5,0 tc rgb "red"
set arrow from $(ev drain),graph 0 to $(ev drain),graph 1 nohead dt 2 lc rgb "blue"
set label "a3 drained" at $(ev drain),graph 0.88 offset 0.5,0 tc rgb "blue"
set arrow from $(ev gsteerd_stop),graph 0 to $(ev gsteerd_stop),graph 1 nohead dt 2 lc rgb "gray40"
set label "gsteerd stopped" at $(ev gsteerd_stop),graph 0.81 offset 0.5,0
set arrow from $(ev gsteerd_start),graph 0 to $(ev gsteerd_start),graph 1 nohead dt 2 lc rgb "gray40"
set label "gsteerd started" at $(ev gsteerd_start),graph 0.74 offset 0.5,0
plot "$OUT/pps.dat" using 1:2 with lines lw 2 title "a1", \
     "" using 1:3 with lines lw 2 title "a2", \
     "" using 1:4 with lines lw 2 title "a3"
EOF2
echo "== left in $OUT: timeline.txt, appliance-pps.png, pps.dat"
