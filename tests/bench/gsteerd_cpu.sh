#!/usr/bin/env bash
# gsteerd's CPU cost at scale (a benchmark, not a test): N appliances with
# TCP checks every 100 ms (timeout 50 ms) against a listener in a private
# network namespace, measured from /proc/PID/stat over SECONDS.  Two runs
# in one invocation: 1,000 appliances, and 10 as the reference; prints CPU
# share of one core, checks per second and CPU microseconds per check, and
# the per-check cost ratio (1,000 / 10: how it scales).  With a data plane
# (DP=1, the default) the config also enables the in-band probe and the
# passive signal, and gsteer-dataplane runs on net_null with the same
# appliances, so the figures include probe requests and polling 1,000
# appliances' counters every 25 ms.
#   gsteerd_cpu.sh BUILD_DIR [SECONDS]
set -u
BUILD=${1:?usage: gsteerd_cpu.sh BUILD_DIR [SECONDS]}
SECS=${2:-10}
DP=${DP:-1}
NS=gsc$$
TMP=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP" /var/run/dpdk/gsc$$*
}
trap cleanup EXIT
ip netns add "$NS" && ip netns exec "$NS" ip link set lo up || exit 1
# accept and close as fast as the checks come; its own CPU is not measured
ip netns exec "$NS" /usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(4096)
while True:
    c, _ = s.accept(); c.close()' &
pids+=($!)

ticks=$(getconf CLK_TCK)
rounds() { # check rounds completed, probes sent, data plane connected
	/usr/bin/python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"{\"cmd\":\"show\"}\n"); b = b""
while not b.endswith(b"\n"): b += s.recv(1 << 20)
r = json.loads(b)
print(sum(a["checks"]["rounds"]["ok"] + a["checks"]["rounds"]["failed"] for a in r["appliances"]),
      sum(a["checks"]["probe"]["sent"] for a in r["appliances"]), r["dataplane"]["connected"])' "$TMP/gsteerd.sock"
}
cpu_ticks() { awk '{print $14 + $15, $15}' "/proc/$1/stat"; } # total, kernel

run() { # n_appliances
	local n=$1 apps="" i probe=false passive=off
	[ "$DP" = 1 ] && { probe=true; passive=count_as_failure; }
	for i in $(seq 1 "$n"); do
		apps+="${apps:+,}{\"id\":\"a$i\",\"address\":\"10.$((i / 250 + 100)).$((i % 250 + 1)).1\",\"health_address\":\"127.$((i / 250)).$((i % 250 + 1)).9\"}"
	done
	cat >"$TMP/cfg.json" <<EOF2
{"dataplane": {"ports": [{"name": "p0", "devargs": "net_null0,no-rx=1",
   "addresses": ["10.0.0.1/8"]}],
  "control_socket": "$TMP/dp.sock", "flow_table_size": 65536},
 "daemon": {"socket": "$TMP/gsteerd.sock", "probe_socket": "$TMP/probe.sock", "metrics_listen": ""},
 "listeners": [{"name": "l", "address": "10.0.0.1", "target_group": "g", "upstreams": ["10.0.0.0/8"]}],
 "target_groups": [{"name": "g", "maglev_table_size": 100003,
   "health_check": {"protocol": "tcp", "port": 8080, "interval_ms": 100, "timeout_ms": 50,
                    "inband_probe": $probe, "passive": "$passive", "passive_window_ms": 100},
   "appliances": [$apps]}]}
EOF2
	local dp=
	if [ "$DP" = 1 ]; then
		"$BUILD/dataplane/gsteer-dataplane" --config "$TMP/cfg.json" -l 0-1 --no-huge -m 512 \
			--no-pci --file-prefix "gsc$$" >"$TMP/dp.log" 2>&1 &
		dp=$!
		pids+=($dp)
		for _ in $(seq 1 100); do [ -S "$TMP/dp.sock" ] && break; sleep 0.1; done
	fi
	ip netns exec "$NS" "$BUILD/ctrl/gsteerd" --config "$TMP/cfg.json" >"$TMP/gsd.log" 2>&1 &
	local gsd=$!
	pids+=($gsd)
	sleep 2 # past the first rounds and the connection to the data plane
	local t0 c0 t1 c1 k0 k1 r0 r1
	t0=$(date +%s.%N); read -r c0 k0 < <(cpu_ticks $gsd); r0=$(rounds)
	sleep "$SECS"
	t1=$(date +%s.%N); read -r c1 k1 < <(cpu_ticks $gsd); r1=$(rounds)
	kill $gsd; wait $gsd 2>/dev/null
	[ -n "$dp" ] && { kill -INT $dp; wait $dp 2>/dev/null; rm -rf /var/run/dpdk/gsc$$; }
	rm -f "$TMP/dp.sock" "$TMP/probe.sock"
	/usr/bin/python3 -c '
import sys
n, secs, cpu, ticks = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]), \
    (int(sys.argv[5]) - int(sys.argv[4])) / int(sys.argv[6]), int(sys.argv[6])
kernel = (int(sys.argv[8]) - int(sys.argv[7])) / ticks
r0, r1 = sys.argv[9].split(), sys.argv[10].split()
rounds, probes = int(r1[0]) - int(r0[0]), int(r1[1]) - int(r0[1])
print("%5d appliances: gsteerd %.1f%% of one core (%.1f%% in the kernel), %.0f check rounds/s of %d due, %.0f probes/s, %.1f us CPU per round (data plane connected %s)"
      % (n, 100 * cpu / secs, 100 * kernel / secs, rounds / secs, n * 10, probes / secs,
         1e6 * cpu / max(rounds, 1), r1[2]))
print("RESULT %d %.6f" % (n, 1e6 * cpu / max(rounds, 1)))' "$n" "$t0" "$t1" "$c0" "$c1" "$ticks" "$k0" "$k1" "$r0" "$r1"
}

echo "gsteerd CPU, TCP checks every 100 ms$([ "$DP" = 1 ] && echo ", in-band probes and passive signal through gsteer-dataplane"), ${SECS} s each"
big=$(run 1000 | tee /dev/stderr | awk '/^RESULT/ {print $3}')
ref=$(run 10 | tee /dev/stderr | awk '/^RESULT/ {print $3}')
echo "per-check cost ratio, 1,000 appliances / 10: $(echo "$big / $ref" | bc -l | cut -c1-5)"
