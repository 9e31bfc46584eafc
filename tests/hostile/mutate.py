#!/usr/bin/env python3
"""Random mutations of a recorded session's requests against a live ringsmbd.

First a realistic session is recorded: every request frame the raw client
sends (NEGOTIATE, both SESSION_SETUP legs, TREE_CONNECT, CREATE with create
contexts, WRITE, READ, FLUSH, QUERY_INFO of files, file systems, security
and EAs, QUERY_DIRECTORY, CHANGE_NOTIFY, SET_INFO of several classes,
LOCK, IOCTLs, CLOSE, TREE_DISCONNECT, LOGOFF, and related and unrelated
compound chains), each with the connection state it was sent in (fresh
TCP, negotiated, half-way through the logon, logged on, tree connected,
with a file and a directory open).

Then each mutation picks a recorded frame, brings a new connection to that
frame's state, retargets the frame to the new connection (SessionId,
TreeId, MessageId, FileIds), mutates it and sends it:

  bitflip   1-8 random bits flipped
  byte      1-4 bytes set to 0x00, 0xFF, 0x7F, 0x80 or random
  field     a header field or a length/offset/count field of the command
            set to a boundary value (0, 1, 0xFF.., 0x7FFFFFFF, 0x80000000,
            the message length and its neighbours, ...)
  word      a random aligned 2/4/8-byte word of a body, boundary value
  truncate  the frame cut short (the transport length says so)
  extend    zeros, random bytes or a copy of itself appended
  dup       a message of the chain duplicated (possibly made related)
  nextcmd   a NextCommand pointed anywhere: 0, into the header, unaligned,
            at the end, past the end, 0xFFFFFFF8, ...
  splice    a message's body swapped for another command's body
  reorder   the messages of a chain shuffled
  split     sent in several TCP segments
  multi     two or three of the above
  framing   the transport header lies: more bytes announced than sent,
            fewer, a nonzero type byte (then the client half-closes)

Before the mutations, four directed compound chains put a CHANGE_NOTIFY
(which goes asynchronous) first, last, in the middle and twice: every
request in them must be answered, as for the mutations below.

After a well-framed mutation an ECHO follows on the same connection: the
server must answer the mutated frame with an error status, a valid
success reply or an interim STATUS_PENDING, or close the connection, and
it must still answer the ECHO (or have closed). After a framing mutation
it must close the connection. Nothing may take longer than 20 s (a hang),
every reply must parse, and the server must stay alive (checked after
every mutation). After every batch a fresh client logs in and moves data.

    mutate.py --port PORT --pid PID [--count N] [--seed S] [--only I]

Environment: HOSTILE_SEED (default 20261121), HOSTILE_MUTATIONS (default
5000), HOSTILE_ONLY=I replays mutation I alone and prints its bytes.
Mutation I depends only on (seed, I), so any failure line can be replayed.
"""

import argparse
import collections
import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import (HOST, REPLY_TIMEOUT, RELATED_FID, chain, fresh_client_check,  # noqa: E402
                     s, server_alive, set_related, share_path, split_chain)

DEFAULT_SEED = 20261121
DEFAULT_COUNT = 5000
BATCH = 250
WORKERS = 6
MAX_FAILURES = 25
REPEATS = 2
SPARE_MIDS = 4
H = s.HEADER_SIZE

STATES = ("tcp", "negotiated", "leg1", "session", "tree", "file")

# Response StructureSize of each command on success (MS-SMB2 2.2.4-2.2.38).
RESPONSE_SIZE = {
    s.NEGOTIATE: 65, s.SESSION_SETUP: 9, s.LOGOFF: 4, s.TREE_CONNECT: 16,
    s.TREE_DISCONNECT: 4, s.CREATE: 89, s.CLOSE: 60, s.FLUSH: 4, s.READ: 17, s.WRITE: 17,
    s.LOCK: 4, s.IOCTL: 49, s.ECHO: 4, s.QUERY_DIRECTORY: 9, s.CHANGE_NOTIFY: 9,
    s.QUERY_INFO: 9, s.SET_INFO: 2, s.OPLOCK_BREAK: (24, 44),
}

# Length, offset and count fields of each request body (offset in the body,
# size in bytes), MS-SMB2 2.2.3-2.2.39.
FIELDS = {
    s.NEGOTIATE: [(2, 2), (4, 2), (8, 4), (36, 4), (40, 2)],
    s.SESSION_SETUP: [(2, 1), (3, 1), (4, 4), (12, 2), (14, 2), (16, 8)],
    s.TREE_CONNECT: [(2, 2), (4, 2), (6, 2)],
    s.CREATE: [(2, 1), (3, 1), (4, 4), (8, 8), (24, 4), (28, 4), (32, 4), (36, 4), (40, 4),
               (44, 2), (46, 2), (48, 4), (52, 4)],
    s.CLOSE: [(2, 2)],
    s.READ: [(2, 1), (3, 1), (4, 4), (8, 8), (32, 4), (36, 4), (40, 4), (44, 2), (46, 2)],
    s.WRITE: [(2, 2), (4, 4), (8, 8), (32, 4), (36, 4), (40, 2), (42, 2), (44, 4)],
    s.LOCK: [(2, 2), (4, 4), (24, 8), (32, 8), (40, 4)],
    s.IOCTL: [(4, 4), (24, 4), (28, 4), (32, 4), (36, 4), (40, 4), (44, 4), (48, 4)],
    s.QUERY_DIRECTORY: [(2, 1), (3, 1), (4, 4), (24, 2), (26, 2), (28, 4)],
    s.CHANGE_NOTIFY: [(2, 2), (4, 4), (24, 4)],
    s.QUERY_INFO: [(2, 1), (3, 1), (4, 4), (8, 2), (12, 4), (16, 4), (20, 4)],
    s.SET_INFO: [(2, 1), (3, 1), (4, 4), (8, 2), (12, 4), (32, 4), (48, 4)],
}
HEADER_FIELDS = [(0, 4), (4, 2), (6, 2), (8, 4), (12, 2), (14, 2), (16, 4), (20, 4), (24, 8),
                 (32, 4), (36, 4), (40, 8), (48, 8)]
