#!/usr/bin/env bash
# gsteerd on bad input and misbehaving appliances, without a data plane:
# usage and config errors (the loader's own messages), a data plane socket
# that is gone, health endpoints that refuse, hang, answer 500 or answer
# garbage, SIGHUP reloads (good and bad), and the metrics endpoint.
# Runs in its own network namespace on loopback addresses.
set -u
BUILD=${1:?usage: test_gsteerd.sh BUILD_DIR}
GSD=$BUILD/ctrl/gsteerd
NS=gst$$
TMP=$(mktemp -d)
here=$(dirname "$0")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$TMP/gsteerd.log" ] && tail -20 "$TMP/gsteerd.log" >&2; exit 1; }
expect() { # description, expected exit code, expected text, command...
	local what=$1 code=$2 text=$3; shift 3
	local out rc
	out=$("$@" 2>&1); rc=$?
	[ "$rc" -eq "$code" ] || fail "$what: exit $rc, want $code: $out"
	case "$out" in *"$text"*) ;; *) fail "$what: '$text' not in: $out" ;; esac
	echo "ok: $what"
}
request() { # one JSON line to gsteerd's socket
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n"); buf = b""
while not buf.endswith(b"\n"):
    c = s.recv(1 << 20)
    if not c: break
    buf += c
sys.stdout.write(buf.decode())' "$TMP/gsteerd.sock" "$1"
}

config() { # appliances JSON, [metrics_listen]
	cat <<EOF2
{
  "dataplane": {
    "ports": [{"name": "p0", "devargs": "net_null0", "addresses": ["10.77.0.1/24"]}],
    "control_socket": "$TMP/gone/dp.sock"
  },
  "daemon": {"socket": "$TMP/gsteerd.sock", "probe_socket": "$TMP/probe.sock",
             "metrics_listen": "${2:-127.0.0.1:9469}"},
  "listeners": [{"name": "l", "address": "10.77.0.1", "target_group": "g",
                 "upstreams": ["10.77.0.0/24"]}],
  "target_groups": [{"name": "g",
    "health_check": {"protocol": "http", "port": 8080, "path": "/health",
                     "interval_ms": 100, "timeout_ms": 50,
                     "healthy_threshold": 2, "unhealthy_threshold": 2},
    "appliances": [$1]}]
}
EOF2
}
app() { echo "{\"id\": \"$1\", \"address\": \"10.77.0.$2\", \"health_address\": \"127.0.0.$3\"}"; }

# ---- usage and configuration errors -------------------------------------
expect "no --config" 2 "--config FILE is required" "$GSD"
expect "unknown option" 2 "Usage: gsteerd" "$GSD" --bogus
expect "missing file" 2 "$TMP/none.json" "$GSD" --config "$TMP/none.json"
echo '{"dataplane": {"ports": []}, "listeners": [], "target_groups": [], "extra": 1}' >"$TMP/bad.json"
want=$("$BUILD/dataplane/gsteer-dataplane" --config "$TMP/bad.json" --no-huge 2>&1 | grep '^gsteer-dataplane: ' |
	sed 's/^gsteer-dataplane: //')
expect "bad config, the loader's message" 2 "$want" "$GSD" --config "$TMP/bad.json"
config "$(app ok 11 2)" >"$TMP/good.json"
expect "--check on a valid config" 0 "is valid" "$GSD" --config "$TMP/good.json" --check
expect "--help" 0 "SIGHUP reloads" "$GSD" --help

# ---- misbehaving appliances, data plane gone -----------------------------
ip netns add "$NS" && ip netns exec "$NS" ip link set lo up || fail "namespace"
ip netns exec "$NS" python3 "$here/health_targets.py" 8080 \
	127.0.0.2=ok 127.0.0.3=hang 127.0.0.5=error 127.0.0.6=garbage &
pids+=($!)
config "$(app ok 11 2), $(app hang 12 3), $(app refused 13 4), $(app error 14 5), $(app garbage 15 6)" \
	>"$TMP/gsteer.json"
