#!/usr/bin/env python3
"""1,000 concurrent connections doing mixed work against one ringsmbd.

Each client connects from one of several loopback source addresses
(127.0.0.2-5 by default, a quarter each), negotiates one of five dialect
offers (2.0.2 only, 2.1 only, 3.0 only, 3.0.2 only, or 2.0.2-3.1.1),
logs on anonymously and connects the share: then all wait until every
one is logged on, so the server holds them all at once (counted with
ss). Then each creates its own file, writes 1-64 KiB of data of its own,
reads it back through a second open and compares, lists the share root
with its file name as pattern, deletes the file, and waits again until
all are done before it logs off. Every step of every client must
succeed with the right data. Elapsed times are printed, never judged.

    connections.py --port P [--clients 1000] [--sources 127.0.0.2,...]
"""

import argparse
import hashlib
import os
import random
import resource
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import HOST, REPLY_TIMEOUT, Report, fresh_client_check, s  # noqa: E402

R = Report()
OFFERS = [[s.SMB2_02], [s.SMB2_10], [s.SMB3_00], [s.SMB3_02], list(s.ALL_DIALECTS)]
BARRIER_TIMEOUT = 300.0


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = min(hard, max(soft, want)) if hard != resource.RLIM_INFINITY else max(soft, want)
    if new > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def established(port):
    """Established TCP connections to the server's port (server side)."""
    try:
        out = subprocess.run(["ss", "-Htn", "state", "established", "( sport = :%d )" % port],
                             capture_output=True, text=True, timeout=30).stdout
        return len([line for line in out.splitlines() if line.strip()])
    except (OSError, subprocess.SubprocessError):
        return -1


