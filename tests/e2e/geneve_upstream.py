#!/usr/bin/env python3
"""A GENEVE upstream (a GWLB-endpoint-like tunnel peer) in user space.

  geneve_upstream.py TUN LOCAL REMOTE VNI [--endpoint-id HEX]

Creates the L3 TUN device TUN, sends every IP packet the kernel routes into it
to REMOTE (the gsteer listener) as GENEVE (UDP 6081, protocol 0x0800/0x86DD
as AWS GWLB sends, VNI, and optionally the AWS endpoint-id option), and
writes the inner packet of every GENEVE packet that comes back from REMOTE
into TUN, where the kernel forwards it on.  Used instead of the kernel's
geneve driver, which not every kernel has.  Counts on SIGTERM / exit:
prints one JSON line {"sent":..,"received":..,"bad":..}.
Standard library only.
"""
import fcntl
import json
import os
import select
import signal
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
GENEVE_PORT = 6081
AWS_CLASS = 0x0108


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def geneve_header(vni, protocol, endpoint_id):
    opts = b""
    if endpoint_id is not None:
        opts = struct.pack("!HBB", AWS_CLASS, 1, 2) + struct.pack("!Q", endpoint_id)
    return struct.pack("!BBHI", len(opts) // 4, 0, protocol, vni << 8) + opts


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    tun_name, local, remote, vni = argv[0], argv[1], argv[2], int(argv[3])
    endpoint_id = None
    if len(argv) > 5 and argv[4] == "--endpoint-id":
        endpoint_id = int(argv[5], 16)
    counts = {"sent": 0, "received": 0, "bad": 0}

    def finish(*_):
        print(json.dumps(counts), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    tun = open_tun(tun_name)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((local, GENEVE_PORT))
    hdr4 = geneve_header(vni, 0x0800, endpoint_id)
    hdr6 = geneve_header(vni, 0x86DD, endpoint_id)
    poller = select.poll()
    poller.register(tun, select.POLLIN)
    poller.register(sock, select.POLLIN)
    while True:
        for fd, _ in poller.poll(1000):
            if fd == tun:
                pkt = os.read(tun, 65535)
                hdr = hdr6 if pkt and pkt[0] >> 4 == 6 else hdr4
                sock.sendto(hdr + pkt, (remote, GENEVE_PORT))
                counts["sent"] += 1
            else:
                data, peer = sock.recvfrom(65535)
                if peer[0] != remote or len(data) < 8 or data[0] >> 6 != 0:
                    counts["bad"] += 1
                    continue
                inner = 8 + (data[0] & 0x3F) * 4
                if inner >= len(data):
                    counts["bad"] += 1
                    continue
                os.write(tun, data[inner:])
                counts["received"] += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
