"""Shared pieces of the hostile-client tests (Python 3 standard library only).

The raw SMB2 client is tests/interop/smb2raw.py, imported from there:

    from hostile import s, fresh_client_check, Report
"""

import os
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
import smb2raw as s  # noqa: E402

HOST = "127.0.0.1"
# How long any single reply may take before it counts as a hang. Generous:
# the CI machine is shared and noisy, and pass/fail never rests on timing.
REPLY_TIMEOUT = 20.0


class Report:
    """Counts ok/FAIL lines and remembers the failures for a summary."""

    def __init__(self):
        self.ok = 0
        self.failures = []

    def check(self, good, label, detail=""):
        line = "%-4s %s%s" % ("ok" if good else "FAIL", label, ": " + detail if detail else "")
        print(line, flush=True)
        if good:
            self.ok += 1
        else:
            self.failures.append(line)
        return good

    def summary(self, what):
        print("%s: %d ok, %d failed" % (what, self.ok, len(self.failures)), flush=True)
        for f in self.failures:
            print("  " + f, flush=True)
        return 1 if self.failures else 0


def server_alive(pid):
    """True when process pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def share_path(share="demo"):
    return "\\\\%s\\%s" % (HOST, share)


def login(port, share="demo", timeout=REPLY_TIMEOUT, source=None, dialects=s.ALL_DIALECTS):
    """A connection with an anonymous session and a tree connect.
    source: a local address to bind to first (e.g. 127.0.0.2)."""
    c = s.Connection(HOST, port, timeout=timeout, connect=source is None)
    if source is not None:
        import socket
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.bind((source, 0))
        sock.connect((HOST, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.sock = sock
    return c.login(share_path(share), dialects=dialects)


def fresh_client_check(port, share="demo", tag="fresh", size=200_000, timeout=REPLY_TIMEOUT):
    """A new client logs in, creates a file, writes `size` bytes, reads them
    back, finds the file in a listing, deletes it and logs off. Returns a
    one-line description; raises smb2raw.SmbError (or AssertionError) on
    anything wrong."""
    t0 = time.monotonic()
    c = login(port, share, timeout=timeout)
    try:
        name = "%s-%d-%d.bin" % (tag, os.getpid(), time.monotonic_ns())
        data = os.urandom(size)
        fid = c.open(name, desired_access=s.GENERIC_READ | s.GENERIC_WRITE | s.DELETE,
                     disposition=s.FILE_CREATE)
        c.write_all(fid, data)
        back = c.read_all(fid, size)
        if back != data:
            raise s.SmbError("read back %d bytes, not the %d written" % (len(back), size))
        root = c.open("", desired_access=s.FILE_LIST_DIRECTORY | s.FILE_READ_ATTRIBUTES,
                      options=s.FILE_DIRECTORY_FILE)
        names = [e["name"] for e in c.list_directory(root, name)]
        c.close(root)
        if names != [name]:
            raise s.SmbError("listing for %r gave %r" % (name, names))
        st, _ = c.set_delete_on_close(fid)
        if st != s.STATUS_SUCCESS:
            raise s.SmbError("delete-on-close: %s" % s.status_name(st))
        st, _ = c.close(fid)
        if st != s.STATUS_SUCCESS:
            raise s.SmbError("CLOSE: %s" % s.status_name(st))
        st, _ = c.create(name)
        if st != s.STATUS_OBJECT_NAME_NOT_FOUND:
            raise s.SmbError("after delete, CREATE gave %s" % s.status_name(st))
        c.logoff()
    finally:
        c.close_socket()
    return "fresh client: %d bytes written, read back, listed, deleted (%.2f s)" % (
        size, time.monotonic() - t0)


# --- compound chains ------------------------------------------------------------


def chain(messages):
    """One compound frame from whole messages (header + body each): every
    message but the last is padded to 8 bytes and its NextCommand points at
    the next one (MS-SMB2 3.2.4.1.4)."""
    out = b""
    for i, m in enumerate(messages):
        if i < len(messages) - 1:
            m = s.pad8(m)
            m = m[:20] + struct.pack("<I", len(m)) + m[24:]
        out += m
    return out


def split_chain(frame):
    """The messages of a well-formed compound frame (NextCommand walk)."""
    out = []
    pos = 0
    while True:
        nxt = struct.unpack_from("<I", frame, pos + 20)[0]
        if nxt == 0:
            out.append(frame[pos:])
            return out
        out.append(frame[pos:pos + nxt])
        pos += nxt


def set_related(msg):
    """The message with SMB2_FLAGS_RELATED_OPERATIONS set."""
    flags = struct.unpack_from("<I", msg, 16)[0] | s.FLAGS_RELATED_OPERATIONS
    return msg[:16] + struct.pack("<I", flags) + msg[20:]


RELATED_FID = b"\xff" * 16  # the FileId a related request inherits (3.3.5.2.7.2)