sleep 0.3
ip netns exec "$NS" "$GSD" --config "$TMP/gsteer.json" --log-stderr >"$TMP/gsteerd.log" 2>&1 &
gsd=$!
pids+=($gsd)
for _ in $(seq 1 50); do [ -S "$TMP/gsteerd.sock" ] && break; sleep 0.1; done
sleep 1.5
request '{"cmd":"show"}' >"$TMP/show.json"
/usr/bin/python3 - "$TMP/show.json" <<'PY' || fail "check results"
import json, sys
r = json.load(open(sys.argv[1]))
want = {  # id: (state, text in the active check's detail)
    "ok": ("healthy", "HTTP 200"),
    "hang": ("unhealthy", "timeout after 50 ms"),
    "refused": ("unhealthy", "connect: Connection refused"),
    "error": ("unhealthy", "HTTP 500"),
    "garbage": ("unhealthy", "not an HTTP status line"),
}
bad = 0
if r["dataplane"]["connected"]:
    print("the data plane socket is gone, yet connected"); bad = 1
for a in r["appliances"]:
    state, detail = want[a["id"]]
    got = (a["state"], a["checks"]["active"]["detail"])
    ok = got[0] == state and detail in got[1]
    print("%-8s %-10s %-40s %s" % (a["id"], got[0], got[1], "ok" if ok else "WRONG, want %s %s" % (state, detail)))
    bad |= not ok
sys.exit(bad)
PY
case "$(request '{"cmd":"ping"}')" in *'"dataplane":"down"'*) ;; *) fail "ping: data plane not down" ;; esac
expect "unknown command" 0 'unknown command \"nope\"' request '{"cmd":"nope"}'
expect "unknown key" 0 'drain: unknown key \"force\"' request '{"cmd":"drain","appliance":"ok","force":1}'
expect "unknown appliance" 0 "no appliance 'zz' in any target group" request '{"cmd":"drain","appliance":"zz"}'
expect "not JSON" 0 '"ok":false' request 'drain ok'
kill -0 $gsd || fail "gsteerd died on bad requests"

# ---- metrics --------------------------------------------------------------
metrics=$(ip netns exec "$NS" curl -s -m 5 http://127.0.0.1:9469/metrics)
for line in 'gsteer_appliance_state{group="g",appliance="ok",state="healthy"} 1' \
	'gsteer_appliance_state{group="g",appliance="hang",state="unhealthy"} 1' \
	'gsteer_appliance_check_up{group="g",appliance="error",check="active"} 0' \
	'gsteer_dataplane_up 0'; do
	grep -qF "$line" <<<"$metrics" || fail "metrics: no '$line'"
done
echo "ok: metrics"
code=$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST http://127.0.0.1:9469/metrics)
[ "$code" = 405 ] || fail "metrics POST: $code, want 405"
code=$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' -m 5 http://127.0.0.1:9469/drain)
[ "$code" = 404 ] || fail "metrics /drain: $code, want 404"
echo "ok: metrics refuses everything but GET /metrics"

# ---- reloads ----------------------------------------------------------------
config "$(app ok 11 2), $(app hang 12 3), $(app refused 13 4), $(app garbage 15 6), $(app fresh 16 2)" \
	>"$TMP/gsteer.json"
kill -HUP $gsd
sleep 1
show=$(request '{"cmd":"show"}')
grep -q '"id":"fresh"[^{]*"state":"healthy"' <<<"$show" || fail "reload: 'fresh' not added and healthy: $show"
grep -q '"id":"error"[^{]*"state":"removed"' <<<"$show" || fail "reload: 'error' not removed: $show"
echo "ok: reload adds and removes appliances"
echo '{"target_groups": 3}' >"$TMP/gsteer.json"
kill -HUP $gsd
sleep 0.5
kill -0 $gsd || fail "gsteerd died on a bad reload"
grep -q "reload refused, the running configuration stays: $TMP/gsteer.json" "$TMP/gsteerd.log" ||
	fail "no clear message for the bad reload"
grep -q '"id":"fresh"' <<<"$(request '{"cmd":"show"}')" || fail "the running state was lost"
echo "ok: a bad reload is refused and the running state kept"

# ---- a second gsteerd on the same socket ------------------------------------
config "$(app ok 11 2)" >"$TMP/second.json"
expect "socket in use" 1 "$TMP/gsteerd.sock is in use by another process" \
	ip netns exec "$NS" "$GSD" --config "$TMP/second.json"
kill -TERM $gsd
wait $gsd
rc=$?
[ $rc -eq 0 ] || fail "gsteerd exit status $rc after SIGTERM"
[ ! -e "$TMP/gsteerd.sock" ] || fail "gsteerd left its socket behind"
echo "PASS: gsteerd bad input"