class Client:
    def __init__(self, i, port, share, source):
        self.i = i
        self.port = port
        self.share = share
        self.source = source
        self.error = None
        self.step = "connect"
        self.c = None

    def fail(self, e):
        if self.error is None:
            self.error = "client %d (%s, offer %s) at %s: %s" % (
                self.i, self.source, "/".join("%x" % d for d in OFFERS[self.i % len(OFFERS)]),
                self.step, e)

    def logon(self):
        import socket
        self.step = "connect"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(REPLY_TIMEOUT)
        sock.bind((self.source, 0))
        sock.connect((HOST, self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c = s.Connection(HOST, self.port, timeout=REPLY_TIMEOUT, connect=False)
        c.sock = sock
        self.c = c
        self.step = "negotiate"
        r = c.negotiate(OFFERS[self.i % len(OFFERS)])
        if r.status != s.STATUS_SUCCESS:
            raise s.SmbError("NEGOTIATE: %s" % s.status_name(r.status))
        self.step = "session setup"
        r = c.session_setup_anonymous()
        if r.status != s.STATUS_SUCCESS:
            raise s.SmbError("SESSION_SETUP: %s" % s.status_name(r.status))
        self.step = "tree connect"
        r = c.tree_connect("\\\\%s\\%s" % (HOST, self.share))
        if r.status != s.STATUS_SUCCESS:
            raise s.SmbError("TREE_CONNECT: %s" % s.status_name(r.status))

    def work(self):
        c = self.c
        rng = random.Random(self.i)
        size = rng.randint(1, 64 * 1024)
        data = hashlib.shake_256(b"client %d" % self.i).digest(size)
        name = "conn-%04d.bin" % self.i
        self.step = "create"
        fid = c.open(name, desired_access=s.GENERIC_READ | s.GENERIC_WRITE | s.DELETE,
                     disposition=s.FILE_CREATE)
        self.step = "write"
        c.write_all(fid, data, chunk=min(c.max_write, 65536))
        self.step = "flush+close"
        st, _ = c.flush(fid)
        if st != s.STATUS_SUCCESS:
            raise s.SmbError("FLUSH: %s" % s.status_name(st))
        c.close(fid)
        self.step = "reopen+read"
        fid = c.open(name, desired_access=s.GENERIC_READ | s.DELETE)
        back = c.read_all(fid, size, chunk=min(c.max_read, 65536))
        if back != data:
            raise s.SmbError("read back %d bytes that differ from the %d written"
                             % (len(back), size))
        self.step = "query directory"
        root = c.open("", desired_access=s.FILE_LIST_DIRECTORY, options=s.FILE_DIRECTORY_FILE)
        entries = c.list_directory(root, name)
        c.close(root)
        if [e["name"] for e in entries] != [name] or entries[0]["end_of_file"] != size:
            raise s.SmbError("listing for %s: %r" % (name, [(e["name"], e["end_of_file"])
                                                            for e in entries]))
        self.step = "delete"
        st, _ = c.set_delete_on_close(fid)
        if st != s.STATUS_SUCCESS:
            raise s.SmbError("delete-on-close: %s" % s.status_name(st))
        c.close(fid)
        return size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--share", default="demo")
    ap.add_argument("--share-dir")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--sources", default="127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5")
    args = ap.parse_args()
    n = args.clients
    sources = args.sources.split(",")

    fds = raise_nofile(n + 256)
    if fds < n + 64:
        print("SKIP: this process may open only %d files, %d connections need more" % (fds, n))
        return 77
    threading.stack_size(512 * 1024)
    clients = [Client(i, args.port, args.share, sources[i % len(sources)]) for i in range(n)]
    logged_on = threading.Barrier(n + 1)
    worked = threading.Barrier(n + 1)
    written = [0] * n

    def run(cl):
        try:
            cl.logon()
        except (s.SmbError, OSError) as e:
            cl.fail(e)
        try:
            logged_on.wait(BARRIER_TIMEOUT)
        except threading.BrokenBarrierError:
            cl.fail("the others did not all log on in time")
        if cl.error is None:
            try:
                written[cl.i] = cl.work()
            except (s.SmbError, OSError) as e:
                cl.fail(e)
        try:
            worked.wait(BARRIER_TIMEOUT)
        except threading.BrokenBarrierError:
            cl.fail("the others did not all finish in time")
        if cl.c is not None:
            try:
                if cl.error is None:
                    cl.step = "logoff"
                    cl.c.logoff()
            except (s.SmbError, OSError) as e:
                cl.fail(e)
            cl.c.close_socket()

    print("%d clients from %s, RLIMIT_NOFILE %d" % (n, ", ".join(sources), fds), flush=True)
    t0 = time.monotonic()
    threads = [threading.Thread(target=run, args=(cl,), daemon=True) for cl in clients]
    for th in threads:
        th.start()
    try:
        logged_on.wait(BARRIER_TIMEOUT)
    except threading.BrokenBarrierError:
        pass
    t_logon = time.monotonic() - t0
    held = established(args.port)
    failed_logon = [cl for cl in clients if cl.error]
    R.check(not failed_logon, "%d clients logged on at once" % n,
            "%.1f s to log all on; the server holds %d established connections on its port"
            % (t_logon, held) if not failed_logon else
            "%d failed, first: %s" % (len(failed_logon), failed_logon[0].error))
    try:
        worked.wait(BARRIER_TIMEOUT)
    except threading.BrokenBarrierError:
        pass
    t_work = time.monotonic() - t0 - t_logon
    for th in threads:
        th.join(REPLY_TIMEOUT * 2)
    t_all = time.monotonic() - t0
    failed = [cl for cl in clients if cl.error]
    by_step = {}
    for cl in failed:
        by_step[cl.step] = by_step.get(cl.step, 0) + 1
    R.check(not failed, "%d clients: create, write, read back, compare, list, delete" % n,
            "%d bytes in all, %.1f s for the work, %.1f s from first connect to last logoff"
            % (sum(written), t_work, t_all) if not failed else
            "%d failed (%s), first: %s" % (len(failed), ", ".join(
                "%s %d" % kv for kv in sorted(by_step.items())), failed[0].error))
    for cl in failed[1:5]:
        print("     also: %s" % cl.error)
    if args.share_dir:
        left = [f for f in os.listdir(args.share_dir) if f.startswith("conn-")]
        R.check(not left, "no client file left in the share", "%d left" % len(left))
    try:
        R.check(True, "afterwards, a fresh client", fresh_client_check(args.port, tag="conn-after"))
    except (s.SmbError, OSError) as e:
        R.check(False, "afterwards, a fresh client", str(e))
    print("elapsed: log on %.1f s, work %.1f s, total %.1f s (2 cores, not judged)"
          % (t_logon, t_work, t_all))
    return R.summary("%d connections" % n)


if __name__ == "__main__":
    sys.exit(main())
