#!/usr/bin/env python3
"""Real TCP and UDP flows for the end-to-end tests and the demo.

  flows.py serve  ADDR PORT                 echo server (TCP and UDP on PORT)
  flows.py run    ADDR PORT N_TCP N_UDP SECONDS [BYTES]
      opens N_TCP concurrent TCP connections and N_UDP UDP flows to ADDR:PORT,
      sends BYTES (default 65536) per TCP connection and one datagram a
      100 ms per UDP flow for SECONDS, checks every echo, and prints one JSON
      line: {"tcp_ok":..,"tcp_failed":..,"udp_sent":..,"udp_received":..,
      "tcp_ports":[...],"udp_ports":[...]}.
Only the standard library: it runs inside the test namespaces.
"""
import json
import os
import selectors
import socket
import sys
import threading
import time


def serve(addr, port):
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, port))
    tcp.listen(512)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, port))

    def echo_tcp(conn):
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    def loop_udp():
        while True:
            data, peer = udp.recvfrom(65536)
            udp.sendto(data, peer)

    threading.Thread(target=loop_udp, daemon=True).start()
    while True:
        conn, _ = tcp.accept()
        threading.Thread(target=echo_tcp, args=(conn,), daemon=True).start()


def one_tcp(addr, port, nbytes, deadline, result, lock):
    payload = os.urandom(nbytes)
    ok = False
    local = 0
    try:
        s = socket.create_connection((addr, port), timeout=max(1, deadline - time.time()))
        local = s.getsockname()[1]
        with s:
            s.settimeout(max(1, deadline - time.time()))
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            got = bytearray()
            while len(got) < nbytes:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            ok = bytes(got) == payload
    except OSError:
        ok = False
    with lock:
        result["tcp_ok" if ok else "tcp_failed"] += 1
        if local:
            result["tcp_ports"].append(local)


def count_echoes(sel, result, timeout):
    """read every UDP echo that is ready within @timeout"""
    for key, _ in sel.select(timeout=timeout):
        try:
            while key.fileobj.recv(2048):
                result["udp_received"] += 1
        except OSError:
            pass


def run(addr, port, n_tcp, n_udp, seconds, nbytes):
    result = {"tcp_ok": 0, "tcp_failed": 0, "udp_sent": 0, "udp_received": 0,
              "tcp_ports": [], "udp_ports": []}
    lock = threading.Lock()
    deadline = time.time() + seconds + 20
    threads = [threading.Thread(target=one_tcp, args=(addr, port, nbytes, deadline, result, lock))
               for _ in range(n_tcp)]
    for t in threads:
        t.start()

    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(n_udp):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((addr, port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
        result["udp_ports"].append(s.getsockname()[1])
    end = time.time() + seconds
    next_send = 0.0
    while time.time() < end:
        now = time.time()
        if now >= next_send:
            for s in socks:
                try:
                    s.send(b"x" * 64)
                    result["udp_sent"] += 1
                except OSError:
                    pass
            next_send = now + 0.1
        count_echoes(sel, result, 0.02)
    # late echoes of the last round
    stop = time.time() + 0.5
    while time.time() < stop:
        count_echoes(sel, result, 0.05)
    for t in threads:
        t.join(max(0.1, deadline - time.time()))
    print(json.dumps(result), flush=True)


def main(argv):
    if len(argv) >= 3 and argv[0] == "serve":
        serve(argv[1], int(argv[2]))
    elif len(argv) >= 6 and argv[0] == "run":
        run(argv[1], int(argv[2]), int(argv[3]), int(argv[4]), float(argv[5]),
            int(argv[6]) if len(argv) > 6 else 65536)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
