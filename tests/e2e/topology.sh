#!/usr/bin/env bash
# The embedded default topology, shared by the end-to-end tests and the live
# demo.  Source it, set GS_P (a short unique prefix) and call topo_up /
# topo_down.  Everything lives in namespaces named "$GS_P-*" and in one veth
# pair in the root namespace ("$GS_P-dp", which gsteer-dataplane opens with
# net_af_packet); only addresses inside these namespaces are ever used.
#
#   [$P-ha 192.168.1.2]--+                      +--[$P-a1 10.10.0.101]
#                        |                      +--[$P-a2 10.10.0.102]
#   [$P-hb 192.168.2.2]--+-[$P-up 10.10.0.2]--[$P-sw bridge]--[$P-a3 10.10.0.103]
#                        GENEVE (gnv0, TUN)     +--[$P-dp] gsteer 10.10.0.1, .10
#
# $P-up is the upstream: a GWLB-endpoint-like router that sends everything
# between its two hosts through GENEVE (L3 inner, as AWS GWLB does) to the
# gsteer listener 10.10.0.10, and forwards what comes back.  Appliances have
# a management network $GS_MGMT.0/24 toward the root namespace
# ($P-m1..3 = .11-.13 there, appliances .101-.103) for TCP/HTTP checks.
# Two topologies may be up at once only with different GS_P and GS_MGMT: the
# management routes live in the root namespace.

GS_P=${GS_P:-gs}
GS_MGMT=${GS_MGMT:-192.168.50}
GS_N_APPLIANCES=${GS_N_APPLIANCES:-3}

topo_ns() { ip netns exec "$GS_P-$1" "${@:2}"; }

# veth pair: name-in-ns1 ns1 name-in-ns2 ns2 ("" = root namespace)
topo_veth() {
	# made under temporary names: "eth0" may exist in the root namespace
	ip link add "$GS_P-t1" type veth peer name "$GS_P-t2" || return 1
	if [ -n "$2" ]; then
		ip link set "$GS_P-t1" netns "$GS_P-$2"
		topo_ns "$2" ip link set "$GS_P-t1" name "$1"
	else
		ip link set "$GS_P-t1" name "$1"
	fi
	if [ -n "$4" ]; then
		ip link set "$GS_P-t2" netns "$GS_P-$4"
		topo_ns "$4" ip link set "$GS_P-t2" name "$3"
	else
		ip link set "$GS_P-t2" name "$3"
	fi
	# the kernel leaves checksums to offload on veth; af_packet and the
	# tunnel would then carry packets whose checksums were never filled
	for end in "$1:$2" "$3:$4"; do
		local dev=${end%%:*} ns=${end#*:}
		if [ -n "$ns" ]; then
			topo_ns "$ns" ethtool -K "$dev" tx off rx off >/dev/null 2>&1 || true
			topo_ns "$ns" ip link set "$dev" up
		else
			ethtool -K "$dev" tx off rx off >/dev/null 2>&1 || true
			ip link set "$dev" up
		fi
	done
}

topo_up() {
	local i
	topo_down 2>/dev/null
	for ns in sw up ha hb; do ip netns add "$GS_P-$ns"; done
	for i in $(seq 1 "$GS_N_APPLIANCES"); do ip netns add "$GS_P-a$i"; done
	for ns in sw up ha hb $(seq -f 'a%g' 1 "$GS_N_APPLIANCES"); do
		topo_ns "$ns" ip link set lo up
	done

	topo_ns sw ip link add br0 type bridge
	topo_ns sw ip link set br0 up

	# gsteer's data port: root-namespace end for net_af_packet
	topo_veth "$GS_P-dp" "" dpsw sw
	topo_ns sw ip link set dpsw master br0

	# upstream router and its two hosts
	topo_veth up0 up upsw sw
	topo_ns sw ip link set upsw master br0
	topo_ns up ip addr add 10.10.0.2/24 dev up0
	topo_veth eth0 ha ha0 up
	topo_veth eth0 hb hb0 up
	topo_ns ha ip addr add 192.168.1.2/24 dev eth0
	topo_ns hb ip addr add 192.168.2.2/24 dev eth0
	topo_ns ha ip link set eth0 mtu 1400
	topo_ns hb ip link set eth0 mtu 1400
	topo_ns ha ip route add default via 192.168.1.1
	topo_ns hb ip route add default via 192.168.2.1
	topo_ns up ip addr add 192.168.1.1/24 dev ha0
	topo_ns up ip addr add 192.168.2.1/24 dev hb0
	topo_ns up sysctl -qw net.ipv4.ip_forward=1
	topo_ns up sysctl -qw net.ipv4.conf.all.rp_filter=0
	topo_ns up sysctl -qw net.ipv4.conf.default.rp_filter=0
	# the GENEVE tunnel is a user-space peer on a TUN device (not every
	# kernel has the geneve driver); it is started by topo_start_upstream
	topo_ns up ip tuntap add dev gnv0 mode tun
	topo_ns up ip link set gnv0 up mtu 1450
	topo_ns up sysctl -qw net.ipv4.conf.gnv0.rp_filter=0
	# what the hosts send goes through gsteer; what returns is delivered
	topo_ns up ip route add default dev gnv0 table 100
	topo_ns up ip rule add iif ha0 lookup 100
	topo_ns up ip rule add iif hb0 lookup 100

	# appliances: data (GENEVE) on the bridge, management toward the root ns
	for i in $(seq 1 "$GS_N_APPLIANCES"); do
		topo_veth "eth0" "a$i" "a${i}sw" sw
		topo_ns sw ip link set "a${i}sw" master br0
		topo_ns "a$i" ip addr add "10.10.0.$((100 + i))/24" dev eth0
		topo_veth "mgmt0" "a$i" "$GS_P-m$i" ""
		topo_ns "a$i" ip addr add "$GS_MGMT.$((100 + i))/24" dev mgmt0
		ip addr add "$GS_MGMT.$((10 + i))/24" dev "$GS_P-m$i" noprefixroute
		ip route add "$GS_MGMT.$((100 + i))/32" dev "$GS_P-m$i"
	done
}

# the upstream's GENEVE peer on gnv0; $1: log file
topo_start_upstream() {
	topo_ns up python3 "$(dirname "${BASH_SOURCE[0]}")/geneve_upstream.py" \
		gnv0 10.10.0.2 10.10.0.10 100 >"$1" 2>&1 &
}

topo_down() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$GS_P-"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns"
	done
	ip link del "$GS_P-dp" 2>/dev/null
	for i in $(seq 1 9); do ip link del "$GS_P-m$i" 2>/dev/null; done
	return 0
}

