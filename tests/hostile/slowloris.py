#!/usr/bin/env python3
"""Slow-loris clients: connections that trickle bytes to hold the server.

--mode handshake (ringsmb:handshake timeout = T): before a session exists
  a1  2 bytes of a NetBIOS header, then one byte a second
  a2  a whole NEGOTIATE frame, one byte every half second
  a3  NEGOTIATE answered at once, then SESSION_SETUP trickled: the
      handshake has one deadline, it is not renewed by progress
  a4  NEGOTIATE and the first SESSION_SETUP leg answered, then silence
  b   200 connections at once, each trickling a NetBIOS header
  Every one must be closed by the server (within T + 20 s), while a
  normal client, in a loop beside them, logs in and moves data.

--mode request (ringsmb:request timeout = T): after logon
  c1  a frame whose header announces 1,000 bytes, then one byte every
      half second
  c2  the 4-byte header itself one byte a second
  c3  64 KiB of a 128 KiB WRITE sent, then one byte a second
  Each must be closed (within T + 20 s), the normal client working
  meanwhile; and an idle logged-on connection with no partial frame is
  not closed for 2 T (ECHO works afterwards).

Timeouts only bound hangs (T + 20 s); how soon within that does not
decide pass or fail. The closing times are printed.

    slowloris.py --port P --mode handshake|request --timeout T
"""

import argparse
import os
import selectors
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import HOST, REPLY_TIMEOUT, Report, fresh_client_check, login, s  # noqa: E402

R = Report()
GRACE = 20.0  # beyond the configured timeout before "never closed"


