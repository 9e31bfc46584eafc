#!/usr/bin/env python3
"""Cuts SMB2 traffic captured on loopback into seed candidates for the fuzz
targets (fuzz/capture.sh runs it; it needs only the standard library).

    capture.py PCAP OUT_DIR PORT...

PCAP is a classic pcap file (dumpcap -P) of IPv4 TCP on lo; PORT... are the
servers' ports: a connection to one of them is an SMB2 session whose client
half is requests and whose server half is responses. Each TCP direction is
put back together from its segments (up to the first hole, so a lost
packet costs only the rest of its stream), split into NetBIOS frames, and
written as candidates, one file each, named by content (SHA-1), under
OUT_DIR/<target>/:

  fuzz_validate          each request frame in clear (compounds whole)
  fuzz_transform         each TRANSFORM frame (0xFD), either direction, and
                         each SMB1 NEGOTIATE a client sent
  fuzz_ntlmssp           the security buffers of SESSION_SETUP requests
                         (selector 0) and of NEGOTIATE and SESSION_SETUP
                         responses (3, and 4 when it holds a CHALLENGE), and
                         the NTLMSSP messages inside the clients' tokens
                         (1 NEGOTIATE, 2 AUTHENTICATE); see fuzz_ntlmssp.cc
  fuzz_client_responses  the server half of each connection, behind a
                         configuration byte naming its dialect (input format
                         in fuzz/client_sim.h), at most 16 KiB of it; and
                         each response frame alone
  fuzz_client_auth       the NEGOTIATE response and the SESSION_SETUP
                         responses of the first login of each connection
                         (with the binding bit where the client bound)
  fuzz_names             the names of CREATE requests (UTF-16LE)

READ responses and WRITE requests keep 512 bytes of their data (the
lengths are adjusted); frames still larger than 16 KiB are left out.
capture.sh then keeps only what adds coverage (libFuzzer -merge=1).
"""
import hashlib
import os
import struct
import sys

MAX_FRAME = 16 * 1024
MAX_STREAM = 16 * 1024
KEEP_DATA = 512
SMB2 = b"\xfeSMB"
SMB1 = b"\xffSMB"
TRANSFORM = b"\xfdSMB"
DIALECT_INDEX = {0x0202: 0, 0x0210: 1, 0x0300: 2, 0x0302: 3, 0x0311: 4}


