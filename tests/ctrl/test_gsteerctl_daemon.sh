#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gsteerctl against the real gsteerd, with no data plane (gsteerd reports
# "dataplane: down" and keeps trying), two target groups sharing an
# appliance id, and TCP checks on loopback: one appliance's check port
# listens (127.0.0.1), the other's refuses (127.0.0.2), so gsteerd decides a
# real state change.  Checks the table, drain/undrain and its refusals,
# events, --json passthrough, the config-derived socket, the same config
# errors as gsteerd's, and exit 3 once gsteerd is stopped or killed.
#
# Then, when gsteer-dataplane is built, with a real data plane (net_null
# port, no hugepages): the table's flow-table and drop figures come from it,
# and what docs/operations.md promises holds: gsteerd re-sends its states
# to a restarted data plane, a data plane whose gsteerd died keeps them, and
# a new gsteerd takes them over (an operator's drain included).
#
#   test_gsteerctl_daemon.sh GSTEERCTL GSTEERD [GSTEER_DATAPLANE]
#
# Exit: 0 pass, 1 fail.  Takes about 3 s, 15 s with the data plane.
set -uo pipefail

CTL=${1:?path to gsteerctl}
GSTEERD=${2:?path to gsteerd}
DATAPLANE=${3:-}
VERSION=$("$GSTEERD" --version | awk '{print $2}')
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
T=$(mktemp -d /tmp/gsteerctl-daemon.XXXXXX)
GSTEERD_PID=
LISTENER_PID=
DP_PID=
DP_PREFIX=gsctl$$
FAILED=0

cleanup() {
	local p
	for p in $GSTEERD_PID $LISTENER_PID $DP_PID; do kill "$p" 2>/dev/null; done
	for p in $GSTEERD_PID $LISTENER_PID $DP_PID; do wait "$p" 2>/dev/null; done
	# EAL's runtime files, left behind if the data plane was killed
	rm -rf "$T" "/var/run/dpdk/$DP_PREFIX"
}
trap cleanup EXIT

