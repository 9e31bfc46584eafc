"""Limits (docs/reliability.md): each one refuses the new work that would pass
it, with the status the documentation names, and leaves everything else
running. The server runs with the small limits limits.sh writes:

  ringsmb:max connections = 6, per address = 3
  ringsmb:max sessions per connection = 2
  ringsmb:max tree connects per session = 2
  max open files = 4
and, on a second server, ringsmb:max outstanding requests = 8 (so 4
asynchronous requests), ringsmb:request timeout = 2, ringsmb:idle timeout = 3.
"""

import argparse
import socket
import struct
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
import smb2raw as s  # noqa: E402

STATUS_INSUFFICIENT_RESOURCES = 0xC000009A
STATUS_TOO_MANY_OPENED_FILES = 0xC000011F
STATUS_CANCELLED = 0xC0000120

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def connect(port, src="127.0.0.1", session=True, tree=True):
    c = s.Connection("127.0.0.1", port, connect=False)
    c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.sock.settimeout(c.timeout)
    c.sock.bind((src, 0))
    c.sock.connect(("127.0.0.1", port))
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def login(c, tree=True):
    r = c.negotiate()
    assert r.status == s.STATUS_SUCCESS, s.status_name(r.status)
    r = c.session_setup_anonymous()
    assert r.status == s.STATUS_SUCCESS, s.status_name(r.status)
    if tree:
        r = c.tree_connect(r"\\127.0.0.1\demo")
        assert r.status == s.STATUS_SUCCESS, s.status_name(r.status)
    return c


def negotiated(port, src):
    """A connection from src that completed NEGOTIATE, or None when the
    server closed it."""
    c = connect(port, src)
    try:
        r = c.negotiate()
        return c if r.status == s.STATUS_SUCCESS else None
    except (s.SmbError, OSError):
        c.close_socket()
        return None


def works(port, src="127.0.0.1"):
    """A fresh client does everyday file work."""
    c = login(connect(port, src))
    r = c.create("works.txt", desired_access=s.GENERIC_READ | s.GENERIC_WRITE,
                 disposition=s.FILE_OVERWRITE_IF)
    fid = s.body_file_id(r.body)
    c.write(fid, 0, b"still here")
    st, data = c.read(fid, 0, 10)
    c.close(fid)
    c.close_socket()
    return data == b"still here"


def test_connections(port):
    held = [negotiated(port, "127.0.0.1") for _ in range(3)]
    check(all(held), "3 connections from 127.0.0.1 (the per-address limit)")
    extra = negotiated(port, "127.0.0.1")
    check(extra is None, "a 4th connection from 127.0.0.1 is closed unanswered")
    other = [negotiated(port, "127.0.0.2"), negotiated(port, "127.0.0.2")]
    check(all(other), "127.0.0.2 still gets connections")
    other.append(negotiated(port, "127.0.0.3"))
    check(other[-1] is not None, "a 6th connection in all (the total limit)")
    check(negotiated(port, "127.0.0.4") is None, "a 7th connection in all is closed unanswered")
    for c in held:
        check(c.echo().status == s.STATUS_SUCCESS, "a held connection still answers ECHO")
    held[0].close_socket()
    time.sleep(0.5)
    back = negotiated(port, "127.0.0.1")
    check(back is not None, "after one closes, 127.0.0.1 gets a connection again")
    for c in held[1:] + other + [back]:
        if c:
            c.close_socket()
    time.sleep(0.5)


