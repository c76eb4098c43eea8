#!/usr/bin/env bash
# The default topology (tests/e2e/topology.sh) for the XDP data plane:
# gsteer's port "$GS_P-dp" moves into its own namespace "$GS_P-gs", where the
# kernel answers ARP for the port and listener addresses and owns the
# neighbour table bpf_fib_lookup() reads.  Source it after tests/e2e/lib.sh.

gs_ns() { nsenter --net="/run/netns/$GS_P-gs" "$@"; }

xdp_topo_up() {
	topo_up || fail "topology"
	ip netns add "$GS_P-gs" || fail "namespace"
	ip link set "$GS_P-dp" netns "$GS_P-gs" || fail "moving $GS_P-dp"
	gs_ns ip link set lo up
	gs_ns ip link set "$GS_P-dp" up
	gs_ns ip addr add 10.10.0.1/24 dev "$GS_P-dp"
	gs_ns ip addr add 10.10.0.10/24 dev "$GS_P-dp"
	gs_ns sysctl -qw net.ipv4.conf.all.forwarding=1 "net.ipv4.conf.$GS_P-dp.forwarding=1"
	# a veth receives its peer's XDP_TX frames only with an XDP program of its own
	topo_ns sw "$GS_BUILD/kernel/gsteer-xdp" pass dpsw || fail "gsteer-xdp pass dpsw"
}

# topo_config with daemon.backend xdp on the port; a Python expression may
# change the config further (it is `c`)
xdp_config() {
	/usr/bin/python3 - "$GS_P-dp" "${1:-None}" >"$GS_TMP/gsteer.json" <<PY || fail "config"
import json, sys
c = json.loads('''$(topo_config "$GS_TMP/dp.sock")''')
c["daemon"].update({"backend": "xdp", "xdp_interface": sys.argv[1], "xdp_mode": "native"})
eval(sys.argv[2])
print(json.dumps(c, indent=1))
PY
}

# ARP stays the kernel's job: attaching made it resolve the appliances
xdp_wait_neighbours() {
	local a
	for a in 10.10.0.101 10.10.0.102 10.10.0.103; do
		for _ in $(seq 1 30); do
			gs_ns ip neigh show "$a" dev "$GS_P-dp" | grep -q lladdr && continue 2
			sleep 0.1
		done
		fail "the kernel did not resolve appliance $a"
	done
}

xdp_topo_down() {
	gs_ns "$GS_BUILD/kernel/gsteer-xdp" detach "$GS_P-dp" >/dev/null 2>&1
	stop_all
	ip netns del "$GS_P-gs" 2>/dev/null
}
