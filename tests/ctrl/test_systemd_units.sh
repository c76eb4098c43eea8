#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The systemd units as meson configured them: systemd-analyze verify must
# accept them without a single message, their hardening must not slip
# (systemd-analyze security), and the relations that keep forwarding alive
# must hold: the data plane names no dependency on gsteerd; gsteerd only
# Wants=/After= the data plane (never Requires=, BindsTo=, PartOf=, ...);
# restart policies; the shared /run/gsteer survives either unit's stop.
#
#   test_systemd_units.sh UNIT_DIR SOURCE_DIR [DATAPLANE [GSTEERD]]
#
# UNIT_DIR holds the configured units (the build's ctrl/).  verify checks
# that Exec*= binaries exist, so they are pointed at the build's own;
# one that is not built (no DPDK; gsteerd before it lands) is replaced by
# /bin/true, with a note.
# Exit: 0 pass, 1 fail, 77 skip (no systemd-analyze).
set -uo pipefail

UNITS=${1:?unit dir}
SRC=${2:?source dir}
DATAPLANE=${3:-}
GSTEERD=${4:-}
PY=/usr/bin/python3
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
T=$(mktemp -d /tmp/gsteer-units.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILED=0
bad() { echo "FAIL: $*" >&2; FAILED=1; }

mkdir -p "$T/bin"
link_binary() { # name, built path
	if [ -n "$2" ] && [ -x "$2" ]; then
		ln -s "$2" "$T/bin/$1"
	else
		echo "note: $1 not built, its ExecStart= checked against /bin/true"
		ln -s /bin/true "$T/bin/$1"
	fi
}
link_binary gsteer-dataplane "$DATAPLANE"
link_binary gsteerd "$GSTEERD"
for unit in gsteer-dataplane.service gsteerd.service; do
	[ -f "$UNITS/$unit" ] || { bad "$UNITS/$unit missing"; continue; }
	grep -q '@[A-Z]*@' "$UNITS/$unit" && bad "$unit has unsubstituted @VARIABLES@"
	# the binaries' directory, whatever the build's prefix
	sed -E "s#^(Exec[A-Za-z]+=)[^ ]*/(gsteer-dataplane|gsteerd) #\1$T/bin/\2 #" \
		"$UNITS/$unit" >"$T/$unit"
done

# 1. verify: any message (even "Unknown key ..., ignoring") is a failure,
# since systemd ignores what it does not understand and exits 0 anyway
systemd-analyze verify "$T/gsteer-dataplane.service" "$T/gsteerd.service" >"$T/verify" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$T/verify" ] || bad "systemd-analyze verify (exit $rc):
$(cat "$T/verify")"

# 2. hardening does not slip: exposure as systemd rates it, at most 2.5
# for gsteerd (no capabilities) and 5.5 for the data plane (DPDK needs
# root, devices and raw I/O)
security() { # unit, threshold (x10)
	systemd-analyze security --offline=yes --threshold="$2" "$T/$1" >"$T/security" 2>&1 ||
		bad "$1 exposure above $(($2 / 10)).$(($2 % 10)): $(grep 'Overall exposure' "$T/security")"
}
security gsteerd.service 25
security gsteer-dataplane.service 55

# 3. relations and policies
$PY - "$T/gsteer-dataplane.service" "$T/gsteerd.service" >"$T/relations" 2>&1 <<'PY'
import re, sys

def load(path):
    """unit file -> {(section, key): [values]}, repeated keys appended,
    space-separated lists split"""
    keys, section = {}, None
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        keys.setdefault((section, key.strip()), []).extend(value.split())
    return keys

dp, gd = load(sys.argv[1]), load(sys.argv[2])
problems = []
DP, GD = "gsteer-dataplane.service", "gsteerd.service"
HARD = ["Requires", "Requisite", "BindsTo", "PartOf", "Upholds", "Conflicts"]

for (section, key), values in dp.items():
    if any(GD in v for v in values):
        problems.append(f"data plane unit names gsteerd in {key}= (forwarding must not depend on it)")
if DP not in gd.get(("Unit", "Wants"), []):
    problems.append("gsteerd does not Want= the data plane")
if DP not in gd.get(("Unit", "After"), []):
    problems.append("gsteerd is not ordered After= the data plane")
for key in HARD:
    if DP in gd.get(("Unit", key), []):
        problems.append(f"gsteerd has {key}={DP}: a data plane restart would stop it")
if gd.get(("Service", "Restart")) != ["always"]:
    problems.append(f"gsteerd Restart={gd.get(('Service', 'Restart'))}, want always")
if dp.get(("Service", "Restart")) != ["on-failure"]:
    problems.append(f"data plane Restart={dp.get(('Service', 'Restart'))}, want on-failure")

def seconds(v):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|min)?", v)
    return float(m.group(1)) * {"ms": 0.001, "s": 1, None: 1, "min": 60}[m.group(2)]

gd_delay = seconds(gd.get(("Service", "RestartSec"), ["0.1"])[0])
if not 0 < gd_delay <= 2:
    problems.append(f"gsteerd RestartSec={gd_delay}s, want a short delay (<= 2 s)")
dp_delay = seconds(dp.get(("Service", "RestartSec"), ["0.1"])[0])
if dp_delay < 1:
    problems.append(f"data plane RestartSec={dp_delay}s: too quick for the NIC to be released")
if not dp.get(("Unit", "StartLimitBurst")):
    problems.append("data plane has no crash-loop limit (StartLimitBurst=)")
for name, unit in (("data plane", dp), ("gsteerd", gd)):
    if "gsteer" not in unit.get(("Service", "RuntimeDirectory"), []):
        problems.append(f"{name} does not create /run/gsteer")
    if unit.get(("Service", "RuntimeDirectoryPreserve")) != ["yes"]:
        problems.append(f"{name}: stopping it would delete /run/gsteer and the other's sockets")
modes = {name: unit.get(("Service", "RuntimeDirectoryMode")) for name, unit in (("data plane", dp), ("gsteerd", gd))}
if len(set(map(str, modes.values()))) != 1:
    problems.append(f"the units give /run/gsteer different modes, each start would flip it: {modes}")
if "infinity" not in dp.get(("Service", "LimitMEMLOCK"), []):
    problems.append("data plane LimitMEMLOCK is not infinity (VFIO pins DMA memory)")
caps = dp.get(("Service", "CapabilityBoundingSet"), [])
for cap in ("CAP_IPC_LOCK", "CAP_SYS_ADMIN", "CAP_NET_RAW"):
    if cap not in caps:
        problems.append(f"data plane lacks {cap}, DPDK needs it")
if "CAP_CHOWN" not in gd.get(("Service", "CapabilityBoundingSet"), []):
    problems.append("gsteerd lacks CAP_CHOWN: it could not give its socket to daemon.control_user")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
[ $? -eq 0 ] || bad "unit relations:
$(cat "$T/relations")"

# 4. the environment file sets what the data plane unit expands
( set -e; . "$SRC/ctrl/systemd/gsteer.default"; [[ " $GSTEER_EAL_ARGS " == *" --file-prefix=gsteer "* ]] ) ||
	bad "gsteer.default does not keep --file-prefix=gsteer (dpdk-telemetry.py -f gsteer relies on it)"

[ "$FAILED" -eq 0 ] && echo "systemd units: all checks passed"
exit "$FAILED"