# Fields of create contexts and negotiate contexts, relative to the context.
CONTEXT_FIELDS = [(0, 4), (4, 2), (6, 2), (10, 2), (12, 4)]

BOUNDARY = {
    1: [0, 1, 0x7F, 0x80, 0xFF],
    2: [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF],
    4: [0, 1, 0xFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF],
    8: [0, 1, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
        0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF],
}
FMT = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}

# FSCTL codes (MS-FSCC 2.3, MS-SMB2 2.2.31).
FSCTL_QUERY_NETWORK_INTERFACE_INFO = 0x001401FC
FSCTL_SRV_REQUEST_RESUME_KEY = 0x00140078
FSCTL_SRV_COPYCHUNK = 0x001440F2
FSCTL_QUERY_ALLOCATED_RANGES = 0x000940CF
FSCTL_SET_SPARSE = 0x000900C4
FSCTL_GET_REPARSE_POINT = 0x000900A8
FSCTL_SET_ZERO_DATA = 0x000980C8
ALL_ONES = b"\xff" * 16


class Template:
    """One recorded request frame and the ids it was built with."""

    def __init__(self, state, label, frame, session_id, tree_id, fids):
        self.state = state
        self.label = label
        self.frame = frame
        self.session_id = session_id
        self.tree_id = tree_id
        self.fids = dict(fids)


