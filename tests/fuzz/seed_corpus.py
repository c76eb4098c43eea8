#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed the fuzz corpora in corpus/<target>/ from the packet fixtures, the
example configs and the control-socket fixtures.

  seed_corpus.py FIXTURES.json   (BUILD/tests/fixtures/fixtures.json)

Run it again after the fixture table grows; files are named by the SHA-1
of their content, so seeding twice adds nothing.  Inputs libFuzzer finds
later can be merged in with `TARGET -merge=1 corpus/TARGET NEW_DIR`.
"""
import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def geneve_payload(frame):
    """the UDP payload of an Ethernet/IP/UDP frame, or None"""
    off = 14
    if len(frame) < 14:
        return None
    et = struct.unpack(">H", frame[12:14])[0]
    while et in (0x8100, 0x88A8) and len(frame) >= off + 4:
        et = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    if et == 0x0800 and len(frame) >= off + 20:
        if frame[off + 9] != 17:
            return None
        off += (frame[off] & 0x0F) * 4
    elif et == 0x86DD and len(frame) >= off + 40:
        if frame[off + 6] != 17:
            return None
        off += 40
    else:
        return None
    return frame[off + 8:] if len(frame) >= off + 8 else None


def main():
    steps = json.load(open(sys.argv[1]))
    ctl = set()
    frames = []
    for s in steps:
        if "ctl" in s:
            break  # the pipeline fuzzer has no control steps
        frames.append(bytes.fromhex(s["in"]))
    # pipeline: every frame alone, and the forwarding section's frames in
    # pairs (a flow and its return), each as 2-byte length + frame
    rec = lambda fs: b"".join(struct.pack(">H", len(f)) + f for f in fs)
    for f in frames:
        put("fuzz_pipeline", rec([f]))
    for a, b in zip(frames[:60], frames[1:61]):
        put("fuzz_pipeline", rec([a, b]))
    for s in steps:
        if "ctl" in s:
            ctl.add(json.dumps(s["ctl"], separators=(",", ":")))
            continue
        fr = bytes.fromhex(s["in"])
        put("fuzz_packet", fr)
        g = geneve_payload(fr)
        if not g or len(g) < 8:
            continue
        put("fuzz_packet", g)
        ow = (g[0] & 0x3F) * 4
        inner = g[8 + ow:]
        ptype = struct.unpack(">H", g[2:4])[0]
        sel = {0x0800: 0, 0x86DD: 1, 0x6558: 2}.get(ptype, 0)
        # flowkey: selector, VNI, endpoint id, group, inner packet
        put("fuzz_flowkey", bytes([sel]) + g[4:8] + bytes(8) + b"\x00\x01" + inner)
        # icmp: the quote of an inner ICMP error, else the inner packet
        fam = 1 if sel == 1 else 0
        if sel == 0 and len(inner) >= 28 and inner[9] == 1 and inner[20] in (3, 11):
            hl = (inner[0] & 0x0F) * 4
            put("fuzz_icmp", bytes([0, 0, inner[21]]) + inner[hl + 8:])
        elif sel == 1 and len(inner) >= 48 and inner[6] == 58 and inner[40] in (1, 2, 3, 4):
            put("fuzz_icmp", bytes([1, 1, inner[41]]) + inner[48:])
        elif sel in (0, 1):
            put("fuzz_icmp", bytes([fam, 0, 0]) + inner)
    # control requests: the fixtures' and every command of the protocol
    ctl |= {
        '{"cmd":"ping"}', '{"cmd":"help"}', '{"cmd":"show_appliances"}',
        '{"cmd":"show_groups"}', '{"cmd":"show_flows","limit":5}',
        '{"cmd":"show_stats"}',
        '{"cmd":"set_state","appliance":"fw-a","state":"unhealthy"}',
        '{"cmd":"set_state","appliance":"fw-a","group":"fw","state":"healthy"}',
        '{"cmd":"drain","appliance":"fw-b"}', '{"cmd":"undrain","appliance":"fw-b"}',
        '{"cmd":"add_appliance","group":"fw","id":"fw-d","address":"10.0.0.103","weight":2}',
        '{"cmd":"add_appliance","group":"ids","id":"ids-b","address":"fd00::101","state":"draining"}',
        '{"cmd":"remove_appliance","appliance":"fw-c","group":"fw"}',
        '{"cmd":"set_state","appliance":"fw-a","state":"removed"}',
        '{"cmd":"nosuch"}', '[1,2]', '{"cmd":"ping","x":1}',
        '{"cmd":"set_states","changes":[{"appliance":"fw-a","group":"fw","state":"unhealthy"},'
        '{"appliance":"fw-b","state":"healthy"},{"appliance":"ids-a","group":"ids","state":"draining"}]}',
        '{"cmd":"set_states","changes":[]}',
    }
    for c in sorted(ctl):
        put("fuzz_ctl", c.encode())
    cfgs = [os.path.join(ROOT, "tests", "configs", f)
            for f in sorted(os.listdir(os.path.join(ROOT, "tests", "configs")))]
    cfgs.append(os.path.join(ROOT, "tests", "fixtures", "gsteer-fixtures.json"))
    for p in cfgs:
        with open(p, "rb") as f:
            put("fuzz_config", f.read())
    for bad in (b"{", b"[]", b'{"dataplane": 1}', b'{"a":1,"a":2}'):
        put("fuzz_config", bad)
    for t in sorted(os.listdir(os.path.join(HERE, "corpus"))):
        print("%s: %d files" % (t, len(os.listdir(os.path.join(HERE, "corpus", t)))))


if __name__ == "__main__":
    main()
