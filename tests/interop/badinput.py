#!/usr/bin/env python3
"""Bad input against a live ringsmbd, in raw bytes.

Every case sends something malformed or out of order on its own
connection and must get what MS-SMB2 names for it: a given NTSTATUS, or a
closed connection, and never silence (each case waits a few seconds at
most). Meanwhile 500 idle connections are held open, and well-behaved
clients (this library on its own connection, and smbclient moving a few
MiB) keep working and must see none of it. At the end the server must
still be running and serve a fresh connection.

    badinput.py --port PORT --pid SERVER_PID --work DIR

Prints one line per case ("ok" or "FAIL" with what came back); exits 1 on
any failure.
"""

import argparse
import concurrent.futures
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smb2raw as s  # noqa: E402

HOST = "127.0.0.1"
CASE_TIMEOUT = 5.0
INVALID = s.STATUS_INVALID_PARAMETER

ARGS = None
SHARE = None
FAILURES = []
RESULTS = []


# --- outcomes --------------------------------------------------------------


def describe(outcome):
    kind, msgs = outcome
    if kind == "reply":
        return "reply " + ", ".join("%s (cmd 0x%04x mid %d, %d-byte body, StructureSize %d)" % (
            s.status_name(m.status), m.hdr.command, m.hdr.message_id, len(m.body),
            struct.unpack_from("<H", m.body, 0)[0] if len(m.body) >= 2 else -1) for m in msgs)
    if kind == "garbage":
        return "unparsable frame %s" % msgs[:80].hex()
    if kind == "timeout":
        return "nothing within %.0f s (hang)" % CASE_TIMEOUT
    return "connection closed"


class CaseFailed(Exception):
    pass


def expect(conn, statuses=(), closed_ok=True, still_usable=True, timeout=CASE_TIMEOUT):
    """The next thing the server does must be a reply whose (first) status
    is in `statuses`, or (when closed_ok) closing the connection. After a
    status reply the connection must still work (an ECHO succeeds) unless
    still_usable is False. Returns a description of what happened."""
    out = conn.recv_outcome(timeout)
    kind, msgs = out
    if kind == "closed" and closed_ok:
        return "closed"
    if kind == "reply" and msgs[0].status in statuses:
        desc = s.status_name(msgs[0].status)
        if still_usable and conn.session_id:
            try:
                r = conn.echo()
            except s.SmbError as e:
                raise CaseFailed("%s, then ECHO failed: %s" % (desc, e))
            if r.status != s.STATUS_SUCCESS:
                raise CaseFailed("%s, then ECHO got %s" % (desc, s.status_name(r.status)))
        return desc
    want = " or ".join([s.status_name(x) for x in statuses] + (["close"] if closed_ok else []))
    raise CaseFailed("want %s, got %s" % (want, describe(out)))


