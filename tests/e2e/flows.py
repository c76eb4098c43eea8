#!/usr/bin/env python3
"""Real TCP and UDP flows for the end-to-end tests and the demo.

  flows.py serve  ADDR PORT                 echo server (TCP and UDP on PORT)
  flows.py run    ADDR PORT N_TCP N_UDP SECONDS [BYTES]
      opens N_TCP concurrent TCP connections and N_UDP UDP flows to ADDR:PORT,
      sends BYTES (default 65536) per TCP connection and one datagram a
      100 ms per UDP flow for SECONDS, checks every echo, and prints one JSON
      line: {"tcp_ok":..,"tcp_failed":..,"udp_sent":..,"udp_received":..,
      "tcp_ports":[...],"udp_ports":[...]}.
  flows.py stream ADDR PORT N_TCP N_UDP SECONDS [PERIOD_MS]
      long-lived flows for failover tests: N_TCP connections each doing a
      request/response every 50 ms, N_UDP flows each sending a numbered
      datagram every PERIOD_MS (default 20) ms; prints one JSON line {"flows": [{"proto", "port",
      "sent", "received", "lost", "max_gap_ms", "lost_first", "lost_last",
      "lost_times", "ok"}]} where lost_* are the epoch times of the first and
      last request that got no answer (lost_times: all of them, at most
      1,000), and ok says a TCP flow ran to its end.
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


UDP_PERIOD = 0.02
TCP_PERIOD = 0.05


def stream_tcp(addr, port, seconds, out, lock):
    f = {"proto": "tcp", "port": 0, "sent": 0, "received": 0, "lost": 0,
         "max_gap_ms": 0.0, "lost_first": None, "lost_last": None, "lost_times": [],
         "ok": False}
    end = time.time() + seconds
    try:
        s = socket.create_connection((addr, port), timeout=5)
        f["port"] = s.getsockname()[1]
        s.settimeout(10)  # TCP retransmits across a failover; give it time
        last = time.time()
        while time.time() < end:
            msg = b"%08d" % f["sent"]
            t = time.time()
            s.sendall(msg)
            f["sent"] += 1
            got = b""
            while len(got) < len(msg):
                chunk = s.recv(len(msg) - len(got))
                if not chunk:
                    raise OSError("closed")
                got += chunk
            if got != msg:
                raise OSError("bad echo")
            f["received"] += 1
            now = time.time()
            f["max_gap_ms"] = max(f["max_gap_ms"], (now - last) * 1000)
            if now - t > 0.2:  # a retransmission: count the wait as loss
                f["lost"] += 1
                f["lost_first"] = f["lost_first"] or t
                f["lost_last"] = t
                if len(f["lost_times"]) < 1000:
                    f["lost_times"].append(t)
            last = now
            time.sleep(max(0, TCP_PERIOD - (now - t)))
        s.close()
        f["ok"] = True
    except OSError:
        f["ok"] = False
    with lock:
        out.append(f)


def stream(addr, port, n_tcp, n_udp, seconds, udp_period=UDP_PERIOD):
    out, lock = [], threading.Lock()
    threads = [threading.Thread(target=stream_tcp, args=(addr, port, seconds, out, lock))
               for _ in range(n_tcp)]
    for t in threads:
        t.start()
    socks, flows = [], []
    sel = selectors.DefaultSelector()
    for i in range(n_udp):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((addr, port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        socks.append(s)
        flows.append({"proto": "udp", "port": s.getsockname()[1], "sent": 0, "received": 0,
                      "sent_at": {}, "last_rx": time.time(), "max_gap_ms": 0.0})
    end = time.time() + seconds
    next_send = 0.0
    while time.time() < end or (time.time() < end + 0.5 and any(
            f["sent"] > f["received"] for f in flows)):
        now = time.time()
        if now >= next_send and now < end:
            for s, f in zip(socks, flows):
                try:
                    s.send(b"%08d" % f["sent"])
                    f["sent_at"][f["sent"]] = now
                    f["sent"] += 1
                except OSError:
                    pass
            next_send = now + udp_period
        for key, _ in sel.select(timeout=0.005):
            f = flows[key.data]
            try:
                while True:
                    data = key.fileobj.recv(64)
                    seq = int(data)
                    if f["sent_at"].pop(seq, None) is not None:
                        f["received"] += 1
                        t = time.time()
                        f["max_gap_ms"] = max(f["max_gap_ms"], (t - f["last_rx"]) * 1000)
                        f["last_rx"] = t
            except (OSError, ValueError):
                pass
    for f in flows:
        lost = sorted(f.pop("sent_at").values())
        f.pop("last_rx")
        f["lost"] = len(lost)
        f["lost_first"] = lost[0] if lost else None
        f["lost_last"] = lost[-1] if lost else None
        f["lost_times"] = lost[:1000]
        f["ok"] = f["received"] > 0
    for t in threads:
        t.join(seconds + 30)
    print(json.dumps({"flows": out + flows}), flush=True)


def main(argv):
    if len(argv) >= 3 and argv[0] == "serve":
        serve(argv[1], int(argv[2]))
    elif len(argv) in (6, 7) and argv[0] == "stream":
        stream(argv[1], int(argv[2]), int(argv[3]), int(argv[4]), float(argv[5]),
               float(argv[6]) / 1000 if len(argv) == 7 else UDP_PERIOD)
    elif len(argv) >= 6 and argv[0] == "run":
        run(argv[1], int(argv[2]), int(argv[3]), int(argv[4]), float(argv[5]),
            int(argv[6]) if len(argv) > 6 else 65536)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
