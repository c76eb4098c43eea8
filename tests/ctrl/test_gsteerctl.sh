#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gsteerctl without gsteerd: usage errors (exit 2), every way of not
# reaching the daemon (exit 3), the socket path taken from --config, the
# requests it sends, refusals (exit 1), --json passthrough of a large reply,
# and the exact tables it prints for canned replies.  A misbehaving stand-in
# (fake_gsteerd.py) plays the daemon, because a healthy gsteerd never sends
# megabyte replies in pieces, goes silent or sends garbage; the real daemon
# is exercised by test_gsteerctl_daemon.sh.
#
#   test_gsteerctl.sh GSTEERCTL
#
# Exit: 0 pass, 1 fail.  Takes about 6 s (one 5 s timeout is waited out).
set -uo pipefail

CTL=${1:?path to gsteerctl}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
T=$(mktemp -d /tmp/gsteerctl-test.XXXXXX)
FAKE_PIDS=()
FAILED=0

cleanup() {
	local p
	for p in "${FAKE_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${FAKE_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

bad() { echo "FAIL: $*" >&2; FAILED=1; }

# run gsteerctl ARGS...: stdout in $T/out, stderr in $T/err, status in RC
run() {
	"$CTL" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

expect_rc() { # what, rc
	[ "$RC" -eq "$2" ] || bad "$1: exit $RC, expected $2 (stderr: $(cat "$T/err"))"
}

expect_err() { # what, text that stderr must contain
	grep -qF -- "$2" "$T/err" || bad "$1: stderr lacks '$2': $(cat "$T/err")"
}

# start the stand-in at SOCKET in MODE with REPLY (a file) and wait for it
fake() { # socket, mode, [reply file]
	rm -f "$1" "$1.ready" "$T/requests"
	$PY "$HERE/fake_gsteerd.py" "$1" "$T/requests" "$2" ${3:+"$3"} 2>"$T/fake.err" &
	FAKE_PIDS+=($!)
	for _ in $(seq 1 50); do [ -e "$1.ready" ] && return 0; sleep 0.1; done
	echo "FAIL: fake gsteerd did not start: $(cat "$T/fake.err")" >&2
	exit 1
}

stop_fakes() {
	local p
	for p in "${FAKE_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	FAKE_PIDS=()
}

# the requests the stand-in received, one compact JSON a line, keys sorted
requests() {
	$PY -c 'import json,sys
for l in open(sys.argv[1]):
    print(json.dumps(json.loads(l), sort_keys=True, separators=(",", ":")))' "$T/requests"
}

# ---------------------------------------------------------------------------
# usage errors: exit 2, one line saying what is wrong, nothing on stdout
usage_case() { # expected stderr text, args...
	local want=$1; shift
	run "$@"
	expect_rc "gsteerctl $*" 2
	expect_err "gsteerctl $*" "$want"
	[ ! -s "$T/out" ] || bad "gsteerctl $*: printed on stdout: $(cat "$T/out")"
}
usage_case "no command given"
usage_case "unknown command 'frob'" frob
usage_case "unknown option '--frob'" show --frob
usage_case "give --socket or --config, not both" --socket /x --config /y show
usage_case "--socket needs a value" show --socket
usage_case "drain needs an appliance id" drain
usage_case "undrain needs an appliance id" undrain --group fleet
usage_case "unexpected argument 'a2' after 'drain'" drain a1 a2
usage_case "unexpected argument 'x' after 'show'" show x
usage_case "--group is an option of drain, undrain and set-state, not of 'show'" show --group g
usage_case "--since is an option of events, not of 'drain'" drain a1 --since 3
usage_case "--count is an option of watch, not of 'show'" show --count 2
usage_case "--count must be an integer from 1 to 1000000000 (got '0')" watch --count 0
usage_case "--interval-ms must be an integer from 100 to 86400000 (got '50')" watch --interval-ms 50
usage_case "--since must be an integer from 0 to 9223372036854775807 (got '-1')" events --since -1
usage_case "--since must be an integer from 0 to 9223372036854775807 (got '1x')" events --since=1x

run --help
expect_rc "--help" 0
for word in show drops flows drain undrain events watch ping --json --socket --config \
	"0  success" "1  gsteerd refused" "2  usage error" "3  gsteerd cannot be reached"; do
	grep -qF -- "$word" "$T/out" || bad "--help does not mention '$word'"
done
run -V
expect_rc "-V" 0
grep -qx "gsteerctl [0-9.]*" "$T/out" || bad "-V printed '$(cat "$T/out")'"

# ---------------------------------------------------------------------------
# --config: the file is loaded as the daemons load it, the socket comes from
# daemon.socket; a broken file is a usage error with the loader's message
cfg_with_socket() { # socket path -> config on stdout
	$PY - "$SRC/tests/configs/minimal.json" "$1" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["daemon"] = {"socket": sys.argv[2]}
print(json.dumps(cfg))
PY
}
cfg_with_socket "$T/cfg.sock" >"$T/cfg.json"
printf '{"ok":true,"version":"0.1.0","backend":"dpdk","dataplane":"down"}\n' >"$T/ping.json"
fake "$T/cfg.sock" reply "$T/ping.json"
run --config "$T/cfg.json" ping
expect_rc "ping via --config" 0
[ "$(cat "$T/out")" = "gsteerd 0.1.0: backend dpdk, data plane down" ] ||
	bad "ping printed '$(cat "$T/out")'"
[ "$(requests)" = '{"cmd":"ping"}' ] || bad "ping sent '$(requests)'"
stop_fakes

run --config "$T/cfg.json" ping
expect_rc "--config, daemon gone" 3
expect_err "--config, daemon gone" "cannot reach gsteerd at $T/cfg.sock: "

printf '{"daemon": {"socket": 7}}\n' >"$T/bad.json"
run --config "$T/bad.json" show
expect_rc "--config with a bad file" 2
expect_err "--config with a bad file" "gsteerctl: $T/bad.json: "
[ "$(wc -l <"$T/err")" -eq 1 ] || bad "a bad config gave more than one line: $(cat "$T/err")"
run --config "$T/missing.json" show
expect_rc "--config with no file" 2
expect_err "--config with no file" "gsteerctl: $T/missing.json: cannot open: No such file or directory"

# without daemon.socket the default applies
cp "$SRC/tests/configs/minimal.json" "$T/nosock.json"
if [ ! -e /run/gsteer/gsteerd.sock ]; then
	run --config "$T/nosock.json" ping
	expect_rc "default socket from config" 3
	expect_err "default socket from config" "cannot reach gsteerd at /run/gsteer/gsteerd.sock: no such socket"
	run ping
	expect_rc "default socket" 3
	expect_err "default socket" "cannot reach gsteerd at /run/gsteer/gsteerd.sock: no such socket"
fi

# ---------------------------------------------------------------------------
# cannot reach: exit 3, with the path and the reason
run --socket "$T/none.sock" show
expect_rc "missing socket" 3
expect_err "missing socket" "gsteerctl: cannot reach gsteerd at $T/none.sock: no such socket"

# a socket file nobody listens on, as a killed daemon leaves it
$PY -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/stale.sock"
run --socket "$T/stale.sock" show
expect_rc "stale socket" 3
expect_err "stale socket" "cannot reach gsteerd at $T/stale.sock: connection refused"

: >"$T/plain"
run --socket "$T/plain" show
expect_rc "plain file" 3
expect_err "plain file" "at $T/plain: exists but is not a socket"

run --socket "$T/$(printf 'x%.0s' $(seq 1 120))" show
expect_rc "path too long" 3
expect_err "path too long" "path longer than 107 bytes"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	fake "$T/root.sock" reply "$T/ping.json"
	chmod 0600 "$T/root.sock"
	chmod 0755 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CTL" --socket "$T/root.sock" ping >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc "socket of another user" 3
	expect_err "socket of another user" "at $T/root.sock: permission denied"
	stop_fakes
fi

fake "$T/s.sock" close
run --socket "$T/s.sock" show
expect_rc "closed without reply" 3
expect_err "closed without reply" "at $T/s.sock: gsteerd closed the connection without replying"
stop_fakes

fake "$T/s.sock" garbage
run --socket "$T/s.sock" --json show
expect_rc "garbage reply" 3
expect_err "garbage reply" "at $T/s.sock: reply is not a JSON object"
[ ! -s "$T/out" ] || bad "a garbage reply reached stdout: $(cat "$T/out")"
stop_fakes

# the data plane's control socket answers ping too, with a version only
printf '{"ok":true,"version":"0.1.0"}\n' >"$T/dpping.json"
fake "$T/s.sock" reply "$T/dpping.json"
run --socket "$T/s.sock" ping
expect_rc "ping on the data plane's socket" 3
expect_err "ping on the data plane's socket" "it is not gsteerd's (the data plane's control socket?)"
stop_fakes

printf '{"ok":"yes"}\n' >"$T/nook.json"
fake "$T/s.sock" reply "$T/nook.json"
run --socket "$T/s.sock" ping
expect_rc "reply without ok" 3
expect_err "reply without ok" 'reply has no boolean "ok"'
stop_fakes

# a hung daemon: one that accepts and never answers, one that does not even
# accept (its listen queue is full); both waited out together, 5 s each
fake "$T/s.sock" silent
fake "$T/full.sock" full
start=$(date +%s%N)
"$CTL" --socket "$T/full.sock" show >"$T/full.out" 2>"$T/full.err" &
full_pid=$!
run --socket "$T/s.sock" show
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_rc "silent daemon" 3
expect_err "silent daemon" "at $T/s.sock: no progress waiting for the reply for 5 s"
[ "$elapsed_ms" -ge 4800 ] && [ "$elapsed_ms" -le 8000 ] ||
	bad "silent daemon: gave up after $elapsed_ms ms, expected about 5000"
wait "$full_pid"
RC=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
cp "$T/full.err" "$T/err"
expect_rc "daemon not accepting" 3
expect_err "daemon not accepting" "at $T/full.sock: not accepting connections for 5 s (listen queue full)"
[ "$elapsed_ms" -le 8000 ] || bad "daemon not accepting: gave up after $elapsed_ms ms, expected about 5000"
stop_fakes

# ---------------------------------------------------------------------------
# refusals: exit 1, gsteerd's error on stderr; --json also passes the reply
printf '%s\n' '{"ok":false,"error":"no appliance '"'x'"' in any target group"}' >"$T/refused.json"
fake "$T/s.sock" reply "$T/refused.json"
run --socket "$T/s.sock" drain x
expect_rc "refused drain" 1
expect_err "refused drain" "gsteerctl: gsteerd: no appliance 'x' in any target group"
[ ! -s "$T/out" ] || bad "refused drain printed on stdout: $(cat "$T/out")"
run --socket "$T/s.sock" --json drain x
expect_rc "refused drain --json" 1
cmp -s "$T/out" "$T/refused.json" || bad "refused drain --json printed '$(cat "$T/out")'"
stop_fakes

# the requests each command sends
printf '{"ok":true,"group":"edge","appliance":"a1","state":"draining"}\n' >"$T/drained.json"
fake "$T/s.sock" reply "$T/drained.json"
run --socket "$T/s.sock" drain a1
expect_rc "drain" 0
[ "$(cat "$T/out")" = "edge/a1: draining" ] || bad "drain printed '$(cat "$T/out")'"
run --socket "$T/s.sock" drain a1 --group edge
run --socket "$T/s.sock" undrain --group=edge a1
run --socket "$T/s.sock" --json undrain a1
cmp -s "$T/out" "$T/drained.json" || bad "undrain --json printed '$(cat "$T/out")'"
want='{"appliance":"a1","cmd":"drain"}
{"appliance":"a1","cmd":"drain","group":"edge"}
{"appliance":"a1","cmd":"undrain","group":"edge"}
{"appliance":"a1","cmd":"undrain"}'
[ "$(requests)" = "$want" ] || bad "drain/undrain sent:
$(requests)
expected:
$want"
stop_fakes

# ---------------------------------------------------------------------------
# tables from canned replies, compared exactly
cp "$HERE/replies/show.json" "$T/show.json"
fake "$T/s.sock" reply "$T/show.json"
run --socket "$T/s.sock" show
expect_rc "show" 0
diff -u "$HERE/replies/show.txt" "$T/out" >"$T/diff" || bad "show table differs:
$(cat "$T/diff")"
run --socket "$T/s.sock" drops
diff -u - "$T/out" >"$T/diff" <<'EOF' || bad "drops differ: $(cat "$T/diff")"
REASON                PACKETS
neigh_unresolved           17
not_for_us                  3
upstream_not_allowed        3
EOF
run --socket "$T/s.sock" flows
[ "$(cat "$T/out")" = "flow table used: 120 / 65536 (0.2%)" ] ||
	bad "flows printed '$(cat "$T/out")'"
run --socket "$T/s.sock" --json flows
cmp -s "$T/out" "$T/show.json" || bad "flows --json is not show's reply as is"
[ "$(requests | sort -u)" = '{"cmd":"show"}' ] || bad "show/drops/flows sent '$(requests | sort -u)'"

# watch: --count refreshes, no screen clearing into a pipe, but on a tty
run --socket "$T/s.sock" watch --count 3 --interval-ms 100
expect_rc "watch" 0
[ "$(grep -c '^GROUP ' "$T/out")" -eq 3 ] || bad "watch --count 3 printed $(grep -c '^GROUP ' "$T/out") tables"
[ "$(grep -c 'UTC, every 100 ms$' "$T/out")" -eq 3 ] || bad "watch has no time line per refresh"
! grep -q $'\033' "$T/out" || bad "watch cleared the screen into a pipe"
run --socket "$T/s.sock" --json watch --count 2 --interval-ms 100
[ "$(cat "$T/show.json" "$T/show.json")" = "$(cat "$T/out")" ] || bad "watch --json is not the replies as they are"
script -qec "$CTL --socket $T/s.sock watch --count 1" /dev/null >"$T/tty.out" 2>&1
grep -q $'\033\[H\033\[2J' "$T/tty.out" || bad "watch on a terminal did not clear the screen"
stop_fakes

# watch goes on when gsteerd goes away after the first refresh, and says so
fake "$T/s.sock" once "$T/show.json"
run --socket "$T/s.sock" watch --count 3 --interval-ms 200
expect_rc "watch, daemon gone" 3
expect_err "watch, daemon gone" "cannot reach gsteerd at $T/s.sock"
[ "$(grep -c '^GROUP ' "$T/out")" -eq 1 ] || bad "watch, daemon gone: $(grep -c '^GROUP ' "$T/out") tables"
[ "$(grep -c 'cannot reach' "$T/err")" -eq 2 ] || bad "watch, daemon gone: not one error per failed refresh: $(cat "$T/err")"
stop_fakes
# on a terminal the error of a failed refresh must come after that
# refresh's screen clearing, or it is wiped at once
fake "$T/s.sock" once "$T/show.json"
script -qec "$CTL --socket $T/s.sock watch --count 2 --interval-ms 300" /dev/null >"$T/tty.out" 2>&1
$PY -c 'import sys
out = open(sys.argv[1], "rb").read()
err = out.rfind(b"cannot reach gsteerd")
assert err > out.rfind(b"\033[H\033[2J") >= 0, out[-300:]' "$T/tty.out" ||
	bad "watch on a terminal wiped its own error: $(tail -c 300 "$T/tty.out" | cat -v)"
stop_fakes
run --socket "$T/s.sock" watch --count 3
expect_rc "watch, no daemon" 3
[ ! -s "$T/out" ] || bad "watch with no daemon printed on stdout"

# ... and carries on without a word when a new gsteerd is up by the next
# refresh (its connection to the old one is dead, the socket path is not)
fake "$T/s.sock" once "$T/show.json"
"$CTL" --socket "$T/s.sock" watch --count 2 --interval-ms 1500 >"$T/out" 2>"$T/err" &
watch_pid=$!
for _ in $(seq 1 30); do [ -e "$T/s.sock" ] || break; sleep 0.1; done
fake "$T/s.sock" reply "$T/show.json"
wait "$watch_pid"
RC=$?
expect_rc "watch, daemon restarted" 0
[ "$(grep -c '^GROUP ' "$T/out")" -eq 2 ] || bad "watch, daemon restarted: $(grep -c '^GROUP ' "$T/out") tables"
[ ! -s "$T/err" ] || bad "watch, daemon restarted: $(cat "$T/err")"
stop_fakes

# the data plane is down: gsteerd answers, without data plane fields
printf '%s\n' '{"ok":true,"now_ns":1795680000000000000,"backend":"dpdk","dataplane":{"connected":false},"appliances":[]}' >"$T/down.json"
fake "$T/s.sock" reply "$T/down.json"
run --socket "$T/s.sock" show
expect_rc "show, data plane down" 0
diff -u - "$T/out" >"$T/diff" <<'EOF' || bad "show, data plane down: $(cat "$T/diff")"
backend dpdk, data plane DOWN (gsteerd keeps retrying; forwarding continues with the last states)
no appliances
EOF
run --socket "$T/s.sock" drops
[ "$(cat "$T/out")" = "data plane down: gsteerd has no drop counters now" ] || bad "drops, data plane down: $(cat "$T/out")"
run --socket "$T/s.sock" flows
[ "$(cat "$T/out")" = "data plane down: flow-table occupancy unknown" ] || bad "flows, data plane down: $(cat "$T/out")"
stop_fakes

# connected a moment ago: no statistics read yet, so none are made up
printf '%s\n' '{"ok":true,"now_ns":1795680000000000000,"backend":"dpdk","dataplane":{"connected":true},"appliances":[]}' >"$T/fresh.json"
fake "$T/s.sock" reply "$T/fresh.json"
run --socket "$T/s.sock" drops
[ "$(cat "$T/out")" = "data plane connected, no drop counters read yet" ] || bad "drops, no statistics yet: $(cat "$T/out")"
run --socket "$T/s.sock" flows
[ "$(cat "$T/out")" = "flow table used: not read yet" ] || bad "flows, no statistics yet: $(cat "$T/out")"
stop_fakes

cp "$HERE/replies/events.json" "$T/events.json"
fake "$T/s.sock" reply "$T/events.json"
run --socket "$T/s.sock" events
expect_rc "events" 0
diff -u "$HERE/replies/events.txt" "$T/out" >"$T/diff" || bad "events table differs:
$(cat "$T/diff")"
run --socket "$T/s.sock" events --since 41
[ "$(requests)" = '{"cmd":"events","since":0}
{"cmd":"events","since":41}' ] || bad "events sent '$(requests)'"
stop_fakes

# ---------------------------------------------------------------------------
# a reply of several megabytes (thousands of appliances), sent in pieces:
# read to its end, passed through byte for byte, every row in the table
$PY - "$T/show.json" "$T/big.json" <<'PY'
import json, sys
show = json.load(open(sys.argv[1]))
one = show["appliances"][0]
show["appliances"] = [dict(one, id="fw-%05d" % i) for i in range(8000)]
open(sys.argv[2], "w").write(json.dumps(show, separators=(",", ":")) + "\n")
PY
[ "$(stat -c %s "$T/big.json")" -gt 4000000 ] || bad "big reply is only $(stat -c %s "$T/big.json") bytes"
fake "$T/s.sock" reply "$T/big.json"
run --socket "$T/s.sock" --json show
expect_rc "big --json" 0
cmp -s "$T/out" "$T/big.json" || bad "big reply not passed through as is ($(stat -c %s "$T/out") bytes out)"
run --socket "$T/s.sock" show
[ "$(grep -c '^fleet  fw-' "$T/out")" -eq 8000 ] || bad "big show table has $(grep -c '^fleet  fw-' "$T/out") rows"
stop_fakes

[ "$FAILED" -eq 0 ] && echo "gsteerctl: all checks passed"
exit "$FAILED"
