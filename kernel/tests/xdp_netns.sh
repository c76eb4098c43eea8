#!/usr/bin/env bash
# Runs a command inside a private network namespace whose veth end "gsf0"
# looks like the fixtures' port: MAC 02:70:63:61:70:00, the config's port
# addresses, its static neighbours as permanent kernel entries, and
# forwarding on (bpf_fib_lookup() requires it).  The XDP program then finds
# exactly the next-hop MACs the fixtures expect.  Used by the differential
# test and the benchmark; removes the namespace on any exit.
#   xdp_netns.sh CONFIG PYTHON COMMAND [ARGS...]   (the interface is gsf0)
set -u
CONFIG=$1 PY=$2
shift 2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
NS=gsxf$$
cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT
ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" link add gsf0 type veth peer name gsf1 || exit 1
ip -n "$NS" link set gsf0 address 02:70:63:61:70:00
ip -n "$NS" link set gsf0 up
ip -n "$NS" link set gsf1 up
ip netns exec "$NS" sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv4.conf.gsf0.forwarding=1 \
	net.ipv6.conf.all.forwarding=1
# port addresses and static neighbours, straight from the config
"$PY" - "$CONFIG" <<'PY' | while read -r cmd; do ip -n "$NS" $cmd || exit 1; done || exit 1
import json, sys
c = json.load(open(sys.argv[1]))
for p in c["dataplane"]["ports"]:
    for a in p["addresses"]:
        print("addr add %s dev gsf0%s" % (a, " nodad" if ":" in a else ""))
for n in c["dataplane"].get("neighbors", []):
    print("neigh replace %s lladdr %s dev gsf0 nud permanent" % (n["address"], n["mac"]))
PY
timeout "${GS_XDP_TIMEOUT:-150}" ip netns exec "$NS" "$@"
