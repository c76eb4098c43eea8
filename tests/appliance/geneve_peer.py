#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""GENEVE peer for testing gsteer-appliance (or any AWS-GWLB-style appliance).

Sends GENEVE packets the way a Gateway Load Balancer does (AWS options, class
0x0108, types 1/2/3) for a set of inner flows, both directions of each, and
checks what comes back: byte-identical payloads, from the expected address and
port, for exactly the packets the appliance's mode should pass.

Needs scapy: run it with Debian's /usr/bin/python3.

Exit status: 0 all checks passed, 1 a check failed (reason on stderr).
"""
import argparse
import ipaddress
import json
import random
import select
import socket
import struct
import sys
import time

from scapy.contrib.geneve import GENEVE, GeneveOptions
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw, raw

AWS_CLASS = 0x0108
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IP_TTL_CMSG = getattr(socket, "IP_TTL", 2)
IPV6_RECVHOPLIMIT = getattr(socket, "IPV6_RECVHOPLIMIT", 51)
IPV6_HOPLIMIT = getattr(socket, "IPV6_HOPLIMIT", 52)


def aws_options(i):
    """Endpoint id, attachment id and flow cookie, all derived from @i."""
    return [
        GeneveOptions(classid=AWS_CLASS, type=1, length=2,
                      data=struct.pack(">Q", 0x0E0E000000000000 | i)),
        GeneveOptions(classid=AWS_CLASS, type=2, length=2,
                      data=struct.pack(">Q", 0x0A0A000000000000 | i)),
        GeneveOptions(classid=AWS_CLASS, type=3, length=1,
                      data=struct.pack(">I", 0xC0000000 | i)),
    ]


def canonical(family, proto, src, sport, dst, dport):
    """Same canonical order as the appliance: lower (address, port) first."""
    a = ipaddress.ip_address(src).packed
    b = ipaddress.ip_address(dst).packed
    if (a, sport) > (b, dport):
        a, sport, b, dport = b, dport, a, sport
    return (family, proto, a, sport, b, dport)


def flow_hash(key):
    """32-bit FNV-1a then fmix32, as documented in README.md (subset mode)."""
    family, proto, a, sport, b, dport = key
    h = 2166136261
    for byte in (bytes([family, proto]) + a + sport.to_bytes(2, "big") +
                 b + dport.to_bytes(2, "big")):
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    # murmur3 fmix32: FNV's low bits alone would make "% M" useless
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def flow_line(key):
    _, proto, a, sport, b, dport = key
    return "%d %s %d %s %d" % (proto, ipaddress.ip_address(a), sport,
                               ipaddress.ip_address(b), dport)


def inner_packets(i):
    """Both directions of flow @i: (geneve protocol, fwd, rev, key).

    Four kinds in turn, so every parser path is used: IPv4/TCP, IPv6/UDP,
    Ethernet-in-GENEVE carrying IPv4/UDP, IPv4/ICMP (no ports).
    """
    kind = i % 4
    hi, lo = (i >> 8) & 0xFF, i & 0xFF
    pay = Raw(b"gsteer-appliance-test-%06d" % i)
    if kind == 1:
        s, d = "2001:db8:1::%x" % (i + 1), "2001:db8:2::%x" % (i + 1)
        sp, dp = 20000 + i, 53
        fwd = IPv6(src=s, dst=d) / UDP(sport=sp, dport=dp) / pay
        rev = IPv6(src=d, dst=s) / UDP(sport=dp, dport=sp) / pay
        return 0x86DD, fwd, rev, canonical(6, 17, s, sp, d, dp)
    s, d = "172.16.%d.%d" % (hi, lo), "192.168.%d.%d" % (hi, lo)
    if kind == 0:
        sp, dp = 10000 + i, 443
        fwd = IP(src=s, dst=d) / TCP(sport=sp, dport=dp, flags="S") / pay
        rev = IP(src=d, dst=s) / TCP(sport=dp, dport=sp, flags="SA") / pay
        return 0x0800, fwd, rev, canonical(4, 6, s, sp, d, dp)
    if kind == 2:
        sp, dp = 30000 + i, 4789
        eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        fwd = eth / IP(src=s, dst=d) / UDP(sport=sp, dport=dp) / pay
        rev = eth / IP(src=d, dst=s) / UDP(sport=dp, dport=sp) / pay
        return 0x6558, fwd, rev, canonical(4, 17, s, sp, d, dp)
    fwd = IP(src=s, dst=d) / ICMP(type=8, id=i) / pay
    rev = IP(src=d, dst=s) / ICMP(type=0, id=i) / pay
    return 0x0800, fwd, rev, canonical(4, 1, s, 0, d, 0)


def invalid_payloads():
    """Datagrams that are not valid GENEVE: must never come back."""
    good = raw(GENEVE(vni=7, proto=0x0800, options=aws_options(0)) /
               IP(src="10.0.0.1", dst="10.0.0.2") / ICMP())
    v1 = bytes([good[0] | 0x40]) + good[1:]          # version 1
    short_opts = good[:20]                           # options cut off
    return [b"\x00\x00", v1, short_opts]


def garbage(rng):
    """Random GENEVE-looking datagrams to shake the appliance's parsers."""
    optlen = rng.randrange(64)
    ptype = rng.choice([0x0800, 0x86DD, 0x6558, rng.randrange(65536)])
    hdr = bytes([optlen if rng.random() < 0.9 else rng.randrange(256),
                 rng.randrange(256)]) + ptype.to_bytes(2, "big") + \
        rng.randbytes(4)
    body = bytearray(rng.randbytes(rng.randrange(0, 200)))
    first = 4 * optlen
    if len(body) > first and rng.random() < 0.8:
        body[first] = rng.choice([0x45, 0x4F, 0x60, 0x40])
    return hdr + bytes(body)


