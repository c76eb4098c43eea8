#!/usr/bin/env bash
# The benchmark harness (docs/benchmarks.md), as root, from the repository:
#
#   bash scripts/bench.sh [BUILD_DIR]        (default: build-rel, release)
#
# 1. in process: bench_pipeline (the workers' gs_pipeline_burst over mbuf
#    arrays) for 1k/100k/1M flows x 64/512/1400-byte inner packets x both
#    directions, flow-table misses, bytes per flow; 10M flows for 64 bytes;
#    then two workers on one shared table;
# 2. end to end: for each flow count, a GENEVE pcap from gsteer-pcapgen
#    replayed by net_pcap (infinite_rx=1) into gsteer-dataplane, out to
#    net_null; then dpdk-testpmd --forward-mode=io and =5tswap on the same
#    pcap, the same devices and lcores, in the same run;
# 3. Maglev rebuild times (bench_maglev).
# Writes docs/benchmarks.json and docs/benchmarks.png (Mpps against active
# flows, gsteer beside testpmd) and prints every figure with its ratio.
#
# Environment: GS_BENCH_SECS (5) seconds per end-to-end measurement,
# GS_BENCH_REPS (3) repetitions of gsteer, io, 5tswap back to back (medians),
# GS_BENCH_E2E_FLOWS (1000,100000,1000000), GS_BENCH_FLOWS
# (1000,100000,1000000), GS_BENCH_10M (1: also 10M flows in process; 0
# skips it), GS_BENCH_HUGEPAGES (1800 2-MiB pages reserved for the run and
# given back after; 0: --no-huge), GS_BENCH_OUT (docs).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build-rel}
secs=${GS_BENCH_SECS:-5}
reps=${GS_BENCH_REPS:-3}
e2e_flows=${GS_BENCH_E2E_FLOWS:-1000,100000,1000000}
flows=${GS_BENCH_FLOWS:-1000,100000,1000000}
want_pages=${GS_BENCH_HUGEPAGES:-1800}
outdir=${GS_BENCH_OUT:-docs}
prefix=gsp$$
py=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
	echo "bench.sh: run as root (hugepages, DPDK)" >&2
	exit 1
fi
command -v dpdk-testpmd >/dev/null || { echo "bench.sh: dpdk-testpmd missing (scripts/deps.sh)" >&2; exit 1; }
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Dbuildtype=release >/dev/null || exit 1
fi
ninja -C "$build" -j2 >/dev/null || { ninja -C "$build" -j2 | tail -20; exit 1; }