def test_sessions_and_trees(port):
    c = login(connect(port))
    sid1, tid1 = c.session_id, c.tree_id
    c.session_id = 0
    r = c.session_setup_anonymous()
    check(r.status == s.STATUS_SUCCESS, "a second session on one connection")
    sid2 = c.session_id
    c.session_id = 0
    r = c.session_setup(s.spnego_init(s.ntlm_negotiate()))
    check(r.status == STATUS_INSUFFICIENT_RESOURCES,
          "a third session is refused with STATUS_INSUFFICIENT_RESOURCES (got %s)"
          % s.status_name(r.status))
    c.session_id, c.tree_id = sid1, tid1
    check(c.echo().status == s.STATUS_SUCCESS, "the connection goes on")
    r = c.tree_connect(r"\\127.0.0.1\demo")
    check(r.status == s.STATUS_SUCCESS, "a second tree connect in one session")
    r = c.tree_connect(r"\\127.0.0.1\demo")
    check(r.status == STATUS_INSUFFICIENT_RESOURCES,
          "a third tree connect is refused with STATUS_INSUFFICIENT_RESOURCES (got %s)"
          % s.status_name(r.status))
    c.tree_id = tid1
    r = c.create("t.txt", desired_access=s.GENERIC_READ | s.GENERIC_WRITE,
                 disposition=s.FILE_OVERWRITE_IF)
    check(r.status == s.STATUS_SUCCESS, "the first tree still works")
    c.close(s.body_file_id(r.body))
    # The second session works too (it has no tree yet).
    c.session_id = sid2
    r = c.tree_connect(r"\\127.0.0.1\demo")
    check(r.status == s.STATUS_SUCCESS, "the second session connects a tree")
    c.close_socket()


def test_open_files(port):
    c = login(connect(port))
    fids = []
    for i in range(4):
        r = c.create("open%d.txt" % i, desired_access=s.GENERIC_READ | s.GENERIC_WRITE,
                     disposition=s.FILE_OVERWRITE_IF)
        check(r.status == s.STATUS_SUCCESS, "open file %d of 4" % (i + 1))
        fids.append(s.body_file_id(r.body))
    r = c.create("open4.txt", desired_access=s.GENERIC_READ | s.GENERIC_WRITE,
                 disposition=s.FILE_CREATE)
    check(r.status == STATUS_TOO_MANY_OPENED_FILES,
          "a 5th open is refused with STATUS_TOO_MANY_OPENED_FILES (got %s)"
          % s.status_name(r.status))
    st, data = c.write(fids[0], 0, b"x")
    check(st == s.STATUS_SUCCESS, "the open files still work")
    c.close(fids.pop())
    r = c.create("open4.txt", desired_access=s.GENERIC_READ | s.GENERIC_WRITE,
                 disposition=s.FILE_CREATE)
    check(r.status == s.STATUS_SUCCESS, "after a CLOSE, a new open succeeds")
    fids.append(s.body_file_id(r.body))
    for f in fids:
        c.close(f)
    c.close_socket()


def notify_body(fid):
    # MS-SMB2 2.2.35: StructureSize 32, Flags, OutputBufferLength, FileId,
    # CompletionFilter (FILE_NOTIFY_CHANGE_FILE_NAME), Reserved.
    return struct.pack("<HHI16sII", 32, 0, 4096, fid, 0x1, 0)


def send_notify(c, fid):
    """Sends CHANGE_NOTIFY; returns the first response's header (the
    interim STATUS_PENDING one when it goes asynchronous)."""
    c.send_message(c.build(s.CHANGE_NOTIFY, notify_body(fid)))
    m = s.split_messages(c.recv_frame(timeout=10))[0]
    c.credits += m.hdr.credits
    return m.hdr


