#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end: gsteer-dataplane on net_virtio_user, attached to a vhost-user
# socket served by a second DPDK process (dpdk-testpmd).
#
#   test_virtio.sh BUILD_DIR
#
#   in.pcap --net_pcap--> testpmd (io fwd) --net_vhost--> vhost.sock
#                                                            |
#   out.pcap <--net_pcap-- testpmd (io fwd) <--net_vhost-- gsteer
#                                                  (net_virtio_user0,mac=...)
#
# - Steps replayed: the packet steps of BUILD/tests/fixtures/fixtures.json
#   before the first control step that expect exactly one output frame and
#   are not tagged "slowpath", in order (flows they create are used by the
#   later "return" steps, so order matters; testpmd io forwarding and one
#   gsteer worker keep it).
# - testpmd (vhost-user server, started first, interactive with its stdin on
#   a FIFO) is told "start" only once gsteer is up (its control socket
#   exists), so no frame is dropped by a vhost port with no guest.
# - gsteer exits --exit-idle-ms after the last frame; then testpmd is told
#   "stop" / "quit", which closes out.pcap.
# - out.pcap must hold exactly the expected frames (multiset, byte exact;
#   the fixtures use 02:70:63:61:70:00 as gsteer's MAC, set on virtio_user
#   with its mac= devarg).
#
# Shared memory: vhost-user needs the guest memory in files the backend can
# map, so both processes run on hugepages (--single-file-segments, own
# --file-prefix; --no-huge/--in-memory do not work with vhost-user). If the
# host has fewer than NEED free 2 MiB hugepages, nr_hugepages is raised and
# put back to its old value on exit (pages still in use by others become
# surplus pages and are freed by the kernel when released).
#
# Exit: 0 pass, 1 fail, 77 skip (vhost/virtio PMDs or testpmd missing, no
# root, or no hugepages could be reserved).
set -euo pipefail

BUILD=${1:?build dir}
PY=/usr/bin/python3
REPLAY=$(dirname "$0")/../fixtures/replay.py
DP=$BUILD/dataplane/gsteer-dataplane
FIX=$BUILD/tests/fixtures/fixtures.json
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CFG=$SRC/tests/fixtures/gsteer-fixtures.json
TESTPMD=$(command -v dpdk-testpmd || true)
HP=/sys/kernel/mm/hugepages/hugepages-2048kB
NEED=768				# 1.5 GiB in 2 MiB pages: testpmd + gsteer, with slack
P_TP="gsvt$$tp" P_DP="gsvt$$dp"		# DPDK file prefixes
WATCHDOG=120

skip() { echo "SKIP: test_virtio: $*"; exit 77; }
fail() { echo "FAIL: test_virtio: $*" >&2; exit 1; }

# --- preconditions ----------------------------------------------------------
have_pmd() {
	local d
	for d in /usr/lib/*/dpdk/pmds-*/ /usr/local/lib/*/dpdk/pmds-*/; do
		compgen -G "$d/librte_net_$1.so*" >/dev/null && return 0
	done
	return 1
}
have_pmd vhost || skip "librte_net_vhost PMD not installed"
have_pmd virtio || skip "librte_net_virtio PMD not installed"
have_pmd pcap || skip "librte_net_pcap PMD not installed"
[ -n "$TESTPMD" ] || skip "dpdk-testpmd not installed"
[ "$(id -u)" = 0 ] || skip "needs root (hugepages, vhost-user)"
[ -x "$DP" ] || fail "$DP not built"
[ -f "$FIX" ] || fail "$FIX not generated (needs /usr/bin/python3 with scapy)"
[ -d "$HP" ] || skip "no 2 MiB hugepage support"

TMP=$(mktemp -d "/tmp/gsvt$$.XXXXXX")
TP_PID= DP_PID= WD_PID= OLD_NR= FIFO_OPEN=
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	[ -n "$WD_PID" ] && kill "$WD_PID" 2>/dev/null
	[ -n "$DP_PID" ] && kill -INT "$DP_PID" 2>/dev/null
	if [ -n "$TP_PID" ] && kill -0 "$TP_PID" 2>/dev/null; then
		[ -n "$FIFO_OPEN" ] && { echo quit >&7; } 2>/dev/null
		sleep 1
		kill -INT "$TP_PID" 2>/dev/null
	fi
	for p in $DP_PID $TP_PID; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -n "$FIFO_OPEN" ] && exec 7>&-
	wait 2>/dev/null || true
	rm -rf "/var/run/dpdk/$P_TP" "/var/run/dpdk/$P_DP" \
		/dev/hugepages/"$P_TP"map_* /dev/hugepages/"$P_DP"map_* 2>/dev/null
	[ -n "$OLD_NR" ] && echo "$OLD_NR" >"$HP/nr_hugepages" 2>/dev/null
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -d "$TMP" ]; then
		for f in testpmd.log dp.log; do
			[ -f "$TMP/$f" ] && { echo "--- $f (last 40 lines)"; tail -n 40 "$TMP/$f"; } >&2
		done
	fi
	[ -n "${GSVT_KEEP:-}" ] && echo "kept $TMP" >&2 || rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT
trap 'echo "FAIL: test_virtio: watchdog: not done after ${WATCHDOG}s" >&2; exit 1' TERM
# (its sleep is killed with it, so no stray process keeps stdout open)
( trap 'kill $s 2>/dev/null; exit 0' TERM; sleep "$WATCHDOG" & s=$!; wait $s
  kill -TERM $$ ) >/dev/null 2>&1 </dev/null &
WD_PID=$!

# --- hugepages --------------------------------------------------------------
mountpoint -q /dev/hugepages || {
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages || skip "cannot mount hugetlbfs"
}
free_hp=$(cat "$HP/free_hugepages")
if [ "$free_hp" -lt "$NEED" ]; then
	cur=$(cat "$HP/nr_hugepages")
	OLD_NR=$cur
	echo $((cur + NEED - free_hp)) >"$HP/nr_hugepages" 2>/dev/null || true
	free_hp=$(cat "$HP/free_hugepages")
	[ "$free_hp" -ge "$NEED" ] || skip "only $free_hp free 2 MiB hugepages, $NEED needed"
fi

# --- in.pcap, config, expected frames -----------------------------------------
"$PY" "$REPLAY" prepare "$FIX" "$CFG" "$TMP" \
	"net_virtio_user0,path=$TMP/vhost.sock,queues=1,mac=02:70:63:61:70:00" \
	--single-output

# --- testpmd: vhost-user server + pcap ------------------------------------------
mkfifo "$TMP/tp.in"
# the FIFO must have a writer before testpmd reads it: open read-write
exec 7<>"$TMP/tp.in"
FIFO_OPEN=1
timeout -s INT -k 5 $((WATCHDOG - 10)) "$TESTPMD" \
	-l 0-1 -m 256 --single-file-segments --no-pci --file-prefix "$P_TP" \
	--log-level warning \
	--vdev "net_pcap0,rx_pcap=$TMP/in.pcap,tx_pcap=$TMP/out.pcap" \
	--vdev "net_vhost0,iface=$TMP/vhost.sock,queues=1" \
	-- -i --forward-mode=io --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=8192 --no-flush-rx \
	<"$TMP/tp.in" >"$TMP/testpmd.log" 2>&1 &
TP_PID=$!
for _ in $(seq 1 200); do
	[ -S "$TMP/vhost.sock" ] && break
	kill -0 "$TP_PID" 2>/dev/null || fail "testpmd exited early"
	sleep 0.1
done
[ -S "$TMP/vhost.sock" ] || fail "testpmd did not create $TMP/vhost.sock"

# --- gsteer: virtio-user client ---------------------------------------------------
timeout -s INT -k 5 $((WATCHDOG - 20)) "$DP" --config "$TMP/config.json" \
	--exit-idle-ms 4000 --stats-file "$TMP/stats.json" \
	-l 0-1 -m 256 --single-file-segments --no-pci --file-prefix "$P_DP" \
	--log-level warning >"$TMP/dp.log" 2>&1 &
DP_PID=$!
for _ in $(seq 1 300); do
	[ -S "$TMP/dp.sock" ] && break
	kill -0 "$DP_PID" 2>/dev/null || fail "gsteer-dataplane exited early"
	sleep 0.1
done
[ -S "$TMP/dp.sock" ] || fail "gsteer-dataplane did not open its control socket"

# now the guest is there: forward (io, retrying rather than dropping on tx)
echo "set fwd io retry" >&7
echo "start" >&7

# gsteer exits 4 s after its last received frame
set +e
wait "$DP_PID"
dp_rc=$?
set -e
DP_PID=
echo "stop" >&7
sleep 1
echo "quit" >&7
for _ in $(seq 1 100); do kill -0 "$TP_PID" 2>/dev/null || break; sleep 0.1; done
set +e
kill -0 "$TP_PID" 2>/dev/null && { kill -INT "$TP_PID"; sleep 1; }
wait "$TP_PID"
set -e
TP_PID=

[ "$dp_rc" -eq 0 ] || fail "gsteer-dataplane exited with $dp_rc"
if grep -q 'runtime error:\|Sanitizer' "$TMP/dp.log"; then
	cat "$TMP/dp.log" >&2
	fail "gsteer-dataplane reported sanitizer errors"
fi
[ -f "$TMP/out.pcap" ] || fail "testpmd wrote no out.pcap"

# --- compare ----------------------------------------------------------------------
"$PY" "$REPLAY" compare "$TMP" || fail "output differs from the fixtures (above)"
echo "PASS test_virtio: fixture frames through vhost-user/virtio-user, all back byte for byte, no drops"
