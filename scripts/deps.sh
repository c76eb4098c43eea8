#!/usr/bin/env bash
# Installs, as root and idempotently, every Debian 12 package that building,
# testing and the live demo of gsteer need.  Quiet when all are present.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config clang llvm
	libdpdk-dev dpdk dpdk-dev libbpf-dev bpftool libelf-dev zlib1g-dev
	libcunit1-dev libjansson-dev libpcap-dev libmicrohttpd-dev
	linux-libc-dev
	# tests and demo: namespaces, packet tools, a third-party dissector
	iproute2 ethtool tcpdump tshark python3 python3-scapy
	procps psmisc util-linux curl bc
	# systemd-analyze verify/security for the units (absent in containers)
	systemd
	# runs the Pktgen-DPDK profiles' Lua against a stand-in pktgen API
	lua5.3
	# plots for the demo and the benchmarks
	gnuplot-nox python3-matplotlib
	# sanitizer and fuzzer runtimes for clang
	libclang-rt-14-dev
)

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root (apt-get install, hugepages, namespaces)" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture: answer no, unattended
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