def test_async(port):
    """ringsmb:max outstanding requests = 8: at most 4 asynchronous."""
    c = login(connect(port))
    dirs = []
    for i in range(6):
        r = c.create("d%d" % i, desired_access=s.FILE_LIST_DIRECTORY | s.SYNCHRONIZE,
                     disposition=s.FILE_OPEN_IF, options=s.FILE_DIRECTORY_FILE)
        assert r.status == s.STATUS_SUCCESS, s.status_name(r.status)
        dirs.append(s.body_file_id(r.body))
    pending = []
    for fid in dirs[:4]:
        h = send_notify(c, fid)
        check(h.status == s.STATUS_PENDING and h.flags & s.FLAGS_ASYNC_COMMAND,
              "CHANGE_NOTIFY %d goes asynchronous" % (len(pending) + 1))
        pending.append(h)
    h = send_notify(c, dirs[4])
    check(h.status == STATUS_INSUFFICIENT_RESOURCES,
          "a 5th asynchronous request is refused with STATUS_INSUFFICIENT_RESOURCES (got %s)"
          % s.status_name(h.status))
    check(c.echo().status == s.STATUS_SUCCESS, "the connection still answers ECHO")
    # CANCEL the first (by AsyncId, MS-SMB2 3.3.5.16): it ends CANCELLED and
    # frees its place.
    first = pending.pop(0)
    hdr = s.Header(command=s.CANCEL, message_id=first.message_id, credit_request=0,
                   flags=s.FLAGS_ASYNC_COMMAND, async_id=first.async_id,
                   session_id=c.session_id)
    c.send_message(hdr.pack() + struct.pack("<HH", 4, 0))
    m = s.split_messages(c.recv_frame(timeout=10))[0]
    c.credits += m.hdr.credits
    check(m.hdr.message_id == first.message_id and m.hdr.status == STATUS_CANCELLED,
          "CANCEL ends the first notification (got %s)" % s.status_name(m.hdr.status))
    h = send_notify(c, dirs[5])
    check(h.status == s.STATUS_PENDING, "then a new CHANGE_NOTIFY goes asynchronous again")
    c.close_socket()


def test_request_timeout(port):
    """ringsmb:request timeout = 2: a frame trickling in is cut off."""
    slow = login(connect(port))
    fast = login(connect(port))
    # A WRITE announcing 1000 bytes, of which 100 are sent.
    slow.send_raw(struct.pack(">I", 1000) + b"\xfeSMB" + b"\0" * 96)
    t0 = time.monotonic()
    check(fast.echo().status == s.STATUS_SUCCESS, "another connection works meanwhile")
    outcome, _ = slow.recv_outcome(timeout=20)
    took = time.monotonic() - t0
    check(outcome == "closed", "the slow connection is closed (%s after %.1f s)" % (outcome, took))
    # One byte a second of a frame's header: also cut off.
    slow2 = login(connect(port))
    closed = False
    for b in struct.pack(">I", 200) + b"\xfeSMB":
        try:
            slow2.send_raw(bytes([b]))
        except OSError:
            closed = True
            break
        time.sleep(1)
    if not closed:
        outcome, _ = slow2.recv_outcome(timeout=20)
        closed = outcome == "closed"
    check(closed, "a frame header sent a byte a second is cut off too")
    fast.close_socket()


def test_idle(port):
    """ringsmb:idle timeout = 3: connections with nothing open are closed,
    connections with an open file are not."""
    idle = login(connect(port))
    busy = login(connect(port))
    r = busy.create("keep.txt", desired_access=s.GENERIC_READ | s.GENERIC_WRITE,
                    disposition=s.FILE_OVERWRITE_IF)
    fid = s.body_file_id(r.body)
    outcome, _ = idle.recv_outcome(timeout=20)
    check(outcome == "closed", "an idle connection is closed (%s)" % outcome)
    time.sleep(4)
    check(busy.echo().status == s.STATUS_SUCCESS,
          "a connection with an open file is kept past the idle timeout")
    st, _ = busy.write(fid, 0, b"later")
    check(st == s.STATUS_SUCCESS, "and its open file works")
    busy.close(fid)
    busy.close_socket()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--case", required=True)
    a = ap.parse_args()
    cases = {"connections": test_connections, "sessions": test_sessions_and_trees,
             "opens": test_open_files, "async": test_async,
             "request-timeout": test_request_timeout, "idle": test_idle}
    for name in a.case.split(","):
        print("-- %s" % name, flush=True)
        cases[name](a.port)
    check(works(a.port), "a fresh client works afterwards")
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
