#!/usr/bin/env python3
"""Clients killed with SIGKILL in the middle of a 256 MiB read or write.

Each round starts one real client (the ringsmb command line or smbclient)
getting SHARE/big.bin or putting a 256 MiB file as up.bin, watches the
bytes moving on the server's socket (ss) and kills the client with
SIGKILL at a random point between 5% and 85% of the transfer. Then:

  - the server drops the connection (no socket of its port left
    established or in close-wait within 20 s);
  - nothing of the killed client stays open: big.bin opens with no
    sharing at all (share access 0, DELETE), and a half-written up.bin
    can be opened the same way and deleted (and is gone from the disk);
  - a fresh client logs on and moves data.

A control first shows that an open held by a live connection does make
the exclusive open fail (STATUS_SHARING_VIOLATION), so the check can see
a leaked open. At the end big.bin is unchanged (sha256).

    killclient.py --port P --share-dir D --ringsmb BIN --source FILE [--rounds 12]
"""

import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import REPLY_TIMEOUT, Report, fresh_client_check, login, s  # noqa: E402

R = Report()
SIZE = 256 << 20
STATUS_SHARING_VIOLATION = 0xC0000043


def server_socket_bytes(port):
    """(connections, bytes sent, bytes received) of the server's
    established sockets on port, from ss."""
    out = subprocess.run(["ss", "-Htni", "state", "established", "( sport = :%d )" % port],
                         capture_output=True, text=True, timeout=30).stdout
    conns = sum(1 for line in out.splitlines() if line and not line[0].isspace())
    sent = sum(int(x) for x in re.findall(r"bytes_sent:(\d+)", out))
    received = sum(int(x) for x in re.findall(r"bytes_received:(\d+)", out))
    return conns, sent, received


