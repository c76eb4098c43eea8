#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in for gsteerd's socket that misbehaves on purpose, for the
gsteerctl cases a healthy gsteerd never shows: replies of megabytes sent in
pieces, silence, a closed connection, garbage.  The real daemon is tested
in test_gsteerctl_daemon.sh.

  fake_gsteerd.py SOCKET REQUEST_LOG MODE [REPLY_FILE]

Every request line received is appended to REQUEST_LOG.  MODE:
  reply   answer every request with REPLY_FILE's bytes (one line), written
          in small pieces so the client must read many times
  once    like reply, then close the socket and remove its file (a daemon
          that went away)
  silent  read requests and never answer
  close   close the connection after the first request, unanswered
  garbage answer "this is not json"
  full    never accept, and fill the listen queue itself (a hung daemon)
SOCKET.ready is created once the socket listens."""
import os
import socket
import sys
import threading

path, log_path, mode = sys.argv[1:4]
reply = open(sys.argv[4], "rb").read() if len(sys.argv) > 4 else b""
log_lock = threading.Lock()
done = threading.Event()


def serve(conn):
    buf = b""
    with conn:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                with log_lock, open(log_path, "ab") as f:
                    f.write(line + b"\n")
                if mode == "silent":
                    continue
                if mode == "close":
                    return
                if mode == "garbage":
                    conn.sendall(b"this is not json\n")
                    continue
                for off in range(0, len(reply), 4093):
                    conn.sendall(reply[off:off + 4093])
                if mode == "once":
                    done.set()
                    return


srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
if mode == "full":
    # backlog 0 holds one pending connection: take it, so the next
    # connect() finds the queue full
    srv.listen(0)
    filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    filler.connect(path)
    open(path + ".ready", "w").close()
    threading.Event().wait()
srv.listen(16)
open(path + ".ready", "w").close()
srv.settimeout(0.1)
while not done.is_set():
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    conn.settimeout(None)
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
srv.close()
os.unlink(path)
