#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end test of gsteer-appliance over a veth pair between two private
# network namespaces: byte-exact GENEVE echo (IPv4 and IPv6 outer, AWS GWLB
# options), every mode, the health port, the control socket, signals and the
# stats file.
#
# Usage: test_appliance.sh PATH/TO/gsteer-appliance
# Needs root, ip(8), curl, and Debian's /usr/bin/python3 with scapy.
# Only addresses inside the namespaces it creates are used (10.99.0.0/24,
# fd99::/64).  Everything it creates is removed on exit, pass or fail.

set -u -o pipefail

APP=${1:?usage: $0 PATH/TO/gsteer-appliance}
APP=$(readlink -f "$APP")
HERE=$(cd "$(dirname "$0")" && pwd)
PEER="$HERE/geneve_peer.py"
PY=/usr/bin/python3	# the python3 first in PATH may lack scapy

TAG="gsa-$$"
NS_A="$TAG-a"		# appliances
NS_C="$TAG-c"		# the GENEVE peer (stands in for gsteer)
VETH_A="gsa$$a"
VETH_C="gsa$$c"
A4=10.99.0.1 A6=fd99::1		# appliance 1 (default options)
B4=10.99.0.3 B6=fd99::3		# appliance 2 (--keep-ports --ttl 2)
C4=10.99.0.2 C6=fd99::2
TMP=""
PIDS=()
STEP="setup"

log() { echo "[appliance-test] $*"; }