class Recorder(s.Connection):
    """A connection that keeps every frame it sends as a Template."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.state = "tcp"
        self.label = "?"
        self.fids = {}
        self.templates = []

    def send_message(self, msg):
        self.templates.append(Template(self.state, self.label, bytes(msg), self.session_id,
                                       self.tree_id, self.fids))
        super().send_message(msg)

    def request(self, command, body, payload=0, timeout=None, **kw):
        """As smb2raw's, but a late reply to an earlier request (the
        CHANGE_NOTIFY completed by CLOSE) is skipped, not an error."""
        msg = self.build(command, body, payload=payload, **kw)
        mid = struct.unpack_from("<Q", msg, 24)[0]
        self.send_message(msg)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            frame = self.recv_frame(timeout=max(0.0, deadline - time.monotonic()))
            for m in s.split_messages(frame):
                self.credits += m.hdr.credits
                if m.hdr.message_id == mid and not self._interim(m):
                    return m

    def do(self, label, fn, *a, **kw):
        self.label = label
        r = fn(*a, **kw)
        print("  recorded %-44s %s" % (label, s.status_name(r.status)), flush=True)
        return r

    def compound(self, label, parts):
        """parts: [(command, body, payload, related)]; sends them as one
        chain and waits for every response."""
        self.label = label
        msgs = []
        for cmd, body, payload, related in parts:
            m = self.build(cmd, body, payload=payload)
            msgs.append(set_related(m) if related else m)
        mids = {struct.unpack_from("<Q", m, 24)[0] for m in msgs}
        self.send_message(chain(msgs))
        got = []
        deadline = time.monotonic() + REPLY_TIMEOUT
        while mids:
            frame = self.recv_frame(timeout=max(0.0, deadline - time.monotonic()))
            for m in s.split_messages(frame):
                self.credits += m.hdr.credits
                if self._interim(m) or m.hdr.message_id not in mids:
                    continue
                mids.discard(m.hdr.message_id)
                got.append(m)
        print("  recorded %-44s %s" % (label, ", ".join(s.status_name(m.status) for m in got)),
              flush=True)
        return got


def ea_entry(name, value):
    """FILE_FULL_EA_INFORMATION (MS-FSCC 2.4.15), one entry."""
    n = name.encode("ascii")
    return struct.pack("<IBBH", 0, 0, len(n), len(value)) + n + b"\0" + value


def create_context(name, data=b""):
    """One SMB2_CREATE_CONTEXT (MS-SMB2 2.2.13.2), Next = 0."""
    hdr_len = 16
    name_off = hdr_len
    data_off = (name_off + len(name) + 7) & ~7 if data else 0
    out = struct.pack("<IHHHHI", 0, name_off, len(name), 0, data_off, len(data)) + name
    if data:
        out += b"\0" * (data_off - len(out)) + data
    return out


def contexts(items):
    out = b""
    for i, ctx in enumerate(items):
        if i < len(items) - 1:
            ctx = s.pad8(ctx)
            ctx = struct.pack("<I", len(ctx)) + ctx[4:]
        out += ctx
    return out


def notify_body(fid, filter_=0x17, length=4096, flags=0):
    return struct.pack("<HHI16sII", 32, flags, length, fid, filter_, 0)


def record(port, share):
    """The realistic session: returns its Templates."""
    c = Recorder(HOST, port, timeout=REPLY_TIMEOUT)
    guid = bytes(range(16))
    salt = bytes(range(32, 64))
    c.do("NEGOTIATE 2.0.2-3.1.1 (preauth context)", c.negotiate, s.ALL_DIALECTS,
         client_guid=guid, salt=salt)
    c.state = "negotiated"
    c.do("SESSION_SETUP NTLMSSP NEGOTIATE", c.session_setup,
         s.spnego_init(s.ntlm_negotiate()))
    c.state = "leg1"
    c.do("SESSION_SETUP NTLMSSP AUTHENTICATE (anonymous)", c.session_setup,
         s.spnego_resp(s.ntlm_authenticate_anonymous()))
    c.state = "session"
    c.do("ECHO", c.echo)
    c.do("TREE_CONNECT", c.tree_connect, share_path(share))
    c.state = "tree"
    c.do("IOCTL QUERY_NETWORK_INTERFACE_INFO", c.request, s.IOCTL,
         s.ioctl_body(ALL_ONES, FSCTL_QUERY_NETWORK_INTERFACE_INFO))
    c.do("QUERY_INFO FS full size (no open: FileId ones)", c.request, s.QUERY_INFO,
         s.query_info_body(ALL_ONES, s.INFO_FILESYSTEM, 7, 64))
    ctxs = contexts([create_context(b"MxAc"), create_context(b"QFid"),
                     create_context(b"ExtA", ea_entry("user.mut", b"value"))])
    r = c.do("CREATE file, OPEN_IF, contexts MxAc QFid ExtA", c.create, "mut-file.bin",
             desired_access=s.GENERIC_READ | s.GENERIC_WRITE | s.DELETE,
             disposition=s.FILE_OPEN_IF, contexts=ctxs)
    fid = s.body_file_id(r.body)
    r = c.do("CREATE directory, OPEN_IF", c.create, "mut-dir",
             desired_access=s.FILE_LIST_DIRECTORY | s.FILE_READ_ATTRIBUTES | s.SYNCHRONIZE,
             disposition=s.FILE_OPEN_IF, options=s.FILE_DIRECTORY_FILE)
    did = s.body_file_id(r.body)
    c.fids = {"F": fid, "D": did}
    c.do("CREATE sub\\path name, OVERWRITE_IF", c.create, "mut-dir\\inner.txt",
         desired_access=s.GENERIC_WRITE, disposition=s.FILE_OVERWRITE_IF)
    c.state = "file"
    data = bytes((i * 7 + 3) & 0xFF for i in range(70000))
    c.do("WRITE 4096 at 0", c.write, fid, 0, data[:4096])
    c.do("WRITE 70000 at 4096 (two credits)", c.write, fid, 4096, data)
    c.do("READ 4096 at 0", c.read, fid, 0, 4096)
    c.do("READ 131072 at 0 (two credits)", c.read, fid, 0, 131072)
    c.do("FLUSH", c.flush, fid)
    c.do("QUERY_INFO FileAllInformation", c.query_info, fid, s.INFO_FILE,
         s.FILE_ALL_INFORMATION)
    c.do("QUERY_INFO FileStreamInformation", c.query_info, fid, s.INFO_FILE, 22)
    c.do("QUERY_INFO FileFsAttributeInformation", c.query_info, fid, s.INFO_FILESYSTEM, 5)
    c.do("QUERY_INFO security owner+group+DACL", c.query_info, fid, s.INFO_SECURITY, 0,
         4096, additional=7)
    get_ea = struct.pack("<IB", 0, 8) + b"user.mut\0"
    c.do("QUERY_INFO FileFullEaInformation, EA list", c.query_info, fid, s.INFO_FILE, 15,
         4096, input_buffer=get_ea)
    c.do("QUERY_DIRECTORY *, FileIdBothDirectoryInformation", c.query_directory, did, "*",
         s.FILE_ID_BOTH_DIRECTORY_INFORMATION, s.SMB2_RESTART_SCANS)
    c.do("QUERY_DIRECTORY i*, FileNamesInformation", c.query_directory, did, "i*",
         s.FILE_NAMES_INFORMATION, s.SMB2_RESTART_SCANS)
    basic = struct.pack("<QQQQII", 0, 0, 132000000000000000, 0, s.FILE_ATTRIBUTE_NORMAL, 0)
    c.do("SET_INFO FileBasicInformation", c.set_info, fid, s.INFO_FILE,
         s.FILE_BASIC_INFORMATION, basic)
    c.do("SET_INFO FileEndOfFileInformation", c.set_info, fid, s.INFO_FILE, 20,
         struct.pack("<Q", 100000))
    c.do("SET_INFO FileAllocationInformation", c.set_info, fid, s.INFO_FILE, 19,
         struct.pack("<Q", 131072))
    c.do("SET_INFO FileFullEaInformation", c.set_info, fid, s.INFO_FILE, 15,
         ea_entry("user.second", b"0123456789"))
    c.do("SET_INFO FileRenameInformation (to itself)", c.rename, fid, "mut-file.bin", True)
    c.do("LOCK exclusive, fail immediately", c.lock, fid,
         [(0, 4096, s.LOCKFLAG_EXCLUSIVE | s.LOCKFLAG_FAIL_IMMEDIATELY)])
    c.do("LOCK unlock", c.lock, fid, [(0, 4096, s.LOCKFLAG_UNLOCK)])
    c.do("IOCTL QUERY_ALLOCATED_RANGES", c.request, s.IOCTL,
         s.ioctl_body(fid, FSCTL_QUERY_ALLOCATED_RANGES, struct.pack("<QQ", 0, 1 << 20), 4096))
    c.do("IOCTL SET_SPARSE", c.request, s.IOCTL, s.ioctl_body(fid, FSCTL_SET_SPARSE, b"\x01", 0))
    c.do("IOCTL SET_ZERO_DATA", c.request, s.IOCTL,
         s.ioctl_body(fid, FSCTL_SET_ZERO_DATA, struct.pack("<QQ", 8192, 12288), 0))
    c.do("IOCTL GET_REPARSE_POINT", c.request, s.IOCTL,
         s.ioctl_body(fid, FSCTL_GET_REPARSE_POINT, b"", 4096))
    r = c.do("IOCTL SRV_REQUEST_RESUME_KEY", c.request, s.IOCTL,
             s.ioctl_body(fid, FSCTL_SRV_REQUEST_RESUME_KEY, b"", 32))
    key = b"\0" * 24
    if r.status == s.STATUS_SUCCESS:
        out_off, out_len = struct.unpack_from("<II", r.body, 32)
        key = r.raw[out_off:out_off + 24].ljust(24, b"\0")
    copy = key + struct.pack("<II", 2, 0) + struct.pack("<QQII", 0, 200000, 4096, 0) + \
        struct.pack("<QQII", 4096, 204096, 8192, 0)
    c.do("IOCTL SRV_COPYCHUNK, two chunks", c.request, s.IOCTL,
         s.ioctl_body(fid, FSCTL_SRV_COPYCHUNK, copy, 12))
    c.compound("compound QUERY_INFO+READ+QUERY_INFO (unrelated)", [
        (s.QUERY_INFO, s.query_info_body(fid, s.INFO_FILE, s.FILE_STANDARD_INFORMATION, 64), 64,
         False),
        (s.READ, s.read_body(fid, 0, 1000), 1000, False),
        (s.QUERY_INFO, s.query_info_body(fid, s.INFO_FILESYSTEM, 7, 64), 64, False)])
    c.compound("compound CREATE+WRITE+READ+CLOSE (related)", [
        (s.CREATE, s.create_body("mut-c.bin", s.GENERIC_READ | s.GENERIC_WRITE,
                                 s.FILE_OVERWRITE_IF), 0, False),
        (s.WRITE, s.write_body(RELATED_FID, 0, data[:3000]), 3000, True),
        (s.READ, s.read_body(RELATED_FID, 0, 3000), 3000, True),
        (s.CLOSE, s.close_body(RELATED_FID, 1), 0, True)])
    c.compound("compound CREATE dir+QUERY_DIRECTORY+CLOSE (related)", [
        (s.CREATE, s.create_body("mut-dir", s.FILE_LIST_DIRECTORY, s.FILE_OPEN,
                                 s.FILE_DIRECTORY_FILE), 0, False),
        (s.QUERY_DIRECTORY, s.query_directory_body(RELATED_FID, "*", s.FILE_DIRECTORY_INFORMATION,
                                                   s.SMB2_RESTART_SCANS, 8192), 8192, True),
        (s.CLOSE, s.close_body(RELATED_FID), 0, True)])
    c.compound("compound CREATE+SET_INFO delete+CLOSE (related)", [
        (s.CREATE, s.create_body("mut-gone.bin", s.GENERIC_WRITE | s.DELETE,
                                 s.FILE_OVERWRITE_IF), 0, False),
        (s.SET_INFO, s.set_info_body(RELATED_FID, s.INFO_FILE, s.FILE_DISPOSITION_INFORMATION,
                                     b"\x01"), 1, True),
        (s.CLOSE, s.close_body(RELATED_FID), 0, True)])
    # CHANGE_NOTIFY stays pending; it is recorded, not waited for.
    c.label = "CHANGE_NOTIFY (pending)"
    c.send_message(c.build(s.CHANGE_NOTIFY, notify_body(did), payload=4096))
    m = s.split_messages(c.recv_frame())[0]
    c.credits += m.hdr.credits
    print("  recorded %-44s %s%s" % (c.label, s.status_name(m.status),
                                     " (interim)" if c._interim(m) else ""), flush=True)
    c.do("CLOSE with POSTQUERY_ATTRIB", c.close, fid, 1)
    c.state = "tree"
    c.do("TREE_DISCONNECT", c.tree_disconnect)
    c.state = "session"
    c.do("LOGOFF", c.logoff)
    c.close_socket()

    # A second NEGOTIATE, SMB 2.0.2 only (no contexts, no large MTU).
    c2 = Recorder(HOST, port, timeout=REPLY_TIMEOUT)
    c2.do("NEGOTIATE 2.0.2 only", c2.negotiate, [s.SMB2_02], client_guid=guid)
    c2.close_socket()
    return c.templates + c2.templates


# --- live connections in a recorded state ---------------------------------------


class Live:
    def __init__(self, port, share, state, worker=0):
        self.c = c = s.Connection(HOST, port, timeout=REPLY_TIMEOUT)
        self.fids = {}
        if state == "tcp":
            return
        r = c.negotiate(s.ALL_DIALECTS)
        self._ok("NEGOTIATE", r)
        if state == "negotiated":
            return
        r = c.session_setup(s.spnego_init(s.ntlm_negotiate()))
        if r.status != s.STATUS_MORE_PROCESSING_REQUIRED:
            raise s.SmbError("setup: SESSION_SETUP leg 1: %s" % s.status_name(r.status))
        if state == "leg1":
            return
        r = c.session_setup(s.spnego_resp(s.ntlm_authenticate_anonymous()))
        self._ok("SESSION_SETUP", r)
        if state == "session":
            return
        self._ok("TREE_CONNECT", c.tree_connect(share_path(share)))
        if state == "tree":
            return
        # Each worker has its own file and directory: the workers' share
        # modes and deletes do not meet.
        r = c.create("mut-file-%d.bin" % worker, disposition=s.FILE_OPEN_IF,
                     desired_access=s.GENERIC_READ | s.GENERIC_WRITE | s.DELETE)
        self._ok("CREATE file", r)
        self.fids["F"] = s.body_file_id(r.body)
        r = c.create("mut-dir-%d" % worker, disposition=s.FILE_OPEN_IF,
                     desired_access=s.FILE_LIST_DIRECTORY | s.FILE_READ_ATTRIBUTES
                     | s.SYNCHRONIZE, options=s.FILE_DIRECTORY_FILE)
        self._ok("CREATE directory", r)
        self.fids["D"] = s.body_file_id(r.body)

    @staticmethod
    def _ok(what, r):
        if r.status != s.STATUS_SUCCESS:
            raise s.SmbError("setup: %s: %s" % (what, s.status_name(r.status)))

    def retarget(self, tpl):
        """The template's messages with this connection's ids and the next
        MessageIds (as many as each message charges)."""
        c = self.c
        out = []
        for m in split_chain(tpl.frame):
            m = bytearray(m)
            charge = max(1, struct.unpack_from("<H", m, 6)[0])
            struct.pack_into("<Q", m, 24, c.next_mid)
            c.next_mid += charge
            if struct.unpack_from("<Q", m, 40)[0] == tpl.session_id:
                struct.pack_into("<Q", m, 40, c.session_id)
            tid = struct.unpack_from("<I", m, 36)[0]
            if tid and tid == tpl.tree_id:
                struct.pack_into("<I", m, 36, c.tree_id)
            body = bytes(m[H:])
            for k, v in tpl.fids.items():
                if k in self.fids:
                    body = body.replace(v, self.fids[k])
            out.append(bytes(m[:H]) + body)
        return out


# --- mutations -------------------------------------------------------------------------


def starts_of(msgs):
    pos, out = 0, []
    for m in msgs:
        out.append(pos)
        pos += len(m)
    return out


def rechain(msgs):
    """Concatenates messages, fixing NextCommand (pad to 8) for a valid chain."""
    return chain([m[:20] + b"\0\0\0\0" + m[24:] if len(m) >= 24 else m for m in msgs])


def boundary(rng, size, msg_len):
    vals = list(BOUNDARY[size])
    rel = [msg_len, msg_len + 1, msg_len - 1, msg_len + 8, H, H - 1, H + 8]
    vals += [v & ((1 << (8 * size)) - 1) for v in rel if v >= 0]
    if rng.random() < 0.15:
        return rng.getrandbits(8 * size)
    return rng.choice(vals)


def put(buf, off, size, value):
    if off + size <= len(buf):
        struct.pack_into(FMT[size], buf, off, value)


def op_bitflip(rng, msgs, templates):
    frame = bytearray(b"".join(msgs))
    n = rng.choice([1, 1, 1, 2, 3, 4, 8])
    for _ in range(n):
        bit = rng.randrange(len(frame) * 8)
        frame[bit // 8] ^= 1 << (bit % 8)
    return "bitflip x%d" % n, bytes(frame)


def op_byte(rng, msgs, templates):
    frame = bytearray(b"".join(msgs))
    n = rng.randint(1, 4)
    where = []
    for _ in range(n):
        pos = rng.randrange(len(frame))
        frame[pos] = rng.choice([0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        where.append("%d=0x%02x" % (pos, frame[pos]))
    return "byte " + ",".join(where), bytes(frame)


def op_field(rng, msgs, templates):
    i = rng.randrange(len(msgs))
    m = bytearray(msgs[i])
    cmd = struct.unpack_from("<H", m, 12)[0]
    choices = [("hdr", f) for f in HEADER_FIELDS] + \
        [("body", f) for f in FIELDS.get(cmd, [])] * 3
    # Context fields: create contexts and negotiate contexts.
    ctx_at = None
    if cmd == s.CREATE and len(m) >= H + 56:
        off = struct.unpack_from("<I", m, H + 48)[0]
        if off and off + 16 <= len(m):
            ctx_at = off
    elif cmd == s.NEGOTIATE and len(m) >= H + 44:
        off = struct.unpack_from("<I", m, H + 36)[0]
        if off and off + 8 <= len(m):
            ctx_at = off
    if ctx_at is not None:
        choices += [("ctx", f) for f in CONTEXT_FIELDS] * 2
    where, (off, size) = rng.choice(choices)
    base = {"hdr": 0, "body": H, "ctx": ctx_at}[where]
    if where == "hdr" and off == 0:
        value = struct.unpack("<I", rng.choice([b"\xffSMB", b"\xfdSMB", b"\xfcSMB", b"\0SMB",
                                                b"\xfeSMC"]))[0]
    elif where == "hdr" and off == 48:
        value = rng.getrandbits(64)
    elif where == "hdr" and off == 12:
        value = rng.choice([rng.randrange(0x13), 0x13, 0x14, 0xFF, 0xFFFF])
    elif where == "hdr" and off == 16:
        value = rng.choice([0x1, 0x2, 0x4, 0x8, 0x10000000, 0x20000000, 0xFFFFFFFF,
                            rng.getrandbits(32)])
    else:
        value = boundary(rng, size, len(m))
    put(m, base + off, size, value)
    msgs = list(msgs)
    msgs[i] = bytes(m)
    return "field msg%d %s+%d/%d=0x%x" % (i, where, off, size, value), b"".join(msgs)


def op_word(rng, msgs, templates):
    i = rng.randrange(len(msgs))
    m = bytearray(msgs[i])
    size = rng.choice([2, 4, 8])
    if len(m) - H < size:
        return op_bitflip(rng, msgs, templates)
    off = H + rng.randrange((len(m) - H) // size) * size
    value = boundary(rng, size, len(m))
    put(m, off, size, value)
    msgs = list(msgs)
    msgs[i] = bytes(m)
    return "word msg%d +%d/%d=0x%x" % (i, off, size, value), b"".join(msgs)


def op_truncate(rng, msgs, templates):
    frame = b"".join(msgs)
    cut = rng.choice([rng.randrange(len(frame)), rng.randrange(H + 1), len(frame) - 1,
                      len(frame) - rng.randint(1, 8)])
    cut = max(0, min(cut, len(frame) - 1))
    return "truncate to %d of %d" % (cut, len(frame)), frame[:cut]


def op_extend(rng, msgs, templates):
    frame = b"".join(msgs)
    n = rng.choice([1, 7, 8, 64, rng.randint(1, 4096)])
    kind = rng.choice(["zeros", "random", "copy"])
    if kind == "zeros":
        tail = b"\0" * n
    elif kind == "random":
        tail = bytes(rng.getrandbits(8) for _ in range(n))
    else:
        tail = (frame * (n // max(1, len(frame)) + 1))[:n]
    return "extend +%d %s" % (n, kind), frame + tail


def op_dup(rng, msgs, templates):
    """A copy of one message, mostly with a MessageId of its own (one of
    the spare ones run_one leaves before the probe), sometimes with the
    same one, sometimes made related."""
    i = rng.randrange(len(msgs))
    copy = msgs[i]
    related = rng.random() < 0.5
    if related:
        copy = set_related(copy)
    same = rng.random() < 0.3
    if not same:
        top = max(struct.unpack_from("<Q", m, 24)[0] + max(1, struct.unpack_from("<H", m, 6)[0])
                  for m in msgs)
        copy = copy[:24] + struct.pack("<Q", top) + copy[32:]
    msgs = list(msgs)
    msgs.insert(rng.randint(i + 1, len(msgs)), copy)
    return "dup msg%d%s%s (%d messages)" % (i, " related" if related else "",
                                            " same MessageId" if same else "", len(msgs)), \
        rechain(msgs)


def op_nextcmd(rng, msgs, templates):
    frame = bytearray(b"".join(msgs))
    starts = starts_of(msgs)
    i = rng.randrange(len(msgs))
    at = starts[i]
    rest = len(frame) - at
    value = rng.choice([0, 1, 4, 8, 24, 63, 64, 65, 68, 72, rest, rest + 8, rest - 8,
                        8 * rng.randrange(1, rest // 8 + 2), rng.randrange(rest + 64),
                        0xFFFFFFF8, 0x80000000, 0xFFFFFFFF, (-at) & 0xFFFFFFFF])
    put(frame, at + 20, 4, value)
    return "nextcmd msg%d=0x%x (frame %d)" % (i, value, len(frame)), bytes(frame)


def op_splice(rng, msgs, templates):
    i = rng.randrange(len(msgs))
    other = rng.choice(templates)
    donor = rng.choice(split_chain(other.frame))
    msgs = list(msgs)
    msgs[i] = msgs[i][:H] + donor[H:]
    return "splice msg%d body <- %s" % (i, other.label), rechain(msgs) if len(msgs) > 1 \
        else msgs[0]


def op_reorder(rng, msgs, templates):
    if len(msgs) < 2:
        return op_dup(rng, msgs, templates)
    msgs = list(msgs)
    rng.shuffle(msgs)
    return "reorder", rechain(msgs)


OPS = [(op_bitflip, 15), (op_byte, 10), (op_field, 25), (op_word, 10), (op_truncate, 8),
       (op_extend, 6), (op_dup, 6), (op_nextcmd, 8), (op_splice, 5), (op_reorder, 2)]


def pick_op(rng):
    total = sum(w for _, w in OPS)
    x = rng.uniform(0, total)
    for fn, w in OPS:
        x -= w
        if x <= 0:
            return fn
    return OPS[0][0]


# --- one mutation ---------------------------------------------------------------------


def validate(m):
    """'' when the response message m is well-formed, else what is wrong."""
    raw = m.raw
    if raw[:4] != b"\xfeSMB":
        return "protocol id %s" % raw[:4].hex()
    if m.hdr.structure_size != 64:
        return "header StructureSize %d" % m.hdr.structure_size
    if not m.hdr.flags & s.FLAGS_SERVER_TO_REDIR:
        return "SERVER_TO_REDIR flag missing"
    if len(m.body) < 2:
        return "%d-byte body" % len(m.body)
    ss = struct.unpack_from("<H", m.body, 0)[0]
    st = m.status
    if st == s.STATUS_PENDING and m.hdr.flags & s.FLAGS_ASYNC_COMMAND:
        return "" if ss == 9 else "interim response StructureSize %d" % ss
    if (st & 0xC0000000) == 0xC0000000 or st in (s.STATUS_NO_MORE_FILES,
                                                  s.STATUS_STOPPED_ON_SYMLINK):
        if ss == 9 and len(m.body) >= 8:
            return ""
        if m.hdr.command == s.IOCTL and ss == 49:
            return ""  # copychunk and a few others answer errors with the IOCTL response
        return "error %s with StructureSize %d, %d-byte body" % (s.status_name(st), ss,
                                                                   len(m.body))
    want = RESPONSE_SIZE.get(m.hdr.command)
    if want is None:
        return "success (%s) for unknown command 0x%x" % (s.status_name(st), m.hdr.command)
    if ss not in (want if isinstance(want, tuple) else (want,)):
        if ss == 9 and len(m.body) >= 8:
            return ""  # an error-shaped body under a warning/information status
        return "%s for command 0x%x with StructureSize %d (want %s)" % (
            s.status_name(st), m.hdr.command, ss, want)
    return ""


def expected_mids(frame, lo, hi):
    """MessageIds in [lo, hi) of the requests a server finds in frame,
    walking NextCommand as a server does (stopping where the chain stops
    making sense): each of them deserves a response (CANCEL excepted)."""
    out = {}
    pos = 0
    while pos + H <= len(frame):
        if frame[pos:pos + 4] != b"\xfeSMB":
            break
        cmd = struct.unpack_from("<H", frame, pos + 12)[0]
        nxt = struct.unpack_from("<I", frame, pos + 20)[0]
        mid = struct.unpack_from("<Q", frame, pos + 24)[0]
        if lo <= mid < hi and cmd != s.CANCEL and mid not in out:
            out[mid] = cmd
        if nxt == 0 or nxt < H or nxt % 8 or pos + nxt >= len(frame):
            break
        pos += nxt
    return out


VERBOSE = []


def observe(c, probe_mid, expect, deadline, until_close=False):
    """Reads until the probe and every expected MessageId are answered
    (an interim STATUS_PENDING counts), the connection closes, garbage
    arrives or the deadline passes. Returns (end, replies, pending,
    problem): end is done / closed / hang / missing / garbage."""
    replies, pending = [], 0
    answered = set()
    probe_done = probe_mid is None
    while True:
        if probe_done and set(expect) <= answered and not until_close:
            return "done", replies, pending, ""
        left = deadline - time.monotonic()
        try:
            frame = c.recv_frame(timeout=max(0.0, left))
        except s.ConnectionClosed:
            return "closed", replies, pending, ""
        except s.Timeout:
            if not probe_done:
                return "hang", replies, pending, ""
            missing = ["MessageId %d (command 0x%x)" % (m, expect[m])
                       for m in sorted(set(expect) - answered)]
            return "missing", replies, pending, ", ".join(missing)
        except s.SmbError as e:
            return "garbage", replies, pending, str(e)
        except OSError as e:
            return "closed", replies, pending, str(e)
        try:
            msgs = s.split_messages(frame)
        except s.SmbError as e:
            return "garbage", replies, pending, "%s: %s" % (e, frame[:80].hex())
        for m in msgs:
            if VERBOSE:
                print("  got %r" % m.hdr)
            bad = validate(m)
            if bad:
                return "garbage", replies, pending, "%s: %s" % (bad, m.raw[:96].hex())
            mid = m.hdr.message_id
            if mid == probe_mid and m.hdr.command == s.ECHO and not c._interim(m):
                probe_done = True
                continue
            if mid == s.UNSOLICITED_MID:
                continue
            answered.add(mid)
            if c._interim(m):
                pending += 1
            else:
                replies.append(m)


def classify(end, replies, pending):
    if end == "closed":
        return "closed after reply" if replies else "closed"
    if replies:
        if any((m.status & 0xC0000000) != 0xC0000000 for m in replies):
            return "success reply"
        return "error reply"
    if pending:
        return "pending (async)"
    return "nothing to answer"


def plan(templates, seed, i):
    """What mutation i does: (its rng, template, "framing", "split" or an
    operator). Depends on nothing but (seed, i)."""
    rng = random.Random("%d:%d" % (seed, i))
    tpl = rng.choice(templates)
    if rng.random() < 0.05:
        how = "framing"
    elif rng.random() < 0.08:
        how = "split"
    else:
        how = op_multi if rng.random() < 0.05 else pick_op(rng)
    return rng, tpl, how


def plan_key(templates, seed, i):
    _, tpl, how = plan(templates, seed, i)
    return tpl.label, how if isinstance(how, str) else how.__name__


def run_one(args, templates, seed, i, verbose=False, worker=0):
    """Mutation i. Returns (template label, op description, outcome,
    problem); problem is '' when the server behaved."""
    rng, tpl, how = plan(templates, seed, i)
    framing = how == "framing"
    try:
        live = Live(args.port, args.share, tpl.state, worker)
    except (s.SmbError, OSError) as e:
        return tpl.label, "-", "setup failed", "could not reach state %s: %s" % (tpl.state, e)
    c = live.c
    msgs = live.retarget(tpl)
    split = False
    try:
        if framing:
            frame = b"".join(msgs)
            kind = rng.choice(["longer", "shorter", "type"])
            n = len(frame)
            if kind == "longer":
                ann = min(0xFFFFFF, n + rng.choice([1, 7, 64, 4096, 0xFFFFFF]))
                nb = bytes([0]) + ann.to_bytes(3, "big")
            elif kind == "shorter":
                ann = max(0, n - rng.choice([1, 7, 64, n]))
                nb = bytes([0]) + ann.to_bytes(3, "big")
            else:
                nb = bytes([rng.choice([0x81, 0x82, 0x85, 0xFE, 0xFF])]) + n.to_bytes(3, "big")
            desc = "framing %s: header %s for %d bytes" % (kind, nb.hex(), n)
            if verbose:
                print("frame: %s%s" % (nb.hex(), frame.hex()))
            c.send_raw(nb + frame)
            c.sock.shutdown(socket.SHUT_WR)
            end, replies, pending, problem = observe(c, None, {},
                                                     time.monotonic() + REPLY_TIMEOUT, True)
            if end == "missing":
                end = "hang"
            if end == "hang":
                return tpl.label, desc, "hang", "connection neither closed nor answered " \
                    "within %.0f s after the client half-closed" % REPLY_TIMEOUT
            if end == "garbage":
                return tpl.label, desc, "garbage", problem
            return tpl.label, desc, classify(end, replies, pending), ""
        if how == "split":
            desc, frame = "split (well-formed)", b"".join(msgs)
            split = True
        else:
            desc, frame = how(rng, msgs, templates)
        if verbose:
            print("frame: %s" % s.netbios(frame).hex())
        # MessageIds up to SPARE_MIDS past the frame's are the copies' of op_dup.
        probe_mid = c.next_mid + SPARE_MIDS
        c.next_mid = probe_mid + 1
        expect = expected_mids(frame, msgs_first_mid(msgs), probe_mid)
        probe = c.build(s.ECHO, s.echo_body(), message_id=probe_mid, account=False)
        data = s.netbios(frame)
        if split:
            cuts = sorted(rng.sample(range(1, len(data)), min(3, len(data) - 1)))
            prev = 0
            for cut in cuts + [len(data)]:
                c.send_raw(data[prev:cut])
                prev = cut
                time.sleep(0.002)
        else:
            c.send_raw(data)
        try:
            c.send_frame(probe)
        except OSError:
            pass  # already closed: observe() sees it
        end, replies, pending, problem = observe(c, probe_mid, expect,
                                                 time.monotonic() + REPLY_TIMEOUT)
        if end == "hang":
            got = ", ".join(s.status_name(m.status) for m in replies) or "nothing"
            return tpl.label, desc, "hang", "no reply to the ECHO after the mutated frame " \
                "within %.0f s (got %s), connection still open" % (REPLY_TIMEOUT, got)
        if end == "missing":
            return tpl.label, desc, "request unanswered", "the ECHO after it was answered, " \
                "but within %.0f s nothing answered %s; connection still open" % (
                    REPLY_TIMEOUT, problem)
        if end == "garbage":
            return tpl.label, desc, "garbage", problem
        return tpl.label, desc, classify(end, replies, pending), ""
    except OSError as e:
        return tpl.label, "?", "closed", "" if "reset" in str(e).lower() or "pipe" in \
            str(e).lower() else str(e)
    finally:
        c.close_socket()


def msgs_first_mid(msgs):
    return struct.unpack_from("<Q", msgs[0], 24)[0]


def op_multi(rng, msgs, templates):
    descs = []
    frame = None
    for _ in range(rng.randint(2, 3)):
        fn = pick_op(rng)
        d, frame = fn(rng, msgs, templates)
        descs.append(d)
        try:
            msgs = split_chain(frame) if len(frame) >= H else [frame]
            if any(len(m) < H for m in msgs):
                break
        except struct.error:
            break
        if sum(len(m) for m in msgs) != len(frame):
            break
    return "multi[" + "; ".join(descs) + "]", frame


def directed(args):
    """Compound chains with a CHANGE_NOTIFY (which goes asynchronous) in
    each position: every request in them must be answered (an interim
    STATUS_PENDING will do), or the connection closed. Returns failures."""
    failures = []
    cases = [("CHANGE_NOTIFY + ECHO", ["notify", "echo"]),
             ("ECHO + CHANGE_NOTIFY", ["echo", "notify"]),
             ("CHANGE_NOTIFY + CHANGE_NOTIFY", ["notify", "notify"]),
             ("ECHO + CHANGE_NOTIFY + ECHO", ["echo", "notify", "echo"])]
    lines = {}

    def one(k, label, parts):
        live = Live(args.port, args.share, "file", 0)
        c = live.c
        msgs = [c.build(s.CHANGE_NOTIFY, notify_body(live.fids["D"]), payload=4096)
                if p == "notify" else c.build(s.ECHO, s.echo_body()) for p in parts]
        expect = {struct.unpack_from("<Q", m, 24)[0]: struct.unpack_from("<H", m, 12)[0]
                  for m in msgs}
        probe_mid = c.next_mid
        c.send_frame(chain(msgs))
        c.send_frame(c.build(s.ECHO, s.echo_body()))
        end, replies, pending, problem = observe(c, probe_mid, expect,
                                                 time.monotonic() + REPLY_TIMEOUT)
        c.close_socket()
        ok = end in ("done", "closed")
        line = "%-4s compound %s: %s" % ("ok" if ok else "FAIL", label, {
            "done": "every request answered (%d replies, %d interim)" % (len(replies), pending),
            "closed": "connection closed",
            "missing": "no response for %s within %.0f s, connection still open"
                       % (problem, REPLY_TIMEOUT),
            "hang": "not even the ECHO after it answered within %.0f s" % REPLY_TIMEOUT,
        }.get(end, "%s %s" % (end, problem)))
        lines[k] = (ok, line)

    # At once: each unanswered chain costs REPLY_TIMEOUT.
    threads = [threading.Thread(target=one, args=(k, label, parts))
               for k, (label, parts) in enumerate(cases)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for k in sorted(lines):
        ok, line = lines[k]
        print(line, flush=True)
        if not ok:
            failures.append(line)
    return failures


def release_space(root):
    """Truncates every file in the share that holds over 8 MiB: mutated
    allocation sizes are honoured, and a full share would fail the fresh
    client. Returns the bytes released."""
    freed = 0
    if not root:
        return 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            try:
                st = os.lstat(p)
                if st.st_blocks * 512 > (8 << 20) and not os.path.islink(p):
                    os.truncate(p, 0)
                    freed += st.st_blocks * 512
            except OSError:
                pass
    return freed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--share", default="demo")
    ap.add_argument("--share-dir", help="the share's directory (space is released there)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("HOSTILE_SEED",
                                                                   DEFAULT_SEED)))
    ap.add_argument("--count", type=int, default=int(os.environ.get("HOSTILE_MUTATIONS",
                                                                    DEFAULT_COUNT)))
    ap.add_argument("--only", type=int, default=(int(os.environ["HOSTILE_ONLY"])
                                                 if os.environ.get("HOSTILE_ONLY") else None))
    args = ap.parse_args()

    print("seed %d, %d mutations (replay one: HOSTILE_SEED=%d HOSTILE_ONLY=I; "
          "HOSTILE_MUTATIONS=N for more)" % (args.seed, args.count, args.seed), flush=True)
    print("recording a session:", flush=True)
    templates = record(args.port, args.share)
    by_state = collections.Counter(t.state for t in templates)
    print("%d request frames recorded (%s)" % (len(templates), ", ".join(
        "%s %d" % (st, by_state[st]) for st in STATES if by_state[st])), flush=True)

    if args.only is None:
        print("directed compound chains with an asynchronous request:", flush=True)
        early = directed(args)
    if args.only is not None:
        VERBOSE.append(True)
        tpl, desc, outcome, problem = run_one(args, templates, args.seed, args.only, True)
        print("mutation %d: %s | %s -> %s%s" % (args.only, tpl, desc, outcome,
                                                ("; PROBLEM: " + problem) if problem else ""))
        alive = server_alive(args.pid)
        print("server %s" % ("alive" if alive else "DEAD"))
        return 1 if problem or not alive else 0

    outcomes = collections.Counter()
    by_op = collections.defaultdict(collections.Counter)
    failures = list(early)
    lock = threading.Lock()
    dead = threading.Event()
    t0 = time.monotonic()

    known = collections.Counter()  # (template, operator) -> failures so far

    def one(i, worker):
        if dead.is_set() or len(failures) >= MAX_FAILURES:
            return
        key = plan_key(templates, args.seed, i)
        with lock:
            if known[key] >= REPEATS:
                # Each unanswered request costs REPLY_TIMEOUT: a failure
                # already seen REPEATS times is not waited for again.
                outcomes["skipped (known failure)"] += 1
                return
        tpl, desc, outcome, problem = run_one(args, templates, args.seed, i, worker=worker)
        with lock:
            if problem:
                known[key] += 1
            outcomes[outcome] += 1
            if os.environ.get("HOSTILE_VERBOSE"):
                print("mutation %d: %s | %s -> %s" % (i, tpl, desc, outcome), flush=True)
            by_op[desc.split(" ", 1)[0].split("[", 1)[0]][outcome] += 1
            if problem:
                line = "FAIL mutation %d (HOSTILE_SEED=%d HOSTILE_ONLY=%d): %s | %s -> %s: %s" \
                    % (i, args.seed, i, tpl, desc, outcome, problem)
                print(line, flush=True)
                failures.append(line)
            if not server_alive(args.pid) and not dead.is_set():
                dead.set()
                line = "FAIL ringsmbd died at or before mutation %d (HOSTILE_SEED=%d " \
                    "HOSTILE_ONLY=%d): %s | %s" % (i, args.seed, i, tpl, desc)
                print(line, flush=True)
                failures.append(line)

    # WORKERS connections at a time: a request the server never answers
    # costs its worker the whole REPLY_TIMEOUT, not the run.
    for first in range(0, args.count, BATCH):
        idx = list(range(first, min(args.count, first + BATCH)))
        queue = collections.deque(idx)

        def worker(w):
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.popleft()
                one(i, w)

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if dead.is_set():
            break
        freed = release_space(args.share_dir)
        if freed:
            print("  (mutated requests had ringsmbd allocate %d MiB; truncated)" % (freed >> 20),
                  flush=True)
        try:
            what = fresh_client_check(args.port, args.share, tag="mut-fresh")
            print("batch %d-%d done (%.1f s): %s" % (idx[0], idx[-1], time.monotonic() - t0,
                                                     what), flush=True)
        except (s.SmbError, OSError) as e:
            line = "FAIL after mutations %d-%d a fresh client failed: %s" % (idx[0], idx[-1], e)
            print(line, flush=True)
            failures.append(line)
            break
        if len(failures) >= MAX_FAILURES:
            print("stopping after %d failures" % MAX_FAILURES, flush=True)
            break
    elapsed = time.monotonic() - t0
    done = sum(outcomes.values())
    print("\n%d mutations in %.1f s, seed %d" % (done, elapsed, args.seed))
    print("outcomes: " + ", ".join("%s %d" % kv for kv in outcomes.most_common()))
    print("by operator:")
    for op in sorted(by_op):
        print("  %-9s %s" % (op, ", ".join("%s %d" % kv for kv in by_op[op].most_common())))
    if failures:
        print("\n%d FAILURES:" % len(failures))
        for f in failures:
            print("  " + f)
        return 1
    print("ok: every mutation got an error, a valid reply, a pending answer or a close; "
          "no hang, no crash")
    return 0


if __name__ == "__main__":
    sys.exit(main())