def held_sockets(port):
    """The server's sockets on port it has not closed: established, and
    close-wait (the peer is gone but the server still holds the socket)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "state", "close-wait",
                          "( sport = :%d )" % port],
                         capture_output=True, text=True, timeout=30).stdout
    return [line for line in out.splitlines() if line.strip()]


def wait_no_connections(port, limit=REPLY_TIMEOUT):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if not held_sockets(port):
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


def exclusive_open(port, name, delete=False):
    """Opens name with share access 0 (and deletes it when asked).
    Returns the status."""
    c = login(port)
    try:
        r = c.create(name, desired_access=s.GENERIC_READ | s.GENERIC_WRITE | s.DELETE,
                     share_access=0, options=s.FILE_DELETE_ON_CLOSE if delete else 0)
        if r.status == s.STATUS_SUCCESS:
            c.close(s.body_file_id(r.body))
        return r.status
    finally:
        c.close_socket()


def exclusive_open_soon(port, name, delete=False, limit=REPLY_TIMEOUT):
    """exclusive_open, retried while it meets STATUS_SHARING_VIOLATION: the
    server drops a lost connection's opens after closing its socket, not
    necessarily before. Returns (status, seconds waited)."""
    t0 = time.monotonic()
    first = True
    while True:
        st = exclusive_open(port, name, delete)
        if st != STATUS_SHARING_VIOLATION:
            return st, 0.0 if first else time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            return st, time.monotonic() - t0
        first = False
        time.sleep(0.05)


def control(port):
    """An open held elsewhere must make the exclusive open fail."""
    holder = login(port)
    try:
        fid = holder.open("big.bin", desired_access=s.GENERIC_READ)
        st = exclusive_open(port, "big.bin")
        holder.close(fid)
    finally:
        holder.close_socket()
    after = exclusive_open(port, "big.bin")
    R.check(st == STATUS_SHARING_VIOLATION and after == s.STATUS_SUCCESS,
            "control: a held open blocks the exclusive open",
            "held: %s; released: %s" % (s.status_name(st), s.status_name(after)))


def command(kind, args, port, work):
    url = "smb://127.0.0.1:%d/demo" % port
    unc = "//127.0.0.1/demo"
    if kind == "ringsmb get":
        return [args.ringsmb, "-q", "-N", "get", url + "/big.bin", os.path.join(work, "got.bin")]
    if kind == "ringsmb put":
        return [args.ringsmb, "-q", "-N", "put", args.source, url + "/up.bin"]
    if kind == "smbclient get":
        return ["smbclient", unc, "-p", str(port), "-N", "-c",
                "get big.bin %s" % os.path.join(work, "got.bin")]
    return ["smbclient", unc, "-p", str(port), "-N", "-c", "put %s up.bin" % args.source]


def one_round(k, kind, args, rng, work):
    frac = rng.uniform(0.05, 0.85)
    target = int(frac * SIZE)
    direction = 1 if kind.endswith("get") else 2  # index in server_socket_bytes
    base = server_socket_bytes(args.port)[direction]
    proc = subprocess.Popen(command(kind, args, args.port, work), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    moved, killed = 0, False
    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        if proc.poll() is not None:
            break
        moved = server_socket_bytes(args.port)[direction] - base
        if moved >= target:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.01)
    else:
        proc.send_signal(signal.SIGKILL)
        killed = True
    proc.wait()
    err = proc.stderr.read().decode(errors="replace").strip()
    label = "round %d: %s" % (k, kind)
    if not killed:
        R.check(proc.returncode == 0, label + " (finished before the kill point)",
                "exit %d after %d MiB %s" % (proc.returncode, moved >> 20, err[-200:]))
    gone = wait_no_connections(args.port)
    what = "killed at %d MiB of 256 (aimed at %.0f%%)" % (moved >> 20, frac * 100) if killed \
        else "completed"
    if gone is None:
        R.check(False, label, "%s; the server still holds its connection after %.0f s: %s"
                % (what, REPLY_TIMEOUT, "; ".join(held_sockets(args.port))))
        return
    problems = []
    notes = []
    st, waited = exclusive_open_soon(args.port, "big.bin")
    if st != s.STATUS_SUCCESS:
        problems.append("big.bin exclusive open: still %s %.0f s after the connection closed"
                        % (s.status_name(st), waited))
    elif waited:
        notes.append("big.bin's open released %.2f s after the connection closed" % waited)
    up = os.path.join(args.share_dir, "up.bin")
    if kind.endswith("put") and os.path.exists(up):
        half = os.path.getsize(up)
        st, waited = exclusive_open_soon(args.port, "up.bin", delete=True)
        if st != s.STATUS_SUCCESS:
            problems.append("up.bin (%d MiB) exclusive open + delete: still %s %.0f s after the "
                            "connection closed" % (half >> 20, s.status_name(st), waited))
        elif os.path.exists(up):
            problems.append("up.bin still on disk after delete-on-close")
        elif waited:
            notes.append("up.bin's open released %.2f s after the connection closed" % waited)
    try:
        fresh_client_check(args.port, tag="kill-after")
    except (s.SmbError, OSError) as e:
        problems.append("fresh client: %s" % e)
    R.check(not problems, label, "; ".join(problems) if problems else
            "%s; connection gone after %.2f s, no open left%s, a fresh client works"
            % (what, gone, " (%s)" % "; ".join(notes) if notes else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--share-dir", required=True)
    ap.add_argument("--ringsmb", required=True)
    ap.add_argument("--source", required=True, help="a 256 MiB file to put")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("HOSTILE_SEED", 20261121)))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = os.path.dirname(os.path.abspath(args.source))
    big = os.path.join(args.share_dir, "big.bin")
    with open(big, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()

    control(args.port)
    kinds = ["ringsmb get", "ringsmb put"]
    if shutil.which("smbclient"):
        kinds += ["smbclient get", "smbclient put"]
    else:
        print("(smbclient not installed: ringsmb only)")
    plan = [kinds[k % len(kinds)] for k in range(args.rounds)]
    rng.shuffle(plan)
    print("seed %d: %s" % (args.seed, ", ".join(plan)), flush=True)
    t0 = time.monotonic()
    for k, kind in enumerate(plan, 1):
        one_round(k, kind, args, rng, work)
    with open(big, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    R.check(got == want, "big.bin unchanged on disk after every round", "sha256 %s" % got[:16])
    print("%d rounds in %.1f s" % (args.rounds, time.monotonic() - t0))
    return R.summary("killed clients")


if __name__ == "__main__":
    sys.exit(main())