fail() {
	echo "[appliance-test] FAIL ($STEP): $*" >&2
	for f in "$TMP"/*.log; do
		[ -s "$f" ] && { echo "--- $f:" >&2; tail -20 "$f" >&2; }
	done
	exit 1
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null ||
			kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() { echo "[appliance-test] SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "needs ip(8)"
command -v curl >/dev/null || skip "needs curl"
"$PY" -c 'import scapy.contrib.geneve' 2>/dev/null ||
	skip "needs $PY with scapy"
[ -x "$APP" ] || fail "no executable at $APP"

TMP=$(mktemp -d /tmp/gsa-test.XXXXXX) || fail "mktemp"

in_a() { ip netns exec "$NS_A" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }

ctl() { timeout 15 "$APP" --ctl "$TMP/a1.sock" "$@"; }

# peer ARGS...: run the GENEVE peer from the client namespace.
peer() { in_c timeout 60 "$PY" "$PEER" "$@" || fail "geneve_peer $*"; }

# json_get FILE-or-"-" KEY
json_get() { "$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"; }

stat_of() { ctl stats > "$TMP/stats.json" || fail "stats"; json_get "$TMP/stats.json" "$1"; }

expect_stat() {
	local got
	got=$(stat_of "$1")
	[ "$got" = "$2" ] || fail "stats $1 = $got, expected $2"
}

# health_code URL: HTTP status, or "refused".
health_code() {
	local code rc
	code=$(in_c curl -s -o /dev/null -m 3 -w '%{http_code}' "$1")
	rc=$?
	[ $rc = 7 ] && { echo refused; return; }
	echo "$code"
}

expect_health() {
	local got
	got=$(health_code "$1")
	[ "$got" = "$2" ] || fail "health $1: got $got, expected $2"
}

# wait_ctl SOCK: until the appliance answers (it is ready then), at most 5 s.
wait_ctl() {
	local _
	for _ in $(seq 50); do
		timeout 2 "$APP" --ctl "$1" stats >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "appliance did not answer on $1 within 5 s"
}

# ---- topology ----------------------------------------------------------------
STEP="topology"
ip netns add "$NS_A" || fail "ip netns add"
ip netns add "$NS_C" || fail "ip netns add"
ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_C" netns "$NS_C" ||
	fail "veth"
for ns in "$NS_A" "$NS_C"; do
	ip -n "$ns" link set lo up || fail "lo up"
done
ip -n "$NS_A" addr add $A4/24 dev "$VETH_A" &&
ip -n "$NS_A" addr add $B4/24 dev "$VETH_A" &&
ip -n "$NS_A" addr add $A6/64 dev "$VETH_A" nodad &&
ip -n "$NS_A" addr add $B6/64 dev "$VETH_A" nodad &&
ip -n "$NS_C" addr add $C4/24 dev "$VETH_C" &&
ip -n "$NS_C" addr add $C6/64 dev "$VETH_C" nodad &&
ip -n "$NS_A" link set "$VETH_A" up &&
ip -n "$NS_C" link set "$VETH_C" up || fail "addresses"

# ---- command line --------------------------------------------------------------
STEP="command line"
"$APP" --help | grep -q -- '--keep-ports' || fail "--help"
for bad in "--port 70000:--port" "--listen 1.2.3:--listen" \
	   "--mode subset:--mode" "--health-status 42:--health-status" \
	   "--listen 10.0.0.1 --listen 10.0.0.2:--listen" "stray:stray"; do
	args=${bad%%:*}
	want=${bad##*:}
	# shellcheck disable=SC2086
	timeout 5 "$APP" $args > "$TMP/bad.out" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "'$args' exit $rc, expected 2"
	grep -q -- "$want" "$TMP/bad.out" ||
		fail "'$args' error does not name $want: $(cat "$TMP/bad.out")"
done

# ---- appliance 1 ---------------------------------------------------------------
STEP="start"
ip netns exec "$NS_A" "$APP" --listen $A4 --listen $A6 --health-listen $A4 \
	--control "$TMP/a1.sock" --stats-file "$TMP/a1.stats" \
	> "$TMP/a1.log" 2>&1 &
PID1=$!
PIDS+=("$PID1")
wait_ctl "$TMP/a1.sock"
log "appliance 1 up (pid $PID1)"

STEP="health"
expect_health "http://$A4/health" 200
expect_health "http://$A4/other" 404

STEP="echo"
peer --target $A4 --flows 16 --flow-base 0 --invalid \
	--summary "$TMP/e4.json" --flows-out "$TMP/e4.flows"
peer --target $A6 --flows 16 --flow-base 1000 --invalid \
	--summary "$TMP/e6.json" --flows-out "$TMP/e6.flows"
pk=$(( $(json_get "$TMP/e4.json" packets) + $(json_get "$TMP/e6.json" packets) ))
by=$(( $(json_get "$TMP/e4.json" bytes) + $(json_get "$TMP/e6.json" bytes) ))
inv=$(( $(json_get "$TMP/e4.json" invalid) + $(json_get "$TMP/e6.json" invalid) ))
expect_stat packets $pk
expect_stat echoed $pk
expect_stat bytes $by
expect_stat invalid $inv
expect_stat flows 32
expect_stat unparsed 0

STEP="flows"
ctl flows > "$TMP/flows.out" || fail "flows command"
[ "$(tail -n 1 "$TMP/flows.out")" = end ] || fail "flows: no 'end' line"
head -n -1 "$TMP/flows.out" | sort > "$TMP/got.flows"
sort "$TMP/e4.flows" "$TMP/e6.flows" > "$TMP/want.flows"
diff -u "$TMP/want.flows" "$TMP/got.flows" > "$TMP/flows.diff" ||
	fail "flow list differs: $(cat "$TMP/flows.diff")"
# Both directions of every flow crossed: 2 packets each, all passed.
ctl flows counts | awk '$0 != "end" && ($6 != 2 || $7 != 2) { bad = 1 }
			END { exit bad }' || fail "per-flow counts"

STEP="reset"
[ "$(ctl reset)" = ok ] || fail "reset"
expect_stat packets 0
expect_stat flows 0

STEP="blackhole"
[ "$(ctl mode blackhole)" = ok ] || fail "mode blackhole"
peer --target $A4 --flows 8 --expect none --timeout 1
peer --target $A6 --flows 8 --expect none --timeout 1
expect_health "http://$A4/health" 200
expect_stat mode blackhole
expect_stat dropped 32
expect_stat echoed 0
expect_stat flows 8	# same inner flows over both outer families

STEP="SIGUSR1"
[ "$(ctl mode normal)" = ok ] || fail "mode normal"
kill -USR1 "$PID1"
sleep 0.2
expect_stat mode blackhole
peer --target $A4 --flows 4 --expect none --timeout 1
kill -USR1 "$PID1"
sleep 0.2
expect_stat mode normal
peer --target $A4 --flows 4

STEP="subset"
[ "$(ctl mode subset 4 1)" = ok ] || fail "mode subset"
peer --target $A4 --flows 40 --expect subset --m 4 --k 1 --summary "$TMP/s.json"
n=$(json_get "$TMP/s.json" returned)
[ "$n" -gt 0 ] && [ "$n" -lt 80 ] ||
	fail "subset 4 1 returned $n of 80: the test proves nothing"
peer --target $A6 --flows 40 --flow-base 500 --expect subset --m 4 --k 1
[ "$(ctl mode subset 4 4)" != ok ] || fail "subset 4 4 accepted"
expect_stat mode subset	# a rejected command changes nothing

STEP="delay"
[ "$(ctl mode delay 300)" = ok ] || fail "mode delay"
peer --target $A4 --flows 8 --min-rtt 0.29
peer --target $A6 --flows 8 --min-rtt 0.29
expect_stat queued 0

STEP="down"
[ "$(ctl mode down)" = ok ] || fail "mode down"
expect_health "http://$A4/health" refused
peer --target $A4 --flows 4 --expect none --timeout 1
[ "$(ctl mode normal)" = ok ] || fail "mode normal after down"
expect_health "http://$A4/health" 200
peer --target $A4 --flows 4

STEP="health status"
[ "$(ctl health 503)" = ok ] || fail "health 503"
expect_health "http://$A4/health" 503
ctl health 200 >/dev/null

STEP="control errors"
out=$(ctl bogus); rc=$?
[ $rc = 1 ] && [[ $out == error:* ]] || fail "bogus command: rc $rc '$out'"
out=$(ctl mode delay 99999999); rc=$?
[ $rc = 1 ] || fail "delay out of range accepted"

# ---- appliance 2: AWS-style replies (ports kept, TTL 2) --------------------------
STEP="keep-ports"
ip netns exec "$NS_A" "$APP" --listen $B4 --listen $B6 --keep-ports --ttl 2 \
	--health-port 8081 --health-listen $B4 --health-status 503 \
	--control "$TMP/a2.sock" > "$TMP/a2.log" 2>&1 &
PID2=$!
PIDS+=("$PID2")
wait_ctl "$TMP/a2.sock"
peer --target $B4 --flows 16 --keep-ports --ttl 2 --invalid
peer --target $B6 --flows 16 --keep-ports --ttl 2 --invalid
expect_health "http://$B4:8081/health" 503
peer --target $B4 --flows 4 --keep-ports --garbage 5000
peer --target $B6 --flows 4 --keep-ports --garbage 5000
peer --target $B4 --flows 4 --keep-ports	# still alive and echoing
kill -TERM "$PID2"
timeout 5 tail --pid="$PID2" -f /dev/null || fail "no exit within 5 s of SIGTERM"
wait "$PID2"
rc=$?
[ $rc = 0 ] || fail "appliance 2 exit status $rc after SIGTERM"

# ---- clean exit and the stats file ------------------------------------------------
STEP="exit"
peer --target $A4 --flows 6 --flow-base 7000
kill -TERM "$PID1"
timeout 5 tail --pid="$PID1" -f /dev/null || fail "no exit within 5 s of SIGTERM"
wait "$PID1"
rc=$?
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
[ -s "$TMP/a1.stats" ] || fail "no stats file"
json_get "$TMP/a1.stats" mode >/dev/null || fail "stats file: first line not JSON"
[ "$(tail -n 1 "$TMP/a1.stats")" = end ] || fail "stats file: no 'end' line"
[ ! -e "$TMP/a1.sock" ] || fail "control socket left behind"
grep -q "^1 172.16.27.91 0 192.168.27.91 0$" "$TMP/a1.stats" ||
	fail "stats file lacks a flow that was sent"

log "PASS"
