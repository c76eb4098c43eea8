#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Replay the packet fixtures through the real gsteer-dataplane binary with
# net_pcap, and compare what it wrote with what the fixtures expect.
#
#   test_pcap_replay.sh GSTEER_DATAPLANE FIXTURE_CONFIG FIXTURES_JSON [PYTHON]
#
# - Steps replayed: every packet step before the first control ("ctl") step,
#   in order (the data plane's state then evolves exactly as in the fixture
#   table; control steps cannot be replayed from a pcap).
# - in.pcap holds their input frames; the data plane runs with one worker
#   (-l 0-1), reads in.pcap, writes out.pcap and exits 1.5 s after the last
#   packet (--exit-idle-ms), dumping its counters to stats.json.
# - out.pcap must hold exactly the expected frames as a multiset (order is
#   not compared: main-lcore answers such as ARP replies leave through the
#   worker's inject ring at a time of their own).
# - The drop counters in stats.json must equal, reason by reason, the number
#   of replayed steps that expect that reason; every other reason must be 0.
#
# MACs: the fixtures use 02:70:63:61:70:00 as the data plane's own MAC,
# which is exactly what net_pcap gives its first port ("pcap" + index 0),
# so no frame is rewritten.
set -euo pipefail

DP=${1:?gsteer-dataplane}
CFG=${2:?fixture config}
FIX=${3:?fixtures json}
PY=${4:-/usr/bin/python3}
REPLAY=$(dirname "$0")/../fixtures/replay.py

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gsfx-pcap.XXXXXX")
cleanup() {
	rm -rf "$tmp" "/var/run/dpdk/gsfx$$"
}
trap cleanup EXIT

# 1. in.pcap, the config copy, and what to expect
"$PY" "$REPLAY" prepare "$FIX" "$CFG" "$tmp" \
	"net_pcap0,rx_pcap=$tmp/in.pcap,tx_pcap=$tmp/out.pcap"

# 2. the real binary
set +e
timeout 60 "$DP" --config "$tmp/config.json" --exit-idle-ms 1500 \
	--stats-file "$tmp/stats.json" \
	-l 0-1 --no-huge -m 512 --no-pci --no-shconf --file-prefix "gsfx$$" \
	--log-level warning >"$tmp/dp.log" 2>&1
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
	echo "test_pcap_replay: gsteer-dataplane exited with $rc:" >&2
	cat "$tmp/dp.log" >&2
	exit 1
fi
# sanitizer builds: UBSan reports do not change the exit status
if grep -q 'runtime error:\|Sanitizer' "$tmp/dp.log"; then
	echo "test_pcap_replay: gsteer-dataplane reported sanitizer errors:" >&2
	cat "$tmp/dp.log" >&2
	exit 1
fi

# 3. compare
"$PY" "$REPLAY" compare "$tmp"
