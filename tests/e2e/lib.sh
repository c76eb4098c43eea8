#!/usr/bin/env bash
# Helpers shared by the end-to-end tests and the demo: start and stop
# gsteer-dataplane and the reference appliances on the default topology,
# talk to the control socket, clean up hugepage files of killed processes.
# Needs: GS_P, GS_BUILD (the meson build dir), GS_TMP (a private temp dir).

. "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

GS_DP_PID=
GS_APP_PIDS=()

fail() {
	echo "FAIL: $*" >&2
	# what the daemons said is the first thing to read on a failed run
	[ -f "$GS_TMP/gsteerd.log" ] && { echo "--- gsteerd.log" >&2; tail -30 "$GS_TMP/gsteerd.log" >&2; }
	exit 1
}

# one request line to a Unix stream socket; prints the reply, which ends
# with a newline, or with the line END when one is given
unix_request() {
	/usr/bin/python3 - "$1" "$2" "${3:-}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
end = (sys.argv[3] + "\n").encode() if sys.argv[3] else b"\n"
buf = b""
while not buf.endswith(end):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
sys.stdout.write(buf.decode())
PY
}

# one JSON request, one JSON reply, on the data plane's control socket
gs_ctl() { unix_request "$GS_TMP/dp.sock" "$1"; }

# one-line command to appliance $1 (1..N)
app_ctl() {
	if [ "$2" = flows ]; then
		unix_request "$GS_TMP/a$1.sock" "$2" end
	else
		unix_request "$GS_TMP/a$1.sock" "$2"
	fi
}

start_upstream() {
	topo_start_upstream "$GS_TMP/upstream.log"
	GS_APP_PIDS+=($!)
}

start_appliances() {
	local i
	for i in $(seq 1 "$GS_N_APPLIANCES"); do
		topo_ns "a$i" "$GS_BUILD/tests/appliance/gsteer-appliance" \
			--listen 0.0.0.0 --health-port 80 \
			--control "$GS_TMP/a$i.sock" --stats-file "$GS_TMP/a$i.stats" \
			>"$GS_TMP/a$i.log" 2>&1 &
		GS_APP_PIDS+=($!)
	done
	for i in $(seq 1 "$GS_N_APPLIANCES"); do
		for _ in $(seq 1 50); do [ -S "$GS_TMP/a$i.sock" ] && break; sleep 0.1; done
		[ -S "$GS_TMP/a$i.sock" ] || fail "appliance a$i did not start: $(cat "$GS_TMP/a$i.log")"
	done
}

# start the data plane on the topology; extra args go to it
start_dataplane() {
	topo_config "$GS_TMP/dp.sock" >"$GS_TMP/gsteer.json"
	"$GS_BUILD/dataplane/gsteer-dataplane" --config "$GS_TMP/gsteer.json" \
		--stats-file "$GS_TMP/dp.stats" "$@" \
		-l 0-1 --no-huge -m 512 --no-pci --file-prefix "$GS_P" \
		>"$GS_TMP/dp.log" 2>&1 &
	GS_DP_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$GS_TMP/dp.sock" ] && gs_ctl '{"cmd":"ping"}' >/dev/null 2>&1 && return 0
		kill -0 "$GS_DP_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$GS_TMP/dp.log" >&2
	fail "gsteer-dataplane did not come up"
}

stop_dataplane() {
	[ -n "$GS_DP_PID" ] || return 0
	kill -TERM "$GS_DP_PID" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$GS_DP_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$GS_DP_PID" 2>/dev/null
	wait "$GS_DP_PID" 2>/dev/null
	GS_DP_PID=
	# a killed DPDK process leaves its runtime files behind
	rm -rf "/var/run/dpdk/$GS_P" /dev/hugepages/"$GS_P"map_* 2>/dev/null
}

stop_all() {
	stop_gsteerd
	stop_dataplane
	local p
	for p in "${GS_APP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${GS_APP_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	GS_APP_PIDS=()
	topo_down
}

# gsteerd on the same config as the data plane
GS_GSD_PID=
start_gsteerd() {
	"$GS_BUILD/ctrl/gsteerd" --config "$GS_TMP/gsteer.json" --log-stderr \
		>>"$GS_TMP/gsteerd.log" 2>&1 &
	GS_GSD_PID=$!
	for _ in $(seq 1 50); do
		[ -S "$GS_TMP/gsteerd.sock" ] && gsd_ctl '{"cmd":"ping"}' >/dev/null 2>&1 && return 0
		kill -0 "$GS_GSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$GS_TMP/gsteerd.log" >&2
	fail "gsteerd did not come up"
}

stop_gsteerd() { # signal (TERM, or KILL for a crash)
	[ -n "$GS_GSD_PID" ] || return 0
	kill "-${1:-TERM}" "$GS_GSD_PID" 2>/dev/null
	wait "$GS_GSD_PID" 2>/dev/null
	GS_GSD_PID=
}

gsd_ctl() { unix_request "$GS_TMP/gsteerd.sock" "$1"; }

# wait (up to $2 s) until gsteerd reports every appliance in state $1
wait_all_state() {
	local i
	for i in $(seq 1 $((${2:-10} * 10))); do
		gsd_ctl '{"cmd":"show"}' 2>/dev/null | /usr/bin/python3 -c '
import json, sys
apps = json.load(sys.stdin)["appliances"]
sys.exit(0 if all(a["state"] == sys.argv[1] for a in apps) else 1)' "$1" && return 0
		sleep 0.1
	done
	gsd_ctl '{"cmd":"show"}' >&2
	fail "not every appliance became $1"
}

# precise enough for detection times: a shell builtin, no fork
now_ns() { echo $(( ${EPOCHREALTIME/./} * 1000 )); }

# the whole default stack for the gsteerd tests and the demo: topology,
# appliances, upstream, data plane, gsteerd, the echo server on host b, a
# warmed path (the first packets wait for ARP on every hop, and a TCP
# handshake that loses its SYN takes a second to retry: up to three tries),
# and every appliance healthy
start_stack() {
	local warm _
	topo_up || fail "topology"
	start_appliances
	start_upstream
	start_dataplane
	start_gsteerd
	topo_ns hb python3 "$(dirname "${BASH_SOURCE[0]}")/flows.py" serve 192.168.2.2 5001 \
		>"$GS_TMP/srv.log" 2>&1 &
	GS_APP_PIDS+=($!)
	sleep 0.3
	for _ in 1 2 3; do
		warm=$(timeout 30 ip netns exec "$GS_P-ha" python3 \
			"$(dirname "${BASH_SOURCE[0]}")/flows.py" run 192.168.2.2 5001 1 1 1 1000)
		case "$warm" in *'"tcp_ok": 1'*) break ;; esac
	done
	case "$warm" in *'"tcp_ok": 1'*) ;; *) fail "no flow through gsteer: $warm" ;; esac
	wait_all_state healthy 10
}
