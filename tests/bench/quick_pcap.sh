#!/usr/bin/env bash
# A first, quick throughput figure (the performance issue builds the real
# harness): a GENEVE pcap of 1,000 UDP flows (64-byte inner packets) replayed
# with net_pcap infinite_rx=1 into gsteer-dataplane, steered out to net_null;
# in the same run dpdk-testpmd --forward-mode=io forwards the same input from
# net_pcap to net_null.  Prints both rates and their ratio.
#   quick_pcap.sh BUILD_DIR [SECONDS]
set -u
build=${1:?usage: quick_pcap.sh BUILD_DIR [SECONDS]}
secs=${2:-5}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp" /var/run/dpdk/gsqb$$*' EXIT

/usr/bin/python3 - "$tmp/in.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
pkts = []
gnv = b"\x00\x00\x08\x00" + (100 << 8).to_bytes(4, "big")
for i in range(8192):  # pcap replay wants many mbufs' worth of packets
    f = i % 1000
    inner = IP(src="192.168.1.%d" % (f % 250 + 1), dst="192.168.2.2") / \
        UDP(sport=10000 + f, dport=5001) / Raw(b"x" * 36)
    pkts.append(Ether(src="02:00:00:00:00:02", dst="02:70:63:61:70:00") /
                IP(src="10.0.0.2", dst="10.0.0.10") /
                UDP(sport=40000 + f, dport=6081, chksum=0) / Raw(gnv + bytes(inner)))
wrpcap(sys.argv[1], pkts)
PY
cat >"$tmp/cfg.json" <<EOF2
{"dataplane": {"ports": [
   {"name": "in", "devargs": "net_pcap0,rx_pcap=$tmp/in.pcap,infinite_rx=1",
    "addresses": ["10.0.0.1/24", "10.0.0.10/24"]},
   {"name": "out", "devargs": "net_null0,no-rx=1", "addresses": ["10.1.0.1/24"]}],
  "flow_table_size": 65536, "control_socket": "$tmp/dp.sock",
  "neighbors": [{"address": "10.1.0.100", "mac": "02:00:00:00:01:00"}]},
 "listeners": [{"name": "l", "address": "10.0.0.10", "target_group": "g",
                "upstreams": ["10.0.0.0/24"]}],
 "target_groups": [{"name": "g", "health_check": {"protocol": "none"}, "appliances": [{"id": "a", "address": "10.1.0.100"}]}]}
EOF2

ctl() {
	/usr/bin/python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"{\"cmd\":\"show_stats\"}\n"); buf = b""
while not buf.endswith(b"\n"): buf += s.recv(1 << 20)
print(json.loads(buf)["counters"]["to_appliance"])' "$tmp/dp.sock"
}

"$build/dataplane/gsteer-dataplane" --config "$tmp/cfg.json" -l 0-1 --no-huge -m 1024 \
	--no-pci --file-prefix gsqb$$a >"$tmp/dp.log" 2>&1 &
dp=$!
for _ in $(seq 1 100); do [ -S "$tmp/dp.sock" ] && break; sleep 0.1; done
sleep 1
a=$(ctl); t0=$(date +%s.%N)
sleep "$secs"
b=$(ctl); t1=$(date +%s.%N)
kill -INT "$dp"; wait "$dp"
gs=$(echo "($b - $a) / ($t1 - $t0) / 1000000" | bc -l)

timeout $((secs + 10)) dpdk-testpmd -l 0-1 --no-huge -m 1024 --no-pci --file-prefix gsqb$$b \
	--vdev "net_pcap0,rx_pcap=$tmp/in.pcap,infinite_rx=1" --vdev net_null0,no-rx=1 -- \
	--forward-mode=io --auto-start --stats-period 1 --no-mlockall --total-num-mbufs 16384 \
	>"$tmp/testpmd.log" 2>&1 &
tp=$!
sleep $((secs + 2)); kill -INT "$tp"; wait "$tp" 2>/dev/null
# the last per-second report of port 0: packets read from the pcap and forwarded
io=$(awk '/statistics for port 0/ {p=1} p && /Rx-pps:/ {v=$2; p=0} END {print v/1000000}' "$tmp/testpmd.log")
printf 'gsteer-dataplane  %.3f Mpps (1 worker, 1,000 flows, 64-byte inner UDP)\n' "$gs"
printf 'testpmd io        %.3f Mpps (same input, same machine, same run)\n' "$io"
printf 'ratio             %.2f\n' "$(echo "$gs / $io" | bc -l)"
