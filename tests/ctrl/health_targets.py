#!/usr/bin/env python3
"""Health-check targets that behave the ways real appliances misbehave.

  health_targets.py PORT ADDR=BEHAVIOUR...
BEHAVIOUR: ok (HTTP 200), error (HTTP 500), hang (accepts, never answers),
garbage (answers something that is not HTTP).  Standard library only.
"""
import socket
import sys
import threading

REPLIES = {
    "ok": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
    "error": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
    "garbage": b"SSH-2.0-OpenSSH_9.2\r\n",
}


def serve(addr, port, behaviour):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    held = []
    while True:
        c, _ = s.accept()
        if behaviour == "hang":
            held.append(c)  # keep it open, say nothing
            continue
        try:
            c.recv(4096)
            c.sendall(REPLIES[behaviour])
        except OSError:
            pass
        c.close()


def main(argv):
    port = int(argv[0])
    for spec in argv[1:]:
        addr, behaviour = spec.split("=")
        threading.Thread(target=serve, args=(addr, port, behaviour), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