tmp=$(mktemp -d /tmp/gsbench.XXXXXX)
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
added=0
cleanup() {
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	rm -f /dev/hugepages/"$prefix"* 2>/dev/null
	rm -rf /var/run/dpdk/"$prefix"* "$tmp"
	if [ "$added" -gt 0 ]; then
		# give back what this run reserved, not what others hold
		echo $(($(cat "$hp") - added)) >"$hp" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- memory: hugepages when they can be had, else --no-huge ---------------
eal_mem() { # name, MiB needed without hugepages
	if [ "$added" -gt 0 ]; then
		echo "--file-prefix ${prefix}$1 --huge-unlink"
	else
		echo "--file-prefix ${prefix}$1 --no-huge -m $2"
	fi
}
if [ "$want_pages" -gt 0 ] && [ -w "$hp" ]; then
	mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null
	# leftovers of earlier runs of this harness that were killed
	for f in /dev/hugepages/gsp*; do
		[ -e "$f" ] || continue
		pid=${f#/dev/hugepages/gsp}; pid=${pid%%[!0-9]*}
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || rm -f "$f"
	done
	before=$(cat "$hp")
	echo $((before + want_pages)) >"$hp" 2>/dev/null
	added=$(($(cat "$hp") - before))
	if [ "$added" -lt "$want_pages" ]; then
		echo "bench.sh: only $added of $want_pages hugepages; using --no-huge" >&2
		echo "$before" >"$hp" 2>/dev/null
		added=0
	fi
fi
mem_mode=$([ "$added" -gt 0 ] && echo "hugepages ($added x 2 MiB)" || echo "no-huge (4 KiB pages)")
echo "== gsteer benchmarks: $(date -u +%FT%TZ), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $mem_mode, build $build"

# ---- 1. in process ---------------------------------------------------------
echo "== in process: gs_pipeline_burst, 1 worker"
"$build/tests/bench/bench_pipeline" --flows "$flows" --json "$tmp/inproc.json" \
	-- $(eal_mem a 3072) | tee "$tmp/inproc.txt" || exit 1
if [ "${GS_BENCH_10M:-1}" = 1 ]; then
	echo "== in process: 10M flows (64-byte inner packets), freed right after"
	"$build/tests/bench/bench_pipeline" --flows 10000000 --sizes 64 --min-pkts 262144 \
		--json "$tmp/inproc10m.json" -- $(eal_mem b 4096) | tee "$tmp/inproc10m.txt" || exit 1
else
	echo '[]' >"$tmp/inproc10m.json"
fi
if [ "$(nproc)" -ge 2 ]; then
	echo "== in process: 2 workers at once on one flow table (concurrent lookups and inserts)"
	"$build/tests/bench/bench_pipeline" --workers 2 --flows 1000,1000000 --sizes 64 \
		--min-pkts 262144 --json "$tmp/inproc2.json" -- $(eal_mem c 3072) |
		tee "$tmp/inproc2.txt" || exit 1
else
	echo '[]' >"$tmp/inproc2.json"
fi

# ---- 2. end to end through net_pcap -----------------------------------------
stats() { # socket -> "to_appliance rx_pkts" counters
	$py - "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"cmd":"show_stats"}\n'); buf = b""
while not buf.endswith(b"\n"):
    buf += s.recv(1 << 20)
r = json.loads(buf)
print(r["counters"]["to_appliance"], sum(r.get("drops", {}).values()), r["flow_table"]["used"])
PY
}

testpmd_rate() { # pcap, mode, mbufs, tag -> Mpps (port 0 Rx-pps, last report)
	local log="$tmp/testpmd-$2-$4.log"
	timeout $((secs + 60)) dpdk-testpmd -l 0-1 --no-pci $(eal_mem "t$2$4" 4096) \
		--vdev "net_pcap0,rx_pcap=$1,infinite_rx=1" --vdev net_null0,no-rx=1 -- \
		--forward-mode="$2" --auto-start --stats-period 1 --no-mlockall \
		--total-num-mbufs "$3" >"$log" 2>&1 &
	local tp=$!
	# loading the pcap into mbufs takes a while for large ones
	for _ in $(seq 1 600); do grep -q "Rx-pps" "$log" 2>/dev/null && break; sleep 0.1; done
	sleep "$secs"
	kill -INT "$tp" 2>/dev/null; wait "$tp" 2>/dev/null
	awk '/statistics for port 0/ {p=1} p && /Rx-pps:/ {v=$2; p=0} END {printf "%.3f", v/1000000}' "$log"
}

gsteer_rate() { # flows -> Mpps to the appliances, after every flow exists
	local n=$1 dp a0 d0 a1 d1 used t0 t1
	rm -f "$tmp/dp.sock"
	"$build/dataplane/gsteer-dataplane" --config "$tmp/cfg.json" -l 0-1 --no-pci \
		$(eal_mem "g$n" 4096) >"$tmp/dp-$n.log" 2>&1 &
	dp=$!
	for _ in $(seq 1 1200); do [ -S "$tmp/dp.sock" ] && break; sleep 0.1; done
	# one pass over the pcap creates every flow; measure after it
	sleep $((2 + n / 200000))
	read -r a0 d0 _ < <(stats "$tmp/dp.sock"); t0=$(date +%s.%N)
	sleep "$secs"
	read -r a1 d1 used < <(stats "$tmp/dp.sock"); t1=$(date +%s.%N)
	[ "$d1" = "$d0" ] || echo "   (gsteer dropped $((d1 - d0)) packets while measured; see $tmp/dp-$n.log)" >&2
	[ "$used" -ge "$n" ] || echo "   (only $used of $n flows in the table)" >&2
	kill -INT "$dp"; wait "$dp" 2>/dev/null
	echo "($a1 - $a0) / ($t1 - $t0) / 1000000" | bc -l
}

echo "== end to end: net_pcap infinite_rx -> gsteer-dataplane (1 worker) -> net_null; testpmd io and 5tswap on the same pcap ($reps x back to back, medians)"
printf '%-9s %10s %10s %10s %9s %9s\n' flows gsteer io 5tswap "gs/io" "gs/5tswap"
: >"$tmp/e2e.txt"
for n in ${e2e_flows//,/ }; do
	pkts=$((n > 8192 ? n : 8192))
	mbufs=$((pkts + 65536))
	"$build/pktgen-profiles/gsteer-pcapgen" --out "$tmp/in.pcap" --flows "$n" --packets "$pkts" \
		--size 64 --appliances 4 --config-out "$tmp/cfg.json" \
		--devargs-in "net_pcap0,rx_pcap=$tmp/in.pcap,infinite_rx=1" \
		--devargs-out "net_null0,no-rx=1" --control-socket "$tmp/dp.sock" 2>/dev/null || exit 1
	$py - "$tmp/cfg.json" "$n" "$mbufs" <<'PY'
import json, sys
p, n, mbufs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = json.load(open(p))
c["dataplane"]["flow_table_size"] = max(1024, n + n // 4)
c["dataplane"]["mbuf_pool_size"] = mbufs
json.dump(c, open(p, "w"))
PY
	: >"$tmp/reps.txt"
	for rep in $(seq 1 "$reps"); do
		gs=$(gsteer_rate "$n")
		io=$(testpmd_rate "$tmp/in.pcap" io "$mbufs" "$n-$rep")
		sw=$(testpmd_rate "$tmp/in.pcap" 5tswap "$mbufs" "$n-$rep")
		echo "$gs $io $sw" >>"$tmp/reps.txt"
	done
	# per repetition the three ran back to back: the median of each rate,
	# and the median of the ratios of each repetition
	read -r gs io sw r1 r2 < <($py - "$tmp/reps.txt" <<'PY'
import statistics, sys
rows = [[float(x) for x in l.split()] for l in open(sys.argv[1]) if l.strip()]
med = lambda v: statistics.median(v) if v else 0
gs, io, sw = (med([r[i] for r in rows]) for i in range(3))
r1 = med([r[0] / r[1] for r in rows if r[1] > 0])
r2 = med([r[0] / r[2] for r in rows if r[2] > 0])
print(gs, io, sw, r1, r2)
PY
)
	printf '%-9s %10.3f %10.3f %10.3f %9.3f %9.3f\n' "$n" "$gs" "$io" "$sw" "$r1" "$r2"
	echo "$n $gs $io $sw $r1 $r2" >>"$tmp/e2e.txt"
	rm -f "$tmp/in.pcap"
done

# ---- 3. Maglev ------------------------------------------------------------
echo "== Maglev rebuild (bench_maglev, median of 21)"
"$build/tests/bench/bench_maglev" 21 | tee "$tmp/maglev.txt"

# ---- results file and plot -------------------------------------------------
mkdir -p "$outdir"
$py "$root/tests/bench/bench_report.py" --tmp "$tmp" --mem "$mem_mode" --build "$build" \
	--json "$outdir/benchmarks.json" --png "$outdir/benchmarks.png"