bad() { echo "FAIL: $*" >&2; FAILED=1; }
run() { "$CTL" --config "$T/gsteer.json" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
expect_rc() { [ "$RC" -eq "$2" ] || bad "$1: exit $RC, expected $2 (stderr: $(cat "$T/err"))"; }
expect_err() { grep -qF -- "$2" "$T/err" || bad "$1: stderr lacks '$2': $(cat "$T/err")"; }
expect_line() { # what, extended regex one stdout line must match in full
	grep -qxE -- "$2" "$T/out" || bad "$1: no line matches '$2' in:
$(cat "$T/out")"
}

# the health-check port: whatever the kernel gives, listening on 127.0.0.1
# only, so the same port on 127.0.0.2 refuses
$PY - "$T/port" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    s.accept()[0].close()
PY
LISTENER_PID=$!
for _ in $(seq 1 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { echo "FAIL: check listener did not start" >&2; exit 1; }

$PY - "$SRC/tests/configs/minimal.json" "$T" "$(cat "$T/port")" >"$T/gsteer.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
tmp, port = sys.argv[2], int(sys.argv[3])
cfg["dataplane"]["control_socket"] = tmp + "/dp.sock"  # nobody, until phase 2
# a port that sends nothing: the data plane's counters stay still
cfg["dataplane"]["ports"][0]["devargs"] = "net_null0,no-rx=1"
cfg["dataplane"]["flow_table_size"] = 65536
cfg["daemon"] = {"socket": tmp + "/gsteerd.sock", "probe_socket": tmp + "/probe.sock",
                 "metrics_listen": ""}
cfg["target_groups"] = [
    {"name": "fleet",
     "health_check": {"protocol": "tcp", "port": port, "interval_ms": 100,
                      "timeout_ms": 50, "healthy_threshold": 1, "unhealthy_threshold": 1},
     "appliances": [{"id": "a1", "address": "10.10.0.11", "health_address": "127.0.0.1"},
                    {"id": "a2", "address": "10.10.0.12", "health_address": "127.0.0.2"}]},
    {"name": "edge", "health_check": {"protocol": "none"},
     "appliances": [{"id": "a1", "address": "10.10.0.21"},
                    {"id": "a3", "address": "10.10.0.23", "state": "draining"}]},
]
print(json.dumps(cfg, indent=1))
PY

"$GSTEERD" --config "$T/gsteer.json" --log-stderr >"$T/gsteerd.log" 2>&1 &
GSTEERD_PID=$!
for _ in $(seq 1 50); do [ -S "$T/gsteerd.sock" ] && break; sleep 0.1; done
[ -S "$T/gsteerd.sock" ] || { echo "FAIL: gsteerd did not start: $(cat "$T/gsteerd.log")" >&2; exit 1; }

# ping, and --json as gsteerd sent it, byte for byte
run ping
expect_rc "ping" 0
[ "$(cat "$T/out")" = "gsteerd $VERSION: backend dpdk, data plane down" ] || bad "ping printed '$(cat "$T/out")'"
run --json ping
$PY - "$T/gsteerd.sock" >"$T/direct" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"ping"}\n')
buf = b""
while not buf.endswith(b"\n"):
    buf += s.recv(65536)
sys.stdout.write(buf.decode())
PY
cmp -s "$T/out" "$T/direct" || bad "ping --json '$(cat "$T/out")' is not gsteerd's reply '$(cat "$T/direct")'"

# wait until gsteerd has decided a2 (its check is refused) unhealthy
for _ in $(seq 1 50); do
	run events
	grep -q 'fleet/a2 .*healthy -> unhealthy' "$T/out" && break
	sleep 0.1
done
expect_line "events" ' *1  [0-9-]{10} [0-9:.]{12}  fleet/a2 +healthy -> unhealthy +tcp check: .*'

run show
expect_rc "show" 0
expect_line "show header" 'backend dpdk, data plane DOWN \(gsteerd keeps retrying; forwarding continues with the last states\)'
expect_line "show columns" 'GROUP +ID +STATE +SINCE +CHECK +PROBE +FLOWS +TX/s +RX/s'
expect_line "show fleet/a1" 'fleet +a1 +healthy +[0-9]+s +ok connected +off +0 +0\.0 +0\.0'
expect_line "show fleet/a2" 'fleet +a2 +unhealthy +[0-9]+s +FAIL connect: Connection refused +off +0 +0\.0 +0\.0'
expect_line "show edge/a1" 'edge +a1 +healthy +[0-9]+s +- +off +0 +0\.0 +0\.0'
expect_line "show edge/a3" 'edge +a3 +draining +[0-9]+s +- +off +0 +0\.0 +0\.0'
[ "$(wc -l <"$T/out")" -eq 6 ] || bad "show printed $(wc -l <"$T/out") lines, expected 6"

# --json show: one line, gsteerd's reply, the same appliances as the table
run --json show
[ "$(wc -l <"$T/out")" -eq 1 ] || bad "show --json is $(wc -l <"$T/out") lines"
$PY -c 'import json,sys
r = json.load(open(sys.argv[1]))
got = [(a["group"], a["id"], a["state"]) for a in r["appliances"]]
want = [("fleet","a1","healthy"), ("fleet","a2","unhealthy"), ("edge","a1","healthy"), ("edge","a3","draining")]
assert r["ok"] is True and r["dataplane"]["connected"] is False, r
assert got == want, got' "$T/out" || bad "show --json: $(head -c 300 "$T/out")"

run drops
[ "$(cat "$T/out")" = "data plane down: gsteerd has no drop counters now" ] || bad "drops: $(cat "$T/out")"
run flows
[ "$(cat "$T/out")" = "data plane down: flow-table occupancy unknown" ] || bad "flows: $(cat "$T/out")"

# drain: refused when ambiguous or unknown (exit 1, gsteerd's words)
run drain a1
expect_rc "drain of an id in two groups" 1
expect_err "drain of an id in two groups" "gsteerctl: gsteerd: appliance 'a1' is in target groups"
run drain nope
expect_rc "drain of an unknown id" 1
expect_err "drain of an unknown id" "gsteerctl: gsteerd: no appliance 'nope' in any target group"
run drain nope --json
expect_rc "drain --json of an unknown id" 1
grep -qxF '{"ok":false,"error":"no appliance '"'nope'"' in any target group"}' "$T/out" ||
	bad "drain --json refusal printed '$(cat "$T/out")'"
run drain a1 --group nogroup
expect_rc "drain in an unknown group" 1

run drain a1 --group edge
expect_rc "drain" 0
[ "$(cat "$T/out")" = "edge/a1: draining" ] || bad "drain printed '$(cat "$T/out")'"
run show
expect_line "show after drain" 'edge +a1 +draining +[0-9]+s +- +off +0 +0\.0 +0\.0'
expect_line "show after drain, fleet/a1 untouched" 'fleet +a1 +healthy .*'
run events --since 1
expect_line "events after drain" ' *2  [0-9-]{10} [0-9:.]{12}  edge/a1 +healthy -> draining +drained by the operator'
[ "$(wc -l <"$T/out")" -eq 2 ] || bad "events --since 1 listed more than the drain: $(cat "$T/out")"
run undrain a1 --group edge
expect_rc "undrain" 0
[ "$(cat "$T/out")" = "edge/a1: healthy" ] || bad "undrain printed '$(cat "$T/out")'"
run events --since 3
[ "$(cat "$T/out")" = "no events after 3" ] || bad "events --since 3: $(cat "$T/out")"

run watch --count 2 --interval-ms 100
expect_rc "watch" 0
[ "$(grep -c '^GROUP ' "$T/out")" -eq 2 ] || bad "watch --count 2 printed $(grep -c '^GROUP ' "$T/out") tables"

# usage errors never reach the daemon; a bad config reads as gsteerd says it
run drain
expect_rc "drain with no id" 2
printf '{"daemon": {"socket": "%s/gsteerd.sock", "sokcet": 1}}\n' "$T" >"$T/bad.json"
"$CTL" --config "$T/bad.json" show >/dev/null 2>"$T/ctl.err"
RC=$?
expect_rc "bad config" 2
"$GSTEERD" --config "$T/bad.json" --check >/dev/null 2>"$T/gsteerd.err"
[ "$(sed 's/^gsteerctl: //' "$T/ctl.err")" = "$(sed 's/^gsteerd: //' "$T/gsteerd.err")" ] ||
	bad "config error differs: gsteerctl '$(cat "$T/ctl.err")', gsteerd '$(cat "$T/gsteerd.err")'"

# gsteerd gone: killed (its socket file stays) and stopped (removed)
{ kill -KILL "$GSTEERD_PID"; wait "$GSTEERD_PID"; } 2>/dev/null
GSTEERD_PID=
run show
expect_rc "gsteerd killed" 3
expect_err "gsteerd killed" "gsteerctl: cannot reach gsteerd at $T/gsteerd.sock: connection refused"
"$GSTEERD" --config "$T/gsteer.json" >"$T/gsteerd2.log" 2>&1 &
GSTEERD_PID=$!
for _ in $(seq 1 50); do run ping; [ "$RC" -eq 0 ] && break; sleep 0.1; done
expect_rc "ping after gsteerd restarted on its stale socket" 0
kill -TERM "$GSTEERD_PID"
wait "$GSTEERD_PID" 2>/dev/null
GSTEERD_PID=
run show
expect_rc "gsteerd stopped" 3
expect_err "gsteerd stopped" "gsteerctl: cannot reach gsteerd at $T/gsteerd.sock: no such socket"

# ---------------------------------------------------------------------------
# phase 2: a real data plane
start_gsteerd() {
	"$GSTEERD" --config "$T/gsteer.json" --log-stderr >>"$T/gsteerd.log" 2>&1 &
	GSTEERD_PID=$!
}
start_dataplane() {
	"$DATAPLANE" --config "$T/gsteer.json" -l 0-1 --no-huge -m 256 --no-pci \
		--file-prefix "$DP_PREFIX" >>"$T/dp.log" 2>&1 &
	DP_PID=$!
	for _ in $(seq 1 100); do [ -S "$T/dp.sock" ] && return 0; sleep 0.1; done
	echo "FAIL: gsteer-dataplane did not start: $(cat "$T/dp.log")" >&2
	exit 1
}
stop_dataplane() {
	kill -TERM "$DP_PID"
	wait "$DP_PID" 2>/dev/null
	DP_PID=
}
# the state the data plane itself has for group/id
dp_state() {
	$PY - "$T/dp.sock" "$1" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"show_appliances"}\n')
buf = b""
while not buf.endswith(b"\n"):
    buf += s.recv(65536)
for a in json.loads(buf)["appliances"]:
    if (a["group"], a["id"]) == (sys.argv[2], sys.argv[3]) and a["state"] != "removed":
        print(a["state"])
PY
}
wait_dp_state() { # group, id, state
	for _ in $(seq 1 50); do [ "$(dp_state "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
	return 1
}

if [ -n "$DATAPLANE" ] && [ -x "$DATAPLANE" ] && [ "$(id -u)" -eq 0 ]; then
	start_dataplane
	start_gsteerd
	for _ in $(seq 1 50); do
		run ping
		[ "$(cat "$T/out")" = "gsteerd $VERSION: backend dpdk, data plane connected" ] && break
		sleep 0.1
	done
	[ "$(cat "$T/out")" = "gsteerd $VERSION: backend dpdk, data plane connected" ] ||
		bad "gsteerd did not reach the data plane: $(cat "$T/out") $(cat "$T/err")"
	# gsteerd pushes what its checks decide
	wait_dp_state fleet a2 unhealthy || bad "gsteerd did not set fleet/a2 unhealthy in the data plane"

	run show
	expect_line "show, data plane up" 'backend dpdk, data plane connected, flow table 0 / [0-9]+ \(0\.0%\)'
	expect_line "show, data plane up: fleet/a2" 'fleet +a2 +unhealthy .*'
	run flows
	expect_line "flows, data plane up" 'flow table used: 0 / [0-9]+ \(0\.0%\)'
	capacity=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataplane"]["flow_table"]["capacity"])' \
		<("$CTL" --config "$T/gsteer.json" --json show))
	grep -qF " / $capacity " "$T/out" || bad "flows shows another capacity than gsteerd's $capacity: $(cat "$T/out")"
	run drops
	expect_rc "drops, data plane up" 0
	[ "$(head -1 "$T/out")" = "no drops" ] || head -1 "$T/out" | grep -qxE 'REASON +PACKETS' ||
		bad "drops, data plane up: $(cat "$T/out")"

	# set-state: gsteerd refuses it (its checks decide); the data plane's
	# own socket takes it (benchmarks run a data plane without gsteerd)
	run set-state a1 unhealthy --group fleet
	expect_rc "set-state against gsteerd" 1
	grep -q 'unknown command' "$T/err" || bad "set-state against gsteerd: $(cat "$T/err")"
	"$CTL" --socket "$T/dp.sock" set-state a1 draining --group fleet >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc "set-state against the data plane" 0
	[ "$(cat "$T/out")" = "fleet/a1: draining" ] || bad "set-state printed '$(cat "$T/out")'"
	# (the reply is the data plane's own; gsteerd, which decided fleet/a1
	# healthy, puts it back at its next poll, so the state is not read)
	"$CTL" --socket "$T/dp.sock" set-state nobody healthy >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc "set-state of an unknown appliance" 1

	# the data plane restarts from the config (a2 healthy there); gsteerd
	# notices and re-sends its decision
	stop_dataplane
	start_dataplane
	wait_dp_state fleet a2 unhealthy || bad "gsteerd did not re-send fleet/a2 unhealthy to the restarted data plane"
	run --json show
	$PY -c 'import json,sys; d = json.load(open(sys.argv[1]))["dataplane"]
assert d["connected"] and d["resyncs"] >= 1, d' "$T/out" ||
		bad "after a data plane restart: $(head -c 300 "$T/out")"

	# gsteerd dies: the data plane keeps the last states it was given
	run drain a1 --group edge
	expect_rc "drain with the data plane up" 0
	{ kill -KILL "$GSTEERD_PID"; wait "$GSTEERD_PID"; } 2>/dev/null
	GSTEERD_PID=
	sleep 0.3
	[ "$(dp_state fleet a2)" = unhealthy ] || bad "with gsteerd dead, the data plane has fleet/a2 $(dp_state fleet a2)"
	case $(dp_state edge a1) in
	draining|"") ;; # "" : the drain already ended (no flows), slot removed
	*) bad "with gsteerd dead, the data plane has edge/a1 $(dp_state edge a1)" ;;
	esac
	run show
	expect_rc "show with gsteerd dead, data plane up" 3

	# a new gsteerd takes the data plane's states over: the drain and the
	# unhealthy verdict survive it (a drain the data plane already ended,
	# having no flow to wait for, shows as removed)
	start_gsteerd
	for _ in $(seq 1 50); do
		run show
		grep -qE '^edge +a1 +(draining|removed) ' "$T/out" && break
		sleep 0.1
	done
	expect_line "drain after a gsteerd restart" 'edge +a1 +(draining|removed).*'
	expect_line "fleet/a2 after a gsteerd restart" 'fleet +a2 +unhealthy .*'
	stop_dataplane
else
	echo "note: no gsteer-dataplane (or not root): phase 2 skipped"
fi

[ "$FAILED" -eq 0 ] && echo "gsteerctl against gsteerd: all checks passed"
exit "$FAILED"