def packets(path):
    """(payload bytes of the link layer) for each record of a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit("capture.py: %s is not a classic pcap file (dumpcap -P writes one)" % path)
    linktype = struct.unpack_from(end + "I", data, 20)[0]
    pos = 24
    while pos + 16 <= len(data):
        incl, orig = struct.unpack_from(end + "II", data, pos + 8)
        pkt = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if incl != orig:
            yield None  # cut short by the snap length: a hole
            continue
        if linktype == 1:  # Ethernet (lo)
            if len(pkt) < 14 or pkt[12:14] != b"\x08\x00":
                continue
            yield pkt[14:]
        elif linktype == 113:  # Linux cooked
            if len(pkt) < 16 or pkt[14:16] != b"\x08\x00":
                continue
            yield pkt[16:]
        elif linktype in (101, 228):  # raw IPv4
            yield pkt


def tcp_streams(path):
    """{(src, sport, dst, dport): bytes}: each direction in order, up to its
    first hole."""
    segs = {}
    isn = {}
    broken = False
    for ip in packets(path):
        if ip is None:
            broken = True
            continue
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack_from("!H", ip, 2)[0]
        tcp = ip[ihl:total]
        if len(tcp) < 20:
            continue
        sport, dport, seq = struct.unpack_from("!HHI", tcp, 0)
        flags = tcp[13]
        key = (ip[12:16], sport, ip[16:20], dport)
        if flags & 0x02:  # SYN
            isn[key] = (seq + 1) & 0xFFFFFFFF
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            segs.setdefault(key, {}).setdefault(seq, payload)
    if broken:
        print("capture.py: some packets were cut short; their streams end there", file=sys.stderr)
    out = {}
    for key, by_seq in segs.items():
        start = isn.get(key, min(by_seq))
        rel = sorted(((s - start) & 0xFFFFFFFF, p) for s, p in by_seq.items())
        buf = bytearray()
        for off, p in rel:
            if off > len(buf):
                break  # a hole: what follows cannot be placed
            if off + len(p) > len(buf):
                buf += p[len(buf) - off:]
        out[key] = bytes(buf)
    return out


def frames(stream):
    pos = 0
    while pos + 4 <= len(stream):
        if stream[pos] != 0:
            return
        n = int.from_bytes(stream[pos + 1:pos + 4], "big")
        if pos + 4 + n > len(stream):
            return
        yield stream[pos + 4:pos + 4 + n]
        pos += 4 + n


def messages(frame):
    """(offset, header fields, message bytes) of each SMB2 message of a chain."""
    off = 0
    while off + 64 <= len(frame) and frame[off:off + 4] == SMB2:
        status, cmd, credits, flags, nxt, mid = struct.unpack_from("<IHHIIQ", frame, off + 8)
        end = off + nxt if nxt else len(frame)
        if end > len(frame) or end < off + 64:
            return
        yield off, {"status": status, "cmd": cmd, "flags": flags, "mid": mid}, frame[off:end]
        if not nxt:
            return
        off = end


def buffer_at(msg, off, length):
    if length == 0 or off < 64 or off + length > len(msg):
        return b""
    return msg[off:off + length]


def shrink_data(frame, response):
    """A READ response or WRITE request alone in its frame, with at most
    KEEP_DATA bytes of data."""
    if len(frame) < 64 + 16 or frame[:4] != SMB2 or struct.unpack_from("<I", frame, 20)[0]:
        return frame
    cmd = struct.unpack_from("<H", frame, 12)[0]
    if response and cmd == 8 and len(frame) >= 64 + 16:
        off = frame[64 + 2]
        n = struct.unpack_from("<I", frame, 64 + 4)[0]
        if n > KEEP_DATA and off >= 64:
            out = bytearray(frame[:off + KEEP_DATA])
            struct.pack_into("<I", out, 64 + 4, KEEP_DATA)
            return bytes(out)
    if not response and cmd == 9 and len(frame) >= 64 + 48:
        off = struct.unpack_from("<H", frame, 64 + 2)[0]
        n = struct.unpack_from("<I", frame, 64 + 4)[0]
        if n > KEEP_DATA and off >= 64:
            out = bytearray(frame[:off + KEEP_DATA])
            struct.pack_into("<I", out, 64 + 4, KEEP_DATA)
            return bytes(out)
    return frame


def der_octet_strings(b, depth=0):
    """The contents of every OCTET STRING inside DER b (descending into
    constructed values), for finding NTLMSSP tokens in SPNEGO."""
    pos = 0
    while pos + 2 <= len(b) and depth < 12:
        tag = b[pos]
        n = b[pos + 1]
        pos += 2
        if n & 0x80:
            k = n & 0x7F
            if k == 0 or k > 4 or pos + k > len(b):
                return
            n = int.from_bytes(b[pos:pos + k], "big")
            pos += k
        if pos + n > len(b):
            return
        value = b[pos:pos + n]
        if tag == 0x04:
            yield value
        elif tag & 0x20:
            yield from der_octet_strings(value, depth + 1)
        pos += n


class Out:
    def __init__(self, root):
        self.root = root
        self.count = {}

    def put(self, target, data):
        if not data or len(data) > MAX_FRAME + 4096:
            return
        d = os.path.join(self.root, target)
        os.makedirs(d, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()
        path = os.path.join(d, name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.count[target] = self.count.get(target, 0) + 1


def nb(frame):
    return b"\x00" + len(frame).to_bytes(3, "big") + frame


def client_half(out, stream):
    """Requests: returns whether the client bound a channel."""
    binding = False
    for frame in frames(stream):
        if frame[:4] == TRANSFORM:
            out.put("fuzz_transform", frame)
            continue
        if frame[:4] == SMB1:
            out.put("fuzz_transform", frame)
            continue
        if frame[:4] != SMB2:
            return binding
        small = shrink_data(frame, False)
        if len(small) <= MAX_FRAME:
            out.put("fuzz_validate", small)
        for _, h, msg in messages(frame):
            if h["cmd"] == 5 and len(msg) >= 64 + 56:
                off, n = struct.unpack_from("<HH", msg, 64 + 44)
                name = buffer_at(msg, off, n)
                if name:
                    out.put("fuzz_names", name)
            if h["cmd"] == 1 and len(msg) >= 64 + 24:
                if msg[64 + 2] & 1:
                    binding = True
                off, n = struct.unpack_from("<HH", msg, 64 + 12)
                blob = buffer_at(msg, off, n)
                if blob:
                    out.put("fuzz_ntlmssp", b"\x00" + blob)
                    tokens = [blob] if blob.startswith(b"NTLMSSP\x00") else der_octet_strings(blob)
                    for tok in tokens:
                        if tok.startswith(b"NTLMSSP\x00") and len(tok) >= 12:
                            kind = struct.unpack_from("<I", tok, 8)[0]
                            if kind == 1:
                                out.put("fuzz_ntlmssp", b"\x01" + tok)
                            elif kind == 3:
                                out.put("fuzz_ntlmssp", b"\x02" + tok)
    return binding


def server_half(out, stream, binding):
    dialect = None
    whole = bytearray()
    login = bytearray()
    login_done = False  # the first login is complete
    for frame in frames(stream):
        if frame[:4] == TRANSFORM:
            out.put("fuzz_transform", frame)
        elif frame[:4] != SMB2:
            break
        for _, h, msg in messages(frame):
            if h["cmd"] == 0 and h["status"] == 0 and len(msg) >= 64 + 64:
                dialect = struct.unpack_from("<H", msg, 64 + 4)[0]
                off, n = struct.unpack_from("<HH", msg, 64 + 56)
                hint = buffer_at(msg, off, n)
                if hint:
                    out.put("fuzz_ntlmssp", b"\x03" + hint)
            if h["cmd"] == 1 and len(msg) >= 64 + 8:
                off, n = struct.unpack_from("<HH", msg, 64 + 4)
                blob = buffer_at(msg, off, n)
                if blob:
                    out.put("fuzz_ntlmssp", b"\x03" + blob)
                    if b"NTLMSSP\x00\x02\x00\x00\x00" in blob:
                        out.put("fuzz_ntlmssp", b"\x04" + blob)
        config = DIALECT_INDEX.get(dialect, 4)
        small = shrink_data(frame, True)
        if len(small) > MAX_FRAME:
            continue
        out.put("fuzz_client_responses", bytes([config]) + nb(small))
        if len(whole) + len(small) <= MAX_STREAM:
            whole += nb(small)
        # The first login: NEGOTIATE, then SESSION_SETUP responses up to the
        # first that is not MORE_PROCESSING_REQUIRED.
        if not login_done and frame[:4] == SMB2:
            cmd, status = struct.unpack_from("<H", frame, 12)[0], struct.unpack_from("<I", frame, 8)[0]
            if cmd == 0:
                login = bytearray(nb(frame))  # after an SMB1 NEGOTIATE, the second one
            elif cmd == 1:
                login += nb(frame)
                if cmd == 1 and status != 0xC0000016:
                    login_done = True
            elif login:
                login_done = True
    config = DIALECT_INDEX.get(dialect, 4)
    if whole:
        out.put("fuzz_client_responses", bytes([config]) + bytes(whole))
    if login:
        out.put("fuzz_client_auth", bytes([config | (0x08 if binding else 0)]) + bytes(login))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, root = sys.argv[1], sys.argv[2]
    ports = {int(p) for p in sys.argv[3:]}
    out = Out(root)
    streams = tcp_streams(path)
    conns = 0
    for (src, sport, dst, dport), data in sorted(streams.items()):
        if dport not in ports:
            continue
        conns += 1
        binding = client_half(out, data)
        back = streams.get((dst, dport, src, sport), b"")
        server_half(out, back, binding)
    print("capture.py: %d connections; candidates: %s" %
          (conns, ", ".join("%s %d" % kv for kv in sorted(out.count.items()))))


if __name__ == "__main__":
    main()
