#!/usr/bin/env python3
"""The server killed while clients write: what a FLUSH acknowledged must
be on disk.

Each round starts ringsmbd, and two raw clients each write their own file
from offset 0 upwards in batches: 1-8 WRITEs at once (4 KiB, 64 KiB,
200,000 bytes or 1 MiB, as the server's maximum allows), then a FLUSH.
Every byte's content is a function of the round, the writer and the
offset. When the writers have sent a random 10-90% of their 32 MiB, the
server is killed: SIGKILL in two rounds of three, SIGTERM in every third (then it
must exit with status 0). Then the files are read straight from the disk:

  - every byte written before a FLUSH that returned STATUS_SUCCESS is
    there with the right contents;
  - no byte anywhere is wrong: each is either the right one or zero (not
    written yet);
  - after SIGTERM, every WRITE the server acknowledged is there too (a
    clean stop loses nothing it answered); after SIGKILL, how many
    acknowledged but unflushed bytes survived is printed, not judged.

A last server start then serves a fresh client and reads a file back
through SMB identical to the disk.

    durability.py --ringsmbd BIN --share-dir D --work W [--rounds 9]
"""

import argparse
import hashlib
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import REPLY_TIMEOUT, Report, fresh_client_check, login, s  # noqa: E402

R = Report()
PER_WRITER = 32 << 20
SIZES = [4096, 65536, 200000, 1 << 20]


