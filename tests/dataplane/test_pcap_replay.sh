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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gsfx-pcap.XXXXXX")
cleanup() {
	rm -rf "$tmp"
}
trap cleanup EXIT

# 1. in.pcap, the config copy, and what to expect
"$PY" - "$CFG" "$FIX" "$tmp" <<'EOF'
import json, logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.utils import wrpcap
from scapy.layers.l2 import Ether

cfg_path, fix_path, tmp = sys.argv[1:4]
with open(cfg_path) as f:
    cfg = json.load(f)
port = cfg["dataplane"]["ports"][0]
port["devargs"] = "net_pcap0,rx_pcap=%s/in.pcap,tx_pcap=%s/out.pcap" % (tmp, tmp)
cfg["dataplane"]["control_socket"] = tmp + "/dp.sock"
with open(tmp + "/config.json", "w") as f:
    json.dump(cfg, f, indent=1)

steps = json.load(open(fix_path))
frames, outs, drops, names = [], [], {}, []
for s in steps:
    if "ctl" in s:
        break
    frames.append(Ether(bytes.fromhex(s["in"])))
    outs += s["out"]
    if s["drop"]:
        drops[s["drop"]] = drops.get(s["drop"], 0) + 1
    names.append(s["name"])
wrpcap(tmp + "/in.pcap", frames)
with open(tmp + "/expected.json", "w") as f:
    json.dump({"out": outs, "drops": drops, "n_in": len(frames),
               "names": names}, f)
print("test_pcap_replay: %d of %d steps replayed (the rest follow a control "
      "step), %d frames expected out, %d drops" %
      (len(frames), len(steps), len(outs), sum(drops.values())))
EOF

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
"$PY" - "$tmp" <<'EOF'
import collections, json, logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.utils import RawPcapReader

tmp = sys.argv[1]
exp = json.load(open(tmp + "/expected.json"))
got = [bytes(p).hex() for p, _ in RawPcapReader(tmp + "/out.pcap")]
stats = json.load(open(tmp + "/stats.json"))
fail = False

want = collections.Counter(exp["out"])
have = collections.Counter(got)
missing = want - have
extra = have - want
for h, n in missing.items():
    fail = True
    print("FAIL missing %dx frame %s" % (n, h))
for h, n in extra.items():
    fail = True
    print("FAIL unexpected %dx frame %s" % (n, h))
if not missing and not extra:
    print("PASS out.pcap: %d frames, all expected" % len(got))

drops = stats["stats"]["drops"]
for reason in sorted(set(drops) | set(exp["drops"])):
    n, e = drops.get(reason, 0), exp["drops"].get(reason, 0)
    if n != e:
        fail = True
        print("FAIL drop counter %s = %d, expected %d" % (reason, n, e))
if not fail:
    print("PASS drop counters: %s" % json.dumps(exp["drops"], sort_keys=True))
sys.exit(1 if fail else 0)
EOF