def raw_socket(port):
    sock = socket.create_connection((HOST, port), timeout=REPLY_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_by_peer(sock, wait):
    """True when the peer closed (EOF or reset) within `wait` seconds;
    any data it sends first is read and dropped."""
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        except OSError:
            return True


def trickle(sock, data, interval, limit):
    """Sends data one byte per interval until the peer closes. Returns the
    seconds until the close, or None when it was still open at `limit`
    (or all of data went out)."""
    t0 = time.monotonic()
    for b in data:
        try:
            sock.send(bytes([b]))
        except OSError:
            return time.monotonic() - t0
        if closed_by_peer(sock, interval):
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            return None
    return None


class Background:
    """A normal client in a loop: log in, write, read back, list, delete,
    until stopped. Counts rounds; keeps the first failure."""

    def __init__(self, port):
        self.port = port
        self.rounds = 0
        self.error = None
        self.stop = threading.Event()
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        while not self.stop.is_set():
            try:
                fresh_client_check(self.port, tag="loris-normal", size=64 * 1024)
                self.rounds += 1
            except (s.SmbError, OSError) as e:
                self.error = str(e)
                return
            time.sleep(0.05)

    def finish(self, label):
        self.stop.set()
        self.th.join(REPLY_TIMEOUT * 2)
        R.check(self.error is None and self.rounds > 0,
                "a normal client during %s" % label,
                "%d rounds of log in, write, read back, list, delete" % self.rounds
                if self.error is None else "failed after %d rounds: %s" % (self.rounds,
                                                                            self.error))


def negotiate_frame():
    c = s.Connection(connect=False)
    return s.netbios(c.build(s.NEGOTIATE, s.negotiate_body(list(s.ALL_DIALECTS))))


def run_case(label, fn, timeout):
    """fn() -> seconds until the server closed, or None."""
    limit = timeout + GRACE
    took = fn(limit)
    R.check(took is not None, label, "closed by the server after %.1f s (timeout %d s)"
            % (took, timeout) if took is not None else
            "still open after %.0f s (timeout %d s)" % (limit, timeout))


# --- handshake mode ------------------------------------------------------------------


def case_a1(port, limit):
    sock = raw_socket(port)
    try:
        sock.send(b"\x00\x00")
        return trickle(sock, negotiate_frame()[2:], 1.0, limit)
    finally:
        sock.close()


def case_a2(port, limit):
    sock = raw_socket(port)
    try:
        return trickle(sock, negotiate_frame(), 0.5, limit)
    finally:
        sock.close()


def case_a3(port, limit):
    c = s.Connection(HOST, port, timeout=REPLY_TIMEOUT)
    t0 = time.monotonic()
    try:
        if c.negotiate().status != s.STATUS_SUCCESS:
            raise s.SmbError("NEGOTIATE failed")
        leg1 = s.netbios(c.build(s.SESSION_SETUP, s.session_setup_body(
            s.spnego_init(s.ntlm_negotiate()))))
        took = trickle(c.sock, leg1, 0.5, limit - (time.monotonic() - t0))
        return None if took is None else time.monotonic() - t0
    finally:
        c.close_socket()


def case_a4(port, limit):
    c = s.Connection(HOST, port, timeout=REPLY_TIMEOUT)
    t0 = time.monotonic()
    try:
        c.negotiate()
        r = c.session_setup(s.spnego_init(s.ntlm_negotiate()))
        if r.status != s.STATUS_MORE_PROCESSING_REQUIRED:
            raise s.SmbError("SESSION_SETUP leg 1: %s" % s.status_name(r.status))
        return time.monotonic() - t0 if closed_by_peer(c.sock, limit) else None
    finally:
        c.close_socket()


def case_b(port, timeout, n=200):
    """n connections trickling NetBIOS headers at once."""
    limit = timeout + GRACE
    frame = negotiate_frame()
    sel = selectors.DefaultSelector()
    socks = []
    t0 = time.monotonic()
    for i in range(n):
        try:
            sk = raw_socket(port)
        except OSError as e:
            R.check(False, "200 slow connections: connect #%d" % i, str(e))
            break
        sk.setblocking(False)
        socks.append(sk)
        sel.register(sk, selectors.EVENT_READ, i)
    opened = len(socks)
    pos = [0] * opened
    closed_at = {}
    next_send = time.monotonic()
    while len(closed_at) < opened and time.monotonic() - t0 < limit:
        now = time.monotonic()
        if now >= next_send:
            for i, sk in enumerate(socks):
                if i in closed_at or pos[i] >= len(frame):
                    continue
                try:
                    sk.send(frame[pos[i]:pos[i] + 1])
                    pos[i] += 1
                except BlockingIOError:
                    pass
                except OSError:
                    closed_at[i] = time.monotonic() - t0
            next_send = now + 1.0
        for key, _ in sel.select(timeout=0.2):
            i = key.data
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data and i not in closed_at:
                closed_at[i] = time.monotonic() - t0
                sel.unregister(key.fileobj)
    for sk in socks:
        sk.close()
    open_left = opened - len(closed_at)
    times = sorted(closed_at.values())
    R.check(opened == n and open_left == 0, "%d slow connections at once" % n,
            "%d opened, all closed by the server, the last after %.1f s (timeout %d s)"
            % (opened, times[-1], timeout) if open_left == 0 and times else
            "%d opened, %d still open after %.0f s" % (opened, open_left, limit))


# --- request mode --------------------------------------------------------------------


def logged_on(port):
    return login(port)


def case_c1(port, limit):
    c = logged_on(port)
    try:
        c.send_raw(b"\x00\x00\x03\xe8")  # 1,000 bytes announced
        t0 = time.monotonic()
        took = trickle(c.sock, c.build(s.ECHO, s.echo_body()) + b"\0" * 900, 0.5, limit)
        return took if took is None else time.monotonic() - t0
    finally:
        c.close_socket()


def case_c2(port, limit):
    c = logged_on(port)
    try:
        msg = s.netbios(c.build(s.ECHO, s.echo_body()))
        return trickle(c.sock, msg, 1.0, limit)
    finally:
        c.close_socket()


def case_c3(port, limit):
    c = logged_on(port)
    try:
        fid = c.open("loris-write.bin", desired_access=s.GENERIC_READ | s.GENERIC_WRITE
                     | s.DELETE, disposition=s.FILE_OVERWRITE_IF, options=s.FILE_DELETE_ON_CLOSE)
        data = os.urandom(128 * 1024)
        frame = s.netbios(c.build(s.WRITE, s.write_body(fid, 0, data), payload=len(data)))
        c.send_raw(frame[:64 * 1024])
        t0 = time.monotonic()
        took = trickle(c.sock, frame[64 * 1024:], 1.0, limit)
        return took if took is None else time.monotonic() - t0
    finally:
        c.close_socket()


def idle_stays(port, timeout):
    """A logged-on connection that starts no frame is not closed by the
    request timeout."""
    c = logged_on(port)
    try:
        wait = 2 * timeout
        closed = closed_by_peer(c.sock, wait)
        if closed:
            R.check(False, "an idle logged-on connection stays open",
                    "closed within %d s without a partial frame" % wait)
            return
        r = c.echo()
        R.check(r.status == s.STATUS_SUCCESS, "an idle logged-on connection stays open",
                "%d s idle (twice the request timeout), then ECHO %s" % (
                    wait, s.status_name(r.status)))
    finally:
        c.close_socket()


def parallel(cases, timeout):
    """Runs (label, fn) cases in threads at once."""
    threads = []
    for label, fn in cases:
        th = threading.Thread(target=run_case, args=(label, fn, timeout))
        th.start()
        threads.append(th)
    for th in threads:
        th.join()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", choices=["handshake", "request"], required=True)
    ap.add_argument("--timeout", type=int, required=True)
    args = ap.parse_args()
    port, t = args.port, args.timeout

    if args.mode == "handshake":
        bg = Background(port)
        parallel([
            ("a1: 2 bytes of a NetBIOS header, then a byte a second",
             lambda lim: case_a1(port, lim)),
            ("a2: NEGOTIATE a byte every half second", lambda lim: case_a2(port, lim)),
            ("a3: NEGOTIATE at once, then SESSION_SETUP a byte every half second",
             lambda lim: case_a3(port, lim)),
            ("a4: NEGOTIATE and SESSION_SETUP leg 1, then silence",
             lambda lim: case_a4(port, lim)),
        ], t)
        bg.finish("a1-a4")
        bg = Background(port)
        case_b(port, t)
        bg.finish("200 slow connections")
    else:
        bg = Background(port)
        threads = [threading.Thread(target=idle_stays, args=(port, t))]
        threads[0].start()
        parallel([
            ("c1: 1,000 bytes announced, a byte every half second",
             lambda lim: case_c1(port, lim)),
            ("c2: a frame's 4-byte header a byte a second", lambda lim: case_c2(port, lim)),
            ("c3: half of a 128 KiB WRITE, then a byte a second",
             lambda lim: case_c3(port, lim)),
        ], t)
        threads[0].join()
        bg.finish("c1-c3")
    try:
        R.check(True, "afterwards, a fresh client", fresh_client_check(port, tag="loris-after"))
    except (s.SmbError, OSError) as e:
        R.check(False, "afterwards, a fresh client", str(e))
    return R.summary("slow-loris (%s)" % args.mode)


if __name__ == "__main__":
    sys.exit(main())