class Server:
    def __init__(self, binary, share_dir, work, tag):
        self.log_path = os.path.join(work, "server-%s.log" % tag)
        port_file = os.path.join(work, "port-%s" % tag)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--port-file", port_file,
                                      "--share", "demo=%s" % share_dir, "--guest"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        while not (os.path.exists(port_file) and os.path.getsize(port_file)):
            if self.proc.poll() is not None or time.monotonic() - t0 > REPLY_TIMEOUT:
                raise RuntimeError("ringsmbd did not start: %s" % self.tail())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())
        os.unlink(port_file)

    def tail(self, n=15):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return b"".join(f.readlines()[-n:]).decode(errors="replace")

    def stop(self, sig):
        """Sends sig and waits; returns the exit status (negative: signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(REPLY_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "still running %.0f s after the signal" % REPLY_TIMEOUT
        finally:
            self.log.close()


class Writer(threading.Thread):
    def __init__(self, port, name, content, rng, stopping):
        super().__init__(daemon=True)
        self.stopping = stopping  # set just before the server gets its signal
        self.port = port
        self.name = name
        self.content = content
        self.rng = rng
        self.sent = 0          # bytes handed to the socket
        self.acked = []        # (offset, length) of WRITEs answered STATUS_SUCCESS
        self.flushed = 0       # everything below was written before a FLUSH succeeded
        self.flushes = 0
        self.error = None      # an unexpected failure while the server lived
        self.ended = ""        # how the writing ended

    def run(self):
        try:
            c = login(self.port)
            fid = c.open(self.name, desired_access=s.GENERIC_READ | s.GENERIC_WRITE,
                         disposition=s.FILE_OVERWRITE_IF)
        except (s.SmbError, OSError) as e:
            self.error = "setup: %s" % e
            return
        pos = 0
        try:
            while pos < PER_WRITER:
                mids = {}
                for _ in range(self.rng.randint(1, 8)):
                    n = min(self.rng.choice(SIZES), c.max_write, PER_WRITER - pos)
                    if n <= 0:
                        break
                    msg = c.build(s.WRITE, s.write_body(fid, pos, self.content[pos:pos + n]),
                                  payload=n)
                    mids[struct.unpack_from("<Q", msg, 24)[0]] = (pos, n)
                    c.send_message(msg)
                    pos += n
                    self.sent = pos
                while mids:
                    for m in s.split_messages(c.recv_frame()):
                        c.credits += m.hdr.credits
                        if m.hdr.message_id not in mids or c._interim(m):
                            continue
                        off, n = mids.pop(m.hdr.message_id)
                        if m.status != s.STATUS_SUCCESS:
                            raise AssertionError("WRITE at %d: %s" % (off, s.status_name(m.status)))
                        count = struct.unpack_from("<I", m.body, 4)[0]
                        if count != n:
                            raise AssertionError("WRITE at %d wrote %d of %d" % (off, count, n))
                        self.acked.append((off, n))
                r = c.flush(fid)
                if r.status != s.STATUS_SUCCESS:
                    raise AssertionError("FLUSH: %s" % s.status_name(r.status))
                self.flushed = pos
                self.flushes += 1
            self.ended = "wrote all %d MiB" % (PER_WRITER >> 20)
        except (s.ConnectionClosed, s.Timeout, ConnectionError, OSError) as e:
            self.ended = "connection lost (%s)" % e.__class__.__name__
        except (AssertionError, s.SmbError) as e:
            if self.stopping.is_set():
                # A server that is stopping may refuse what is in flight.
                self.ended = "refused while the server stopped (%s)" % e
            else:
                self.error = str(e)
        finally:
            c.close_socket()


def check_file(path, content, w, strict_acked):
    """Problems with the file on disk; and the acked-unflushed bytes seen."""
    problems = []
    try:
        with open(path, "rb") as f:
            disk = f.read()
    except OSError as e:
        return ["cannot read %s: %s" % (path, e)], 0
    if len(disk) < w.flushed:
        problems.append("%d bytes on disk, %d were flushed" % (len(disk), w.flushed))
    n = min(len(disk), w.flushed)
    if disk[:n] != content[:n]:
        bad = next(i for i in range(n) if disk[i] != content[i])
        problems.append("flushed byte %d differs (0x%02x, want 0x%02x)" % (bad, disk[bad],
                                                                           content[bad]))
    # Beyond: each byte right or zero (never written), nothing else.
    tail = disk[w.flushed:]
    want = content[w.flushed:w.flushed + len(tail)]
    if len(disk) > len(content):
        problems.append("%d bytes on disk, more than were ever written" % len(disk))
    elif tail != want:
        step = 4096
        for b in range(0, len(tail), step):
            got, exp = tail[b:b + step], want[b:b + step]
            if got == exp or not any(got):
                continue
            i = next(i for i in range(len(got)) if got[i] != exp[i] and got[i] != 0)
            problems.append("byte %d past the flushed part is 0x%02x: neither the data "
                            "written there (0x%02x) nor zero" % (w.flushed + b + i, got[i],
                                                                 exp[i]))
            break
    survived = 0
    for off, ln in w.acked:
        if off + ln <= w.flushed:
            continue
        ok = disk[off:off + ln] == content[off:off + ln]
        if ok:
            survived += ln
        elif strict_acked:
            problems.append("acknowledged WRITE at %d (%d bytes) is not on disk after SIGTERM"
                            % (off, ln))
            break
    return problems, survived


def one_round(r, sig, args, rng):
    tag = "round%d" % r
    try:
        srv = Server(args.ringsmbd, args.share_dir, args.work, tag)
    except RuntimeError as e:
        R.check(False, "round %d: start" % r, str(e))
        return
    writers = []
    stopping = threading.Event()
    for w in range(2):
        name = "dur-%d-%d.bin" % (r, w)
        content = hashlib.shake_256(b"round %d writer %d" % (r, w)).digest(PER_WRITER)
        writers.append(Writer(srv.port, name, content, random.Random(rng.random()), stopping))
    frac = rng.uniform(0.1, 0.9)
    target = int(frac * 2 * PER_WRITER)
    t0 = time.monotonic()
    for w in writers:
        w.start()
    while sum(w.sent for w in writers) < target and any(w.is_alive() for w in writers) \
            and time.monotonic() - t0 < 120:
        time.sleep(0.002)
    at = sum(w.sent for w in writers)
    stopping.set()
    rc = srv.stop(sig)
    for w in writers:
        w.join(REPLY_TIMEOUT * 2)
    signame = "SIGKILL" if sig == signal.SIGKILL else "SIGTERM"
    label = "round %d: %s after %d of %d MiB sent (aimed at %.0f%%)" % (
        r, signame, at >> 20, (2 * PER_WRITER) >> 20, frac * 100)
    problems = []
    if sig == signal.SIGTERM and rc != 0:
        problems.append("ringsmbd exit status %s after SIGTERM: %s" % (rc, srv.tail(5)))
    details = []
    for w in writers:
        if w.error:
            problems.append("%s: %s" % (w.name, w.error))
        p, survived = check_file(os.path.join(args.share_dir, w.name), w.content, w,
                                 sig == signal.SIGTERM)
        problems += ["%s: %s" % (w.name, x) for x in p]
        unflushed = sum(n for off, n in w.acked if off + n > w.flushed)
        details.append("%s %d flushes, %.1f MiB flushed, %.1f MiB acknowledged after the last "
                       "flush of which %.1f on disk, %s" % (
                           w.name, w.flushes, w.flushed / 2 ** 20, unflushed / 2 ** 20,
                           survived / 2 ** 20, w.ended))
    R.check(not problems, label, "; ".join(problems) if problems else
            "every flushed byte on disk, nothing wrong past it")
    for d in details:
        print("     " + d)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringsmbd", required=True)
    ap.add_argument("--share-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("HOSTILE_SEED", 20261121)))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print("seed %d" % args.seed, flush=True)
    t0 = time.monotonic()
    # SIGTERM in every third round, SIGKILL otherwise.
    for r in range(1, args.rounds + 1):
        one_round(r, signal.SIGTERM if r % 3 == 0 else signal.SIGKILL, args, rng)
        for w in range(2):  # keep the disk use of the run bounded
            p = os.path.join(args.share_dir, "dur-%d-%d.bin" % (r - 1, w))
            if os.path.exists(p):
                os.unlink(p)
    srv = Server(args.ringsmbd, args.share_dir, args.work, "last")
    try:
        R.check(True, "a server started afterwards serves a fresh client",
                fresh_client_check(srv.port, tag="dur-after"))
        name = "dur-%d-0.bin" % args.rounds
        with open(os.path.join(args.share_dir, name), "rb") as f:
            disk = f.read()
        c = login(srv.port)
        fid = c.open(name)
        back = c.read_all(fid, len(disk))
        c.close(fid)
        c.close_socket()
        R.check(back == disk, "%s read through SMB equals the disk" % name,
                "%d bytes" % len(disk))
    except (s.SmbError, OSError) as e:
        R.check(False, "a server started afterwards", str(e))
    rc = srv.stop(signal.SIGTERM)
    R.check(rc == 0, "the last server stops cleanly on SIGTERM", "exit status %s" % rc)
    print("%d rounds in %.1f s" % (args.rounds, time.monotonic() - t0))
    return R.summary("durability")


if __name__ == "__main__":
    sys.exit(main())
