#!/usr/bin/env python3
"""Per-appliance counters of gsteer-dataplane over time, for the demo's plot.

  sampler.py DP_SOCKET OUT.csv PERIOD_S STOP_FILE
Polls show_appliances every PERIOD_S seconds until STOP_FILE exists and
writes lines "epoch_s,appliance,state,tx_pkts,rx_pkts".  Survives the data
plane's restarts (a gap in the file shows them).
"""
import json
import os
import socket
import sys
import time


def main(path, out, period, stop):
    period = float(period)
    sock = None
    with open(out, "w") as f:
        while not os.path.exists(stop):
            t = time.time()
            try:
                if sock is None:
                    sock = socket.socket(socket.AF_UNIX)
                    sock.settimeout(1)
                    sock.connect(path)
                sock.sendall(b'{"cmd":"show_appliances"}\n')
                buf = b""
                while not buf.endswith(b"\n"):
                    chunk = sock.recv(1 << 20)
                    if not chunk:
                        raise OSError("closed")
                    buf += chunk
                for a in json.loads(buf)["appliances"]:
                    f.write("%.3f,%s,%s,%d,%d\n" % (t, a["id"], a["state"], a["tx_pkts"], a["rx_pkts"]))
                f.flush()
            except (OSError, ValueError):
                if sock:
                    sock.close()
                sock = None
            time.sleep(max(0.0, period - (time.time() - t)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