# the gsteer config for this topology; $1: control socket path
topo_config() {
	local sock=$1 i apps="" dir
	dir=$(dirname "$sock")
	for i in $(seq 1 "$GS_N_APPLIANCES"); do
		[[ " ${GS_SKIP_APPLIANCES:-} " == *" a$i "* ]] && continue
		apps+="${apps:+,}
        {\"id\": \"a$i\", \"address\": \"10.10.0.$((100 + i))\", \"health_address\": \"$GS_MGMT.$((100 + i))\"}"
	done
	cat <<EOF2
{
  "dataplane": {
    "ports": [
      {"name": "p0", "devargs": "net_af_packet0,iface=$GS_P-dp",
       "addresses": ["10.10.0.1/24", "10.10.0.10/24"]}
    ],
    "flow_table_size": 65536,
    "control_socket": "$sock"
  },
  "daemon": {
    "socket": "$dir/gsteerd.sock",
    "probe_socket": "$dir/probe.sock",
    "metrics_listen": "${GS_METRICS:-}"
  },
  "listeners": [
    {"name": "up", "address": "10.10.0.10", "target_group": "fleet",
     "upstreams": ["10.10.0.0/24"]}
  ],
  "target_groups": [
    {"name": "fleet",
     "on_unhealthy": "${GS_ON_UNHEALTHY:-rebalance}",
     "deregistration_delay_s": ${GS_DEREG_DELAY:-300},
     "idle_timeout_tcp_s": ${GS_IDLE_TCP:-350}, "idle_timeout_other_s": ${GS_IDLE_OTHER:-120},
     "health_check": {"protocol": "http", "port": 80, "path": "/health",
                      "interval_ms": 100, "timeout_ms": 80,
                      "healthy_threshold": 2, "unhealthy_threshold": 2,
                      "inband_probe": true,
                      "passive": "mark_unhealthy", "passive_window_ms": 100},
     "appliances": [$apps
     ]}
  ]
}
EOF2
}