def open_sockets(args):
    family = socket.AF_INET6 if ":" in args.target else socket.AF_INET
    rx = socket.socket(family, socket.SOCK_DGRAM)
    tx = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        rx.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        rx.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
        wildcard = "::"
    else:
        rx.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        wildcard = "0.0.0.0"
    rx.bind((wildcard, args.port))
    # The reply must reach port 6081 whatever port we sent from.
    tx.bind((wildcard, 0))
    return family, rx, tx


def recv_ttl(ancdata):
    for level, ctype, data in ancdata:
        if ((level == socket.IPPROTO_IP and ctype == IP_TTL_CMSG) or
                (level == socket.IPPROTO_IPV6 and ctype == IPV6_HOPLIMIT)):
            return struct.unpack("i", data[:4])[0] if len(data) >= 4 else data[0]
    return None


def fail(msg):
    print("geneve_peer: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", required=True, help="appliance address")
    ap.add_argument("--port", type=int, default=6081)
    ap.add_argument("--flows", type=int, default=16)
    ap.add_argument("--flow-base", type=int, default=0,
                    help="first flow index (distinct runs, distinct flows)")
    ap.add_argument("--expect", choices=["all", "none", "subset"],
                    default="all")
    ap.add_argument("--m", type=int, default=1)
    ap.add_argument("--k", type=int, default=0)
    ap.add_argument("--keep-ports", action="store_true",
                    help="expect replies from our source port, not 6081")
    ap.add_argument("--ttl", type=int, help="expected TTL of replies")
    ap.add_argument("--min-rtt", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--invalid", action="store_true",
                    help="also send invalid GENEVE (must not return)")
    ap.add_argument("--garbage", type=int, default=0,
                    help="afterwards send N random datagrams (unchecked)")
    ap.add_argument("--summary", help="write a JSON summary here")
    ap.add_argument("--flows-out", help="write canonical flow lines here")
    args = ap.parse_args()

    family, rx, tx = open_sockets(args)
    txport = tx.getsockname()[1]
    want_port = txport if args.keep_ports else args.port

    sent = {}          # payload -> (send time, should return)
    keys = set()
    nbytes = 0
    for i in range(args.flow_base, args.flow_base + args.flows):
        ptype, fwd, rev, key = inner_packets(i)
        keys.add(key)
        passes = (args.expect == "all" or
                  (args.expect == "subset" and
                   flow_hash(key) % args.m == args.k))
        for inner in (fwd, rev):
            g = raw(GENEVE(vni=0x123456, proto=ptype,
                           options=aws_options(i)) / inner)
            sent[g] = [0.0, passes]
            nbytes += len(g)
    bad = invalid_payloads() if args.invalid else []

    for payload in list(sent) + bad:
        if payload in sent:
            sent[payload][0] = time.monotonic()
        tx.sendto(payload, (args.target, args.port))

    expected = {p for p, (_, ok) in sent.items() if ok}
    got = set()
    deadline = time.monotonic() + args.timeout
    linger = None
    while True:
        now = time.monotonic()
        # Once everything expected is back, wait a little for strays.
        end = min(deadline, linger) if linger else deadline
        if now >= end:
            break
        r, _, _ = select.select([rx], [], [], end - now)
        if not r:
            continue
        data, anc, _, src = rx.recvmsg(65536, 256)
        if ipaddress.ip_address(src[0]) != ipaddress.ip_address(args.target):
            fail("reply from %s, expected %s" % (src[0], args.target))
        if src[1] != want_port:
            fail("reply from port %d, expected %d" % (src[1], want_port))
        if data not in sent:
            fail("reply of %d bytes matches nothing sent (modified?): %s"
                 % (len(data), data[:48].hex()))
        if data not in expected:
            fail("packet returned that the mode should have dropped")
        if data in got:
            fail("packet returned twice")
        rtt = time.monotonic() - sent[data][0]
        if rtt < args.min_rtt:
            fail("returned after %.3f s, expected at least %.3f s"
                 % (rtt, args.min_rtt))
        ttl = recv_ttl(anc)
        if args.ttl is not None and ttl != args.ttl:
            fail("reply TTL %s, expected %d" % (ttl, args.ttl))
        got.add(data)
        if got == expected and linger is None:
            linger = time.monotonic() + 0.3
    if expected and got != expected:
        fail("%d of %d expected packets came back" % (len(got), len(expected)))

    if args.garbage:
        rng = random.Random(1)
        for _ in range(args.garbage):
            tx.sendto(garbage(rng), (args.target, args.port))
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            if select.select([rx], [], [], 0.1)[0]:
                rx.recv(65536)

    print("geneve_peer: %s %s: sent %d valid + %d invalid, %d returned as expected"
          % (args.target, args.expect, len(sent), len(bad), len(got)))
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump({"packets": len(sent), "bytes": nbytes,
                       "invalid": len(bad), "flows": len(keys),
                       "returned": len(got)}, f)
    if args.flows_out:
        with open(args.flows_out, "w") as f:
            for k in sorted(keys):
                f.write(flow_line(k) + "\n")


if __name__ == "__main__":
    main()