def expect_closed(conn, timeout=CASE_TIMEOUT, no_reply=False):
    """The server must close the connection. A response before the close
    is tolerated only if it is an error, and not at all with no_reply."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        out = conn.recv_outcome(max(0.1, deadline - time.monotonic()))
        kind, msgs = out
        if kind == "closed":
            return "closed" + (" after %s" % ", ".join(seen) if seen else "")
        if (kind == "reply" and not no_reply
                and all(m.status != s.STATUS_SUCCESS for m in msgs)):
            seen += [s.status_name(m.status) for m in msgs]
            continue
        raise CaseFailed("want disconnect%s, got %s"
                         % (" without a reply" if no_reply else "", describe(out)))


# --- connection helpers ------------------------------------------------------


def tcp():
    return s.Connection(HOST, ARGS.port, timeout=CASE_TIMEOUT)


def negotiated(dialects=s.ALL_DIALECTS):
    c = tcp()
    r = c.negotiate(dialects)
    if r.status != s.STATUS_SUCCESS:
        raise CaseFailed("setup: NEGOTIATE %s" % s.status_name(r.status))
    return c


def session(dialects=s.ALL_DIALECTS):
    c = negotiated(dialects)
    r = c.session_setup_anonymous()
    if r.status != s.STATUS_SUCCESS:
        raise CaseFailed("setup: SESSION_SETUP %s" % s.status_name(r.status))
    return c


def tree(dialects=s.ALL_DIALECTS):
    c = session(dialects)
    r = c.tree_connect(SHARE)
    if r.status != s.STATUS_SUCCESS:
        raise CaseFailed("setup: TREE_CONNECT %s" % s.status_name(r.status))
    return c


def with_file(dialects=s.ALL_DIALECTS, name=None):
    c = tree(dialects)
    name = name or "bad-%d-%d.bin" % (os.getpid(), time.monotonic_ns())
    # Delete-on-close: the file goes away when the case drops the connection.
    fid = c.open(name, desired_access=s.GENERIC_READ | s.GENERIC_WRITE | s.DELETE,
                 disposition=s.FILE_OVERWRITE_IF, options=s.FILE_DELETE_ON_CLOSE)
    st, _ = c.write(fid, 0, b"0123456789abcdef" * 16)
    if st != s.STATUS_SUCCESS:
        raise CaseFailed("setup: WRITE %s" % s.status_name(st))
    return c, fid


def poke(buf, off, fmt, value):
    b = bytearray(buf)
    struct.pack_into(fmt, b, off, value)
    return bytes(b)


H = s.HEADER_SIZE  # body field offsets below are H + (offset in the body)


# --- cases -------------------------------------------------------------------


CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


# Truncated frames.

@case("truncated: NetBIOS length 200, 100 bytes sent, then EOF")
def _():
    c = tcp()
    msg = c.build(s.NEGOTIATE, s.negotiate_body(list(s.ALL_DIALECTS)))
    c.send_raw(bytes([0, 0, 0, 200]) + msg[:100])
    c.sock.shutdown(socket.SHUT_WR)
    return expect_closed(c)


@case("truncated: after login, NetBIOS length 1000, 80 bytes sent, then EOF")
def _():
    c = tree()
    msg = c.build(s.ECHO, s.echo_body())
    c.send_raw(bytes([0, 0, 0x03, 0xE8]) + msg + b"\0" * 12)
    c.sock.shutdown(socket.SHUT_WR)
    return expect_closed(c)


@case("truncated: 32-byte frame (shorter than the SMB2 header) before NEGOTIATE")
def _():
    c = tcp()
    c.send_frame(s.Header(s.NEGOTIATE).pack()[:32])
    return expect_closed(c)


@case("truncated: 32-byte frame (shorter than the SMB2 header) after login")
def _():
    c = tree()
    msg = c.build(s.ECHO, s.echo_body())
    c.send_frame(msg[:32])
    return expect_closed(c)


@case("truncated: header cut at 40 bytes, frame length 40 (3.3.5.2.6)")
def _():
    c = session()
    msg = c.build(s.ECHO, s.echo_body())
    c.send_frame(msg[:40])
    return expect_closed(c)


@case("truncated: header cut at 30 of 68 announced bytes, then EOF")
def _():
    c = session()
    msg = c.build(s.ECHO, s.echo_body())
    c.send_raw(bytes([0, 0, 0, len(msg)]) + msg[:30])
    c.sock.shutdown(socket.SHUT_WR)
    return expect_closed(c)


@case("truncated: exactly a 64-byte header, no body (ECHO)")
def _():
    c = session()
    msg = c.build(s.ECHO, s.echo_body())
    c.send_frame(msg[:64])
    return expect(c, (INVALID,))


@case("truncated: NetBIOS length 0 and 3")
def _():
    out = []
    for n in (0, 3):
        c = session()
        c.send_raw(bytes([0, 0, 0, n]) + b"\0" * n)
        # A zero-length frame carries no message; a server may ignore it
        # (then it is still usable) or disconnect.
        kind, _ = c.recv_outcome(1.0)
        if kind == "closed":
            out.append("%d: closed" % n)
            continue
        if kind != "timeout":
            raise CaseFailed("length %d: unexpected %s" % (n, kind))
        try:
            r = c.echo()
            out.append("%d: ignored, ECHO %s" % (n, s.status_name(r.status)))
            if r.status != s.STATUS_SUCCESS:
                raise CaseFailed("length %d: ECHO after it: %s" % (n, s.status_name(r.status)))
        except s.ConnectionClosed:
            out.append("%d: closed" % n)
    return "; ".join(out)


# StructureSize.

@case("StructureSize: header 0 instead of 64 (ECHO)")
def _():
    c = session()
    c.send_message(poke(c.build(s.ECHO, s.echo_body()), 4, "<H", 0))
    return expect(c, (INVALID,))


@case("StructureSize: header 65 instead of 64 (CREATE)")
def _():
    c = tree()
    c.send_message(poke(c.build(s.CREATE, s.create_body("x.txt")), 4, "<H", 65))
    return expect(c, (INVALID,))


@case("StructureSize: CREATE body 56 instead of 57")
def _():
    c = tree()
    c.send_message(poke(c.build(s.CREATE, s.create_body("x.txt")), H, "<H", 56))
    return expect(c, (INVALID,))


@case("StructureSize: ECHO body 5 instead of 4")
def _():
    c = session()
    c.send_message(poke(c.build(s.ECHO, s.echo_body()), H, "<H", 5))
    return expect(c, (INVALID,))


@case("StructureSize: WRITE body 48 instead of 49")
def _():
    c, fid = with_file()
    c.send_message(poke(c.build(s.WRITE, s.write_body(fid, 0, b"abc"), payload=3), H, "<H", 48))
    return expect(c, (INVALID,))


@case("StructureSize: READ body 0xFFFF")
def _():
    c, fid = with_file()
    c.send_message(poke(c.build(s.READ, s.read_body(fid, 0, 16), payload=16), H, "<H", 0xFFFF))
    return expect(c, (INVALID,))


@case("StructureSize: NEGOTIATE body 35 instead of 36 (first request)")
def _():
    c = tcp()
    c.send_message(poke(c.build(s.NEGOTIATE, s.negotiate_body(list(s.ALL_DIALECTS))),
                        H, "<H", 35))
    return expect(c, (INVALID,), still_usable=False)


@case("StructureSize: body shorter than its fixed part (SESSION_SETUP, 10 bytes)")
def _():
    c = negotiated()
    msg = c.build(s.SESSION_SETUP, s.session_setup_body(s.spnego_init(s.ntlm_negotiate())))
    c.send_message(msg[:H + 10])
    return expect(c, (INVALID,), still_usable=False)


# Offsets and lengths past the end.

@case("past end: CREATE NameLength 0x1000 beyond the message")
def _():
    c = tree()
    c.send_message(poke(c.build(s.CREATE, s.create_body("x.txt")), H + 46, "<H", 0x1000))
    return expect(c, (INVALID,))


@case("past end: CREATE NameOffset 0xFFF0")
def _():
    c = tree()
    c.send_message(poke(c.build(s.CREATE, s.create_body("x.txt")), H + 44, "<H", 0xFFF0))
    return expect(c, (INVALID,))


@case("past end: CREATE NameOffset inside the header (8)")
def _():
    c = tree()
    c.send_message(poke(c.build(s.CREATE, s.create_body("x.txt")), H + 44, "<H", 8))
    return expect(c, (INVALID,))


@case("past end: CREATE CreateContextsOffset/Length beyond the message")
def _():
    c = tree()
    msg = c.build(s.CREATE, s.create_body("x.txt"))
    msg = poke(msg, H + 48, "<I", 0x200)
    msg = poke(msg, H + 52, "<I", 0x7FFFFFF0)
    c.send_message(msg)
    return expect(c, (INVALID,))


@case("past end: CREATE context whose Next points past the chain")
def _():
    c = tree()
    ctx = struct.pack("<IHHHHI", 0x400, 16, 4, 0, 0, 0) + b"MxAc" + b"\0" * 4
    c.send_message(c.build(s.CREATE, s.create_body("x.txt", contexts=ctx)))
    return expect(c, (INVALID,))


@case("past end: WRITE Length 0x10000 with 10 bytes of data")
def _():
    c, fid = with_file()
    c.send_message(poke(c.build(s.WRITE, s.write_body(fid, 0, b"A" * 10), payload=10),
                        H + 4, "<I", 0x10000))
    return expect(c, (INVALID,))


@case("past end: WRITE DataOffset 0xFFF0")
def _():
    c, fid = with_file()
    c.send_message(poke(c.build(s.WRITE, s.write_body(fid, 0, b"A" * 10), payload=10),
                        H + 2, "<H", 0xFFF0))
    return expect(c, (INVALID,))


@case("past end: WRITE DataOffset+Length wraps 32 bits (0xFFFFFFFF)")
def _():
    c, fid = with_file()
    c.send_message(poke(c.build(s.WRITE, s.write_body(fid, 0, b"A" * 10), payload=10),
                        H + 4, "<I", 0xFFFFFFFF))
    return expect(c, (INVALID,))


@case("past end: READ ReadChannelInfoOffset/Length beyond the message")
def _():
    c, fid = with_file()
    msg = c.build(s.READ, s.read_body(fid, 0, 16), payload=16)
    msg = poke(msg, H + 44, "<H", 0x70)
    msg = poke(msg, H + 46, "<H", 0x400)
    c.send_message(msg)
    return expect(c, (INVALID,))


@case("past end: QUERY_INFO InputBufferLength beyond the message")
def _():
    c, fid = with_file()
    msg = c.build(s.QUERY_INFO, s.query_info_body(fid, s.INFO_FILE, s.FILE_ALL_INFORMATION,
                                                  4096, input_buffer=b"\0" * 8), payload=4096)
    c.send_message(poke(msg, H + 12, "<I", 0x100000))
    return expect(c, (INVALID,))


@case("past end: QUERY_INFO InputBufferOffset 0xFFFF")
def _():
    c, fid = with_file()
    msg = c.build(s.QUERY_INFO, s.query_info_body(fid, s.INFO_FILE, s.FILE_ALL_INFORMATION,
                                                  4096, input_buffer=b"\0" * 8), payload=4096)
    c.send_message(poke(msg, H + 8, "<H", 0xFFFF))
    return expect(c, (INVALID,))


@case("past end: SESSION_SETUP SecurityBufferLength 0x2000 beyond the message")
def _():
    c = negotiated()
    msg = c.build(s.SESSION_SETUP, s.session_setup_body(s.spnego_init(s.ntlm_negotiate())))
    c.send_message(poke(msg, H + 14, "<H", 0x2000))
    return expect(c, (INVALID,), still_usable=False)


@case("past end: SESSION_SETUP SecurityBufferOffset 0xFFF0")
def _():
    c = negotiated()
    msg = c.build(s.SESSION_SETUP, s.session_setup_body(s.spnego_init(s.ntlm_negotiate())))
    c.send_message(poke(msg, H + 12, "<H", 0xFFF0))
    return expect(c, (INVALID,), still_usable=False)


@case("past end: SESSION_SETUP NTLMSSP AUTHENTICATE fields past the token")
def _():
    c = negotiated()
    r = c.session_setup(s.spnego_init(s.ntlm_negotiate()))
    if r.status != s.STATUS_MORE_PROCESSING_REQUIRED:
        raise CaseFailed("setup: leg 1 %s" % s.status_name(r.status))
    auth = bytearray(s.ntlm_authenticate_anonymous())
    struct.pack_into("<HHI", auth, 36, 0x400, 0x400, 0x7FFFFFF0)  # UserName
    c.send_message(c.build(s.SESSION_SETUP, s.session_setup_body(s.spnego_resp(bytes(auth)))))
    return expect(c, (INVALID, s.STATUS_LOGON_FAILURE), still_usable=False)


@case("past end: SESSION_SETUP SPNEGO DER length larger than the buffer")
def _():
    c = negotiated()
    tok = bytearray(s.spnego_init(s.ntlm_negotiate()))
    tok[1:2] = bytes([0x84, 0x7F, 0xFF, 0xFF, 0xF0])  # huge long-form length
    c.send_message(c.build(s.SESSION_SETUP, s.session_setup_body(bytes(tok))))
    return expect(c, (INVALID, s.STATUS_LOGON_FAILURE), still_usable=False)


@case("past end: LOCK LockCount 0xFFFF with one element")
def _():
    c, fid = with_file()
    c.send_message(c.build(s.LOCK, s.lock_body(fid, [(0, 1, s.LOCKFLAG_EXCLUSIVE
                                                       | s.LOCKFLAG_FAIL_IMMEDIATELY)],
                                               lock_count=0xFFFF)))
    return expect(c, (INVALID,))


@case("past end: LOCK LockCount 0 (3.3.5.14)")
def _():
    c, fid = with_file()
    c.send_message(c.build(s.LOCK, s.lock_body(fid, [(0, 1, s.LOCKFLAG_EXCLUSIVE)],
                                               lock_count=0)))
    return expect(c, (INVALID,))


@case("past end: TREE_CONNECT PathLength beyond the message")
def _():
    c = session()
    msg = c.build(s.TREE_CONNECT, s.tree_connect_body(SHARE), tree_id=0)
    c.send_message(poke(msg, H + 6, "<H", 0x2000))
    return expect(c, (INVALID,))


@case("past end: QUERY_DIRECTORY FileNameLength beyond the message")
def _():
    c = tree()
    d = c.open("", options=s.FILE_DIRECTORY_FILE)
    msg = c.build(s.QUERY_DIRECTORY, s.query_directory_body(d, "*"), payload=65536)
    c.send_message(poke(msg, H + 26, "<H", 0x4000))
    return expect(c, (INVALID,))


@case("past end: SET_INFO BufferLength beyond the message")
def _():
    c, fid = with_file()
    msg = c.build(s.SET_INFO, s.set_info_body(fid, s.INFO_FILE, s.FILE_RENAME_INFORMATION,
                                              s.rename_info("y.bin")), payload=30)
    c.send_message(poke(msg, H + 4, "<I", 0x100000))
    return expect(c, (INVALID,))


@case("past end: rename FileNameLength beyond the SET_INFO buffer")
def _():
    c, fid = with_file()
    info = bytearray(s.rename_info("y.bin"))
    struct.pack_into("<I", info, 16, 0x1000)
    r = c.set_info(fid, s.INFO_FILE, s.FILE_RENAME_INFORMATION, bytes(info))
    if r.status != INVALID:
        raise CaseFailed("want STATUS_INVALID_PARAMETER, got %s" % s.status_name(r.status))
    return s.status_name(r.status)


@case("past end: IOCTL InputCount beyond the message")
def _():
    c, fid = with_file()
    msg = c.build(s.IOCTL, s.ioctl_body(fid, 0x00090000 + 0x28, b"\0" * 8))  # any FSCTL
    c.send_message(poke(msg, H + 28, "<I", 0x10000))
    return expect(c, (INVALID,))


@case("past end: NEGOTIATE DialectCount 0x8000 with five dialects")
def _():
    c = tcp()
    msg = c.build(s.NEGOTIATE, s.negotiate_body([0x202, 0x210, 0x300, 0x302]))
    c.send_message(poke(msg, H + 2, "<H", 0x8000))
    return expect(c, (INVALID,), still_usable=False)


@case("past end: NEGOTIATE DialectCount 0 (3.3.5.3.1)")
def _():
    c = tcp()
    msg = c.build(s.NEGOTIATE, s.negotiate_body([0x202, 0x210]))
    c.send_message(poke(msg, H + 2, "<H", 0))
    return expect(c, (INVALID,), still_usable=False)


@case("past end: NEGOTIATE 3.1.1 context DataLength beyond the message")
def _():
    c = tcp()
    body = bytearray(s.negotiate_body(list(s.ALL_DIALECTS)))
    (ctx_off,) = struct.unpack_from("<I", body, 28)
    struct.pack_into("<H", body, ctx_off - H + 2, 0x4000)
    c.send_message(c.build(s.NEGOTIATE, bytes(body)))
    return expect(c, (INVALID,), still_usable=False)


@case("past end: NEGOTIATE 3.1.1 NegotiateContextOffset 0xFFFFFFF0")
def _():
    c = tcp()
    body = bytearray(s.negotiate_body(list(s.ALL_DIALECTS)))
    struct.pack_into("<I", body, 28, 0xFFFFFFF0)
    c.send_message(c.build(s.NEGOTIATE, bytes(body)))
    return expect(c, (INVALID,), still_usable=False)


# Compound chains.

def compound(c, msgs_and_next):
    """Joins messages, patching NextCommand of each to the given value."""
    frame = b""
    for msg, nxt in msgs_and_next:
        frame += poke(msg, 20, "<I", nxt)
    return frame


@case("compound: two ECHOs, NextCommand 72 (well-formed, both answered)")
def _():
    c = session()
    e1 = c.build(s.ECHO, s.echo_body())
    e2 = c.build(s.ECHO, s.echo_body())
    c.send_frame(compound(c, [(e1 + b"\0" * 4, 72), (e2, 0)]))
    kind, msgs = c.recv_outcome(CASE_TIMEOUT)
    if kind != "reply" or len(msgs) != 2 or any(m.status != s.STATUS_SUCCESS for m in msgs):
        raise CaseFailed("want two STATUS_SUCCESS, got %s" % describe((kind, msgs)))
    return "2 x STATUS_SUCCESS"


@case("compound: NextCommand 68, not 8-byte aligned")
def _():
    c = session()
    e1 = c.build(s.ECHO, s.echo_body())
    e2 = c.build(s.ECHO, s.echo_body())
    c.send_frame(compound(c, [(e1, 68), (e2, 0)]))
    return expect_closed(c)


@case("compound: NextCommand 0x10000, past the frame")
def _():
    c = session()
    e1 = c.build(s.ECHO, s.echo_body())
    e2 = c.build(s.ECHO, s.echo_body())
    c.send_frame(compound(c, [(e1 + b"\0" * 4, 0x10000), (e2, 0)]))
    return expect_closed(c)


@case("compound: NextCommand equal to the frame length (empty next message)")
def _():
    c = session()
    e1 = c.build(s.ECHO, s.echo_body())
    c.send_frame(compound(c, [(e1 + b"\0" * 4, 72)]))
    return expect_closed(c)


@case("compound: NextCommand 8, 32 and 56 (less than the header)")
def _():
    out = []
    for nxt in (8, 32, 56):
        c = session()
        e1 = c.build(s.ECHO, s.echo_body())
        e2 = c.build(s.ECHO, s.echo_body())
        c.send_frame(compound(c, [(e1 + b"\0" * 4, nxt), (e2, 0)]))
        out.append("%d: %s" % (nxt, expect_closed(c)))
    return "; ".join(out)


@case("compound: NextCommand 0xFFFFFFF8 and 0x80000000 (wrap / huge)")
def _():
    out = []
    for nxt in (0xFFFFFFF8, 0x80000000):
        c = session()
        e1 = c.build(s.ECHO, s.echo_body())
        e2 = c.build(s.ECHO, s.echo_body())
        c.send_frame(compound(c, [(e1 + b"\0" * 4, nxt), (e2, 0)]))
        out.append("0x%x: %s" % (nxt, expect_closed(c)))
    return "; ".join(out)


@case("compound: 3 messages whose offsets would revisit the first (72, then -72 as u32)")
def _():
    c = session()
    e = [c.build(s.ECHO, s.echo_body()) + b"\0" * 4 for _ in range(3)]
    c.send_frame(compound(c, [(e[0], 72), (e[1], (-72) & 0xFFFFFFFF), (e[2], 0)]))
    return expect_closed(c)


@case("compound: second message with protocol id 0xFF 'SMB'")
def _():
    c = session()
    e1 = c.build(s.ECHO, s.echo_body())
    e2 = c.build(s.ECHO, s.echo_body())
    c.send_frame(compound(c, [(e1 + b"\0" * 4, 72), (b"\xffSMB" + e2[4:], 0)]))
    return expect_closed(c)


@case("compound: second message is 40 bytes (cut header)")
def _():
    c = session()
    e1 = c.build(s.ECHO, s.echo_body())
    e2 = c.build(s.ECHO, s.echo_body())
    c.send_frame(compound(c, [(e1 + b"\0" * 4, 72), (e2[:40], 0)]))
    return expect_closed(c)


# Oversized length prefixes.

def huge_prefix(c, label):
    t0 = time.monotonic()
    c.send_raw(b"\x00\xff\xff\xff")
    r = expect_closed(c, timeout=3.0)
    dt = time.monotonic() - t0
    if dt > 2.0:
        raise CaseFailed("%s: closed only after %.1f s" % (label, dt))
    return "%s in %.0f ms" % (r, dt * 1000)


@case("16 MiB length prefix before NEGOTIATE")
def _():
    return huge_prefix(tcp(), "before NEGOTIATE")


@case("16 MiB length prefix after NEGOTIATE")
def _():
    return huge_prefix(negotiated(), "after NEGOTIATE")


@case("16 MiB length prefix after SESSION_SETUP")
def _():
    return huge_prefix(tree(), "after SESSION_SETUP")


@case("16 MiB length prefixes on 32 connections at once (memory stays bounded)")
def _():
    rss0 = rss_kib()
    conns = [tcp() for _ in range(32)]
    for c in conns:
        c.send_raw(b"\x00\xff\xff\xff" + b"\xfeSMB" + b"\0" * 60)
    out = [expect_closed(c, timeout=3.0) for c in conns]
    grow = (rss_kib() - rss0) if rss0 else 0
    if rss0 and grow > 256 * 1024:
        raise CaseFailed("server RSS grew by %d MiB" % (grow // 1024))
    return "%d closed; server RSS %+d KiB" % (out.count("closed"), grow)


# SMB1.

@case("SMB1: 0xFF 'SMB' header, command 0x25 (TRANSACTION), random bytes")
def _():
    c = tcp()
    c.send_frame(b"\xffSMB\x25" + os.urandom(120))
    return expect_closed(c)


@case("SMB1: 0xFF 'SMB' followed by only 3 bytes")
def _():
    c = tcp()
    c.send_frame(b"\xffSMB\x72\0\0")
    return expect_closed(c)


@case("SMB1: NEGOTIATE without SMB2 dialects")
def _():
    c = tcp()
    c.send_frame(s.smb1_negotiate(["PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"]))
    return expect_closed(c)


@case("SMB1: NEGOTIATE with ByteCount past the end")
def _():
    c = tcp()
    m = bytearray(s.smb1_negotiate(["NT LM 0.12", "SMB 2.002", "SMB 2.???"]))
    struct.pack_into("<H", m, 33, 0xFFFF)
    c.send_frame(bytes(m))
    return expect_closed(c)


@case("SMB1: NEGOTIATE offering 'SMB 2.???' -> SMB2 response, dialect 0x02FF")
def _():
    c = tcp()
    c.send_frame(s.smb1_negotiate(["NT LM 0.12", "SMB 2.002", "SMB 2.???"]))
    kind, msgs = c.recv_outcome(CASE_TIMEOUT)
    if kind != "reply" or msgs[0].hdr.command != s.NEGOTIATE or msgs[0].status != 0:
        raise CaseFailed("want an SMB2 NEGOTIATE response, got %s" % describe((kind, msgs)))
    r = msgs[0]
    c.credits = r.hdr.credits  # what this response granted, nothing else
    dialect = struct.unpack_from("<H", r.body, 4)[0]
    if dialect != s.SMB2_WILDCARD or r.hdr.message_id != 0:
        raise CaseFailed("DialectRevision 0x%04x MessageId %d, want 0x02FF and 0"
                         % (dialect, r.hdr.message_id))
    # The client goes on with an SMB2 NEGOTIATE, MessageId 1 (3.3.5.3.1).
    c.next_mid = 1
    r2 = c.negotiate()
    if r2.status != s.STATUS_SUCCESS:
        raise CaseFailed("follow-up SMB2 NEGOTIATE: %s" % s.status_name(r2.status))
    r3 = c.session_setup_anonymous()
    if r3.status != s.STATUS_SUCCESS or c.echo().status != s.STATUS_SUCCESS:
        raise CaseFailed("login after the upgrade: %s" % s.status_name(r3.status))
    return "0x02FF, then SMB2 NEGOTIATE -> 0x%04x, login ok" % c.dialect


@case("SMB1: NEGOTIATE offering only 'SMB 2.002' -> SMB2 response, dialect 0x0202")
def _():
    c = tcp()
    c.send_frame(s.smb1_negotiate(["NT LM 0.12", "SMB 2.002"]))
    kind, msgs = c.recv_outcome(CASE_TIMEOUT)
    if kind != "reply" or msgs[0].hdr.command != s.NEGOTIATE or msgs[0].status != 0:
        raise CaseFailed("want an SMB2 NEGOTIATE response, got %s" % describe((kind, msgs)))
    dialect = struct.unpack_from("<H", msgs[0].body, 4)[0]
    if dialect != s.SMB2_02:
        raise CaseFailed("DialectRevision 0x%04x, want 0x0202" % dialect)
    # The connection is now at 2.0.2: SESSION_SETUP follows with MessageId 1.
    c.credits = msgs[0].hdr.credits
    c.dialect = s.SMB2_02
    c.next_mid = 1
    r = c.session_setup_anonymous()
    if r.status != s.STATUS_SUCCESS or c.echo().status != s.STATUS_SUCCESS:
        raise CaseFailed("login after it: %s" % s.status_name(r.status))
    return "0x0202, login ok"


@case("SMB1: NEGOTIATE after an SMB2 NEGOTIATE")
def _():
    c = negotiated()
    c.send_frame(s.smb1_negotiate(["NT LM 0.12", "SMB 2.002", "SMB 2.???"]))
    return expect_closed(c)


# Commands out of place.

@case("command: unknown code 0x0013 after login")
def _():
    c = tree()
    c.send_message(c.build(0x0013, s.echo_body()))
    return expect_closed(c)


@case("command: unknown code 0x7777 after login")
def _():
    c = tree()
    c.send_message(c.build(0x7777, s.echo_body()))
    return expect_closed(c)


@case("command: unknown code 0xFFFF as the first request")
def _():
    c = tcp()
    c.send_message(c.build(0xFFFF, s.echo_body()))
    return expect_closed(c)


@case("command: ECHO before NEGOTIATE")
def _():
    c = tcp()
    c.send_message(c.build(s.ECHO, s.echo_body()))
    return expect_closed(c)


@case("command: SESSION_SETUP before NEGOTIATE")
def _():
    c = tcp()
    c.send_message(c.build(s.SESSION_SETUP,
                           s.session_setup_body(s.spnego_init(s.ntlm_negotiate()))))
    return expect_closed(c)


@case("command: CREATE before NEGOTIATE")
def _():
    c = tcp()
    c.send_message(c.build(s.CREATE, s.create_body("x.txt")))
    return expect_closed(c)


@case("command: second NEGOTIATE after NEGOTIATE (3.3.5.4: disconnect, no reply)")
def _():
    c = negotiated()
    c.send_message(c.build(s.NEGOTIATE, s.negotiate_body(list(s.ALL_DIALECTS))))
    return expect_closed(c, no_reply=True)


@case("command: second NEGOTIATE after login at 2.0.2 (3.3.5.4: disconnect, no reply)")
def _():
    c = tree([s.SMB2_02])
    c.send_message(c.build(s.NEGOTIATE, s.negotiate_body([s.SMB2_02])))
    return expect_closed(c, no_reply=True)


@case("command: first request of a frame flagged RELATED (3.3.5.2.7.2)")
def _():
    c = tree()
    c.send_message(c.build(s.ECHO, s.echo_body(), flags=s.FLAGS_RELATED_OPERATIONS))
    return expect(c, (INVALID,))


# MessageId and credits.

@case("MessageId: reuse of an id already answered")
def _():
    c = tree()
    c.send_message(c.build(s.ECHO, s.echo_body(), message_id=2, account=False))
    return expect_closed(c)


@case("MessageId: two requests with the same id in one compound")
def _():
    c = tree()
    e1 = c.build(s.ECHO, s.echo_body())
    mid = struct.unpack_from("<Q", e1, 24)[0]
    e2 = c.build(s.ECHO, s.echo_body(), message_id=mid)
    c.send_frame(compound(c, [(e1 + b"\0" * 4, 72), (e2, 0)]))
    return expect_closed(c)


@case("MessageId: far outside the credit window (+100000)")
def _():
    c = tree()
    c.send_message(c.build(s.ECHO, s.echo_body(), message_id=c.next_mid + 100000,
                           account=False))
    return expect_closed(c)


@case("MessageId: 0xFFFFFFFFFFFFFFFF (reserved for breaks)")
def _():
    c = tree()
    c.send_message(c.build(s.ECHO, s.echo_body(), message_id=0xFFFFFFFFFFFFFFFF,
                           account=False))
    return expect_closed(c)


@case("MessageId: the first id past the granted credits")
def _():
    c = tree()
    c.send_message(c.build(s.ECHO, s.echo_body(), message_id=c.next_mid + c.credits,
                           account=False))
    return expect_closed(c)


@case("credits: CreditCharge 65535 beyond the granted window")
def _():
    c = tree()
    c.send_message(c.build(s.ECHO, s.echo_body(), credit_charge=65535, account=False))
    return expect_closed(c)


@case("credits: 1 MiB READ with CreditCharge 1 (3.3.5.2.5)")
def _():
    c, fid = with_file()
    c.send_message(c.build(s.READ, s.read_body(fid, 0, 1 << 20), credit_charge=1))
    return expect(c, (INVALID,))


@case("credits: 1 MiB WRITE with CreditCharge 0 (3.3.5.2.5)")
def _():
    c, fid = with_file()
    c.send_message(c.build(s.WRITE, s.write_body(fid, 0, b"W" * (1 << 20)), credit_charge=0))
    return expect(c, (INVALID,))


# Limits and identifiers (spec'd statuses; the connection stays usable).

@case("limits: READ Length beyond MaxReadSize (3.3.5.12)")
def _():
    c, fid = with_file()
    n = c.max_read + 65536
    c.send_message(c.build(s.READ, s.read_body(fid, 0, n), payload=n))
    return expect(c, (INVALID,))


@case("limits: QUERY_INFO OutputBufferLength beyond MaxTransactSize (3.3.5.20)")
def _():
    c, fid = with_file()
    n = c.max_transact + 65536
    c.send_message(c.build(s.QUERY_INFO, s.query_info_body(fid, s.INFO_FILE,
                                                           s.FILE_ALL_INFORMATION, n), payload=n))
    return expect(c, (INVALID,))


@case("limits: QUERY_DIRECTORY OutputBufferLength beyond MaxTransactSize (3.3.5.18)")
def _():
    c = tree()
    d = c.open("", options=s.FILE_DIRECTORY_FILE)
    n = c.max_transact + 65536
    c.send_message(c.build(s.QUERY_DIRECTORY, s.query_directory_body(d, "*", output_length=n),
                           payload=n))
    return expect(c, (INVALID,))


@case("limits: IOCTL MaxOutputResponse beyond MaxTransactSize (3.3.5.15)")
def _():
    c, fid = with_file()
    n = c.max_transact + 65536
    c.send_message(c.build(s.IOCTL, s.ioctl_body(fid, 0x00090078, max_output=n), payload=n))
    return expect(c, (INVALID,))


@case("limits: an 8 MiB WRITE (MaxWriteSize, one frame) still succeeds")
def _():
    c, fid = with_file()
    data = os.urandom(c.max_write)
    st, body = c.write(fid, 0, data)
    if st != s.STATUS_SUCCESS or struct.unpack_from("<I", body, 4)[0] != len(data):
        raise CaseFailed("WRITE of %d bytes: %s" % (len(data), s.status_name(st)))
    if c.read_all(fid, len(data), chunk=c.max_read) != data:
        raise CaseFailed("data read back differs")
    return "wrote and read back %d bytes" % len(data)


@case("ids: READ with an unknown FileId (3.3.5.12: STATUS_FILE_CLOSED)")
def _():
    c, _fid = with_file()
    st, _ = c.read(os.urandom(16), 0, 16)
    if st != s.STATUS_FILE_CLOSED:
        raise CaseFailed("want STATUS_FILE_CLOSED, got %s" % s.status_name(st))
    return s.status_name(st)


@case("ids: CREATE with an unknown SessionId (3.3.5.2.9)")
def _():
    c = tree()
    st, _ = c.request(s.CREATE, s.create_body("x.txt"), session_id=c.session_id ^ 0x5A5A5A5A)
    if st != s.STATUS_USER_SESSION_DELETED:
        raise CaseFailed("want STATUS_USER_SESSION_DELETED, got %s" % s.status_name(st))
    return s.status_name(st)


@case("ids: CREATE with an unknown TreeId (3.3.5.2.11)")
def _():
    c = tree()
    st, _ = c.request(s.CREATE, s.create_body("x.txt"), tree_id=c.tree_id ^ 0x5A5A)
    if st != s.STATUS_NETWORK_NAME_DELETED:
        raise CaseFailed("want STATUS_NETWORK_NAME_DELETED, got %s" % s.status_name(st))
    return s.status_name(st)


# Protocol ids and transport types.

@case("protocol id 'XSMB' as the first frame")
def _():
    c = tcp()
    c.send_frame(b"XSMB" + c.build(s.NEGOTIATE, s.negotiate_body(list(s.ALL_DIALECTS)))[4:])
    return expect_closed(c)


@case("protocol id 0xFD 'SMB' (transform header, no encryption) after login")
def _():
    c = tree()
    c.send_frame(b"\xfdSMB" + os.urandom(48) + c.build(s.ECHO, s.echo_body()))
    return expect_closed(c)


@case("protocol id 0xFC 'SMB' (compression header) after login")
def _():
    c = tree()
    c.send_frame(b"\xfcSMB" + struct.pack("<IHHI", 68, 0, 0, 0) + c.build(s.ECHO, s.echo_body()))
    return expect_closed(c)


@case("protocol id zeros after login")
def _():
    c = tree()
    c.send_frame(b"\0\0\0\0" + c.build(s.ECHO, s.echo_body())[4:])
    return expect_closed(c)


@case("transport type byte 0x81 (NetBIOS session request)")
def _():
    c = tcp()
    name = b" CKFDENECFDEFFCFGEFFCCACACACACACA\0"
    c.send_raw(bytes([0x81, 0, 0, 2 * len(name)]) + name + name)
    return expect_closed(c)


@case("transport type byte 0x01 and 0xFF after login")
def _():
    out = []
    for t in (0x01, 0xFF):
        c = tree()
        msg = c.build(s.ECHO, s.echo_body())
        c.send_raw(bytes([t, 0, 0, len(msg)]) + msg)
        out.append("0x%02x: %s" % (t, expect_closed(c)))
    return "; ".join(out)


@case("transport type byte 0x85 (NetBIOS keepalive) after login")
def _():
    c = tree()
    c.send_raw(b"\x85\0\0\0")
    kind, _ = c.recv_outcome(1.0)
    if kind == "closed":
        return "closed"
    if kind != "timeout":
        raise CaseFailed("unexpected %s" % kind)
    try:
        r = c.echo()
    except s.ConnectionClosed:
        return "closed"
    if r.status != s.STATUS_SUCCESS:
        raise CaseFailed("ignored, but ECHO then got %s" % s.status_name(r.status))
    return "ignored, ECHO ok"


# --- well-behaved clients -------------------------------------------------------


class RawWorker(threading.Thread):
    """File work over this library on its own connection, in a loop."""

    def __init__(self, stop):
        super().__init__(daemon=True)
        self.stop = stop
        self.rounds = 0
        self.error = None
        self.ready = threading.Event()

    def run(self):
        try:
            c = s.Connection(HOST, ARGS.port, timeout=30)
            c.login(SHARE)
            self.ready.set()
            while not self.stop.is_set() or self.rounds < 2:
                name = "wb-raw-%d.bin" % self.rounds
                data = os.urandom(1 << 20 | self.rounds)
                fid = c.open(name, desired_access=s.GENERIC_READ | s.GENERIC_WRITE | s.DELETE,
                             disposition=s.FILE_CREATE)
                c.write_all(fid, data, chunk=256 * 1024)
                if c.read_all(fid, len(data)) != data:
                    raise s.SmbError("%s: data read back differs" % name)
                st, _ = c.rename(fid, name + ".renamed")
                if st != s.STATUS_SUCCESS:
                    raise s.SmbError("rename: %s" % s.status_name(st))
                d = c.open("", options=s.FILE_DIRECTORY_FILE)
                names = [e["name"] for e in c.list_directory(d)]
                c.close(d)
                if name + ".renamed" not in names:
                    raise s.SmbError("listing lacks %s.renamed" % name)
                if c.set_delete_on_close(fid).status != s.STATUS_SUCCESS:
                    raise s.SmbError("delete-on-close failed")
                if c.close(fid).status != s.STATUS_SUCCESS:
                    raise s.SmbError("close failed")
                if c.echo().status != s.STATUS_SUCCESS:
                    raise s.SmbError("echo failed")
                self.rounds += 1
        except Exception as e:  # noqa: BLE001 - reported as a failure
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            self.ready.set()


class SmbclientWorker(threading.Thread):
    """smbclient put/get of a few MiB, checked by sha256, in a loop."""

    def __init__(self, stop):
        super().__init__(daemon=True)
        self.stop = stop
        self.rounds = 0
        self.error = None
        self.ready = threading.Event()

    def run(self):
        try:
            src = os.path.join(ARGS.work, "wb-src.bin")
            with open(src, "wb") as f:
                f.write(os.urandom(5 * 1024 * 1024 + 123))
            want = hashlib.sha256(open(src, "rb").read()).hexdigest()
            self.ready.set()
            while not self.stop.is_set() or self.rounds < 1:
                back = os.path.join(ARGS.work, "wb-back-%d.bin" % self.rounds)
                remote = "wb-smbclient-%d.bin" % self.rounds
                p = subprocess.run(
                    ["smbclient", "//127.0.0.1/demo", "-p", str(ARGS.port), "-N", "-c",
                     "put %s %s; get %s %s; rm %s" % (src, remote, remote, back, remote)],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
                out = p.stdout.decode(errors="replace")
                if p.returncode != 0 or "NT_STATUS" in out:
                    raise RuntimeError("smbclient rc=%d: %s" % (p.returncode, out.strip()[-400:]))
                got = hashlib.sha256(open(back, "rb").read()).hexdigest()
                os.unlink(back)
                if got != want:
                    raise RuntimeError("round %d: sha256 of the file got back differs"
                                       % self.rounds)
                self.rounds += 1
        except Exception as e:  # noqa: BLE001 - reported as a failure
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            self.ready.set()


# --- driver ---------------------------------------------------------------------


def rss_kib():
    if not ARGS.pid:
        return 0
    try:
        with open("/proc/%d/status" % ARGS.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def server_alive():
    if not ARGS.pid:
        return True
    try:
        os.kill(ARGS.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead too
        with open("/proc/%d/stat" % ARGS.pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def report(ok, name, detail):
    line = "%-4s %s: %s" % ("ok" if ok else "FAIL", name, detail)
    print(line, flush=True)
    RESULTS.append((ok, name))
    if not ok:
        FAILURES.append(line)


def run_case(fn):
    t0 = time.monotonic()
    try:
        detail = fn()
        ok = True
    except CaseFailed as e:
        ok, detail = False, str(e)
    except s.Timeout as e:
        ok, detail = False, "hang: %s" % e
    except (s.SmbError, OSError) as e:
        ok, detail = False, "%s: %s" % (type(e).__name__, e)
    except Exception:  # noqa: BLE001 - a bug in the case itself
        ok, detail = False, "test error: " + traceback.format_exc().strip().replace("\n", " | ")
    dt = time.monotonic() - t0
    if dt > 3 * CASE_TIMEOUT:
        ok, detail = False, "took %.1f s: %s" % (dt, detail)
    return ok, detail


def main():
    global ARGS, SHARE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, default=0, help="server pid, to check it stays up")
    ap.add_argument("--work", default="/tmp", help="scratch directory for smbclient files")
    ap.add_argument("--share", default="demo")
    ap.add_argument("--idle", type=int, default=500, help="idle connections to hold open")
    ap.add_argument("--no-smbclient", action="store_true")
    ap.add_argument("--rounds", type=int, default=5,
                    help="run the case list this many times (the last time in parallel)")
    ap.add_argument("-k", "--filter", default="", help="only cases whose name contains this")
    ARGS = ap.parse_args()
    SHARE = "\\\\%s\\%s" % (HOST, ARGS.share)

    # 500 connections that connect and never send anything, held open
    # throughout (the server may drop them at its own handshake timeout).
    idle = []
    for _ in range(ARGS.idle):
        idle.append(socket.create_connection((HOST, ARGS.port), timeout=10))
    report(True, "idle connections", "%d opened, held for the whole run" % len(idle))

    stop = threading.Event()
    workers = [RawWorker(stop)]
    if not ARGS.no_smbclient:
        workers.append(SmbclientWorker(stop))
    for w in workers:
        w.start()

    for w in workers:
        w.ready.wait(60)
    t_start = time.monotonic()
    cases = [(n, f) for (n, f) in CASES if not ARGS.filter or ARGS.filter in n]
    failed_first = set()
    dead = False
    rnd = 0
    # Rounds 1..N-1 run the cases one after another (round 1 prints every
    # case; later rounds print only cases that passed before and fail now);
    # the last round runs them all at once, 16 at a time.
    for rnd in range(1, ARGS.rounds + 1):
        parallel = rnd == ARGS.rounds and rnd > 1
        if parallel:
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                outcomes = list(pool.map(lambda nf: run_case(nf[1]), cases))
        else:
            outcomes = []
            for name, fn in cases:
                ok, detail = run_case(fn)
                outcomes.append((ok, detail))
                if rnd == 1:
                    report(ok, name, detail)
                if not server_alive():
                    report(False, "server", "process %d died after case %r (round %d)"
                           % (ARGS.pid, name, rnd))
                    break
        for (name, _), (ok, detail) in zip(cases, outcomes):
            if rnd == 1:
                if not ok:
                    failed_first.add(name)
            elif not ok and name not in failed_first:
                report(False, "[round %d%s] %s" % (rnd, ", parallel" if parallel else "", name),
                       detail)
        if not server_alive():
            if parallel:
                report(False, "server", "process %d died during the parallel round" % ARGS.pid)
            dead = True
            break
    report(not dead, "case rounds", "%d round(s) of %d cases (the last one parallel) in %.1f s"
           % (rnd, len(cases), time.monotonic() - t_start))

    # Let the well-behaved clients finish their current round.
    stop.set()
    for w in workers:
        w.join(timeout=300)
        label = "well-behaved %s" % ("raw client" if isinstance(w, RawWorker) else "smbclient")
        if w.is_alive():
            report(False, label, "still running 300 s after the cases ended (hang)")
        elif w.error:
            report(False, label, "after %d good rounds: %s" % (w.rounds, w.error))
        else:
            report(True, label, "%d rounds, every operation succeeded" % w.rounds)

    # The idle connections: report how many the server dropped (its
    # handshake timeout may do so) and then close them.
    dropped = 0
    for sk in idle:
        sk.setblocking(False)
        try:
            if sk.recv(1) == b"":
                dropped += 1
        except BlockingIOError:
            pass
        except OSError:
            dropped += 1
        sk.close()
    report(True, "idle connections", "after %.0f s: %d still open, %d closed by the server"
           % (time.monotonic() - t_start, len(idle) - dropped, dropped))

    # The server is still up and serves a fresh connection.
    alive = server_alive()
    try:
        c = s.Connection(HOST, ARGS.port, timeout=10)
        c.login(SHARE)
        fid = c.open("final-check.txt", desired_access=s.GENERIC_READ | s.GENERIC_WRITE
                     | s.DELETE, disposition=s.FILE_OVERWRITE_IF)
        c.write_all(fid, b"still here")
        ok = c.read_all(fid, 10) == b"still here"
        c.set_delete_on_close(fid)
        c.close(fid)
        report(alive and ok, "server afterwards",
               "alive, fresh connection served" if alive and ok else
               "alive=%s, read back ok=%s" % (alive, ok))
    except Exception as e:  # noqa: BLE001
        report(False, "server afterwards", "alive=%s, fresh connection: %s: %s"
               % (alive, type(e).__name__, e))

    n_ok = sum(1 for ok, _ in RESULTS if ok)
    print("%d ok, %d failed" % (n_ok, len(FAILURES)))
    if FAILURES:
        print("failures:")
        for f in FAILURES:
            print("  " + f)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
