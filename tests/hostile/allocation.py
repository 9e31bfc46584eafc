"""SET_INFO FileAllocationInformation against a 64 MiB share (allocation.sh):
MS-FSA 2.1.5.14.1 reserves space beyond the end of file. More than the
file system has must fail with STATUS_DISK_FULL and leave the space free."""

import argparse
import os
import struct
import sys

from hostile import s, Report

STATUS_DISK_FULL = 0xC000007F
FILE_ALLOCATION_INFORMATION = 19
MiB = 1 << 20


def used(path):
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def login(port):
    c = s.Connection("127.0.0.1", port)
    c.negotiate()
    c.session_setup_anonymous()
    c.tree_connect(r"\\127.0.0.1\demo")
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--share-dir", required=True)
    a = ap.parse_args()
    rep = Report()
    c = login(a.port)
    r = c.create("big.bin", desired_access=s.GENERIC_READ | s.GENERIC_WRITE,
                 disposition=s.FILE_OVERWRITE_IF)
    fid = s.body_file_id(r.body)
    before = used(a.share_dir)
    r = c.set_info(fid, 1, FILE_ALLOCATION_INFORMATION, struct.pack("<Q", 100 * MiB))
    rep.check(r.status == STATUS_DISK_FULL, "100 MiB on a 64 MiB file system: STATUS_DISK_FULL",
              s.status_name(r.status))
    rep.check(used(a.share_dir) - before < MiB, "and nothing is reserved",
              "%d bytes more in use" % (used(a.share_dir) - before))
    r = c.set_info(fid, 1, FILE_ALLOCATION_INFORMATION, struct.pack("<Q", 1 << 62))
    rep.check(r.status == STATUS_DISK_FULL, "2^62 bytes: STATUS_DISK_FULL", s.status_name(r.status))
    r = c.set_info(fid, 1, FILE_ALLOCATION_INFORMATION, struct.pack("<Q", 16 * MiB))
    rep.check(r.status == s.STATUS_SUCCESS, "16 MiB: reserved", s.status_name(r.status))
    rep.check(used(a.share_dir) - before >= 16 * MiB, "the file system shows it",
              "%d MiB more in use" % ((used(a.share_dir) - before) // MiB))
    other = login(a.port)
    r = other.create("other.bin", desired_access=s.GENERIC_READ | s.GENERIC_WRITE,
                     disposition=s.FILE_OVERWRITE_IF)
    ofid = s.body_file_id(r.body)
    st, _ = other.write(ofid, 0, b"x" * (8 * MiB if other.max_write >= 8 * MiB else other.max_write))
    rep.check(st == s.STATUS_SUCCESS, "another client still writes", s.status_name(st))
    other.close(ofid)
    r = c.set_info(fid, 1, FILE_ALLOCATION_INFORMATION, struct.pack("<Q", 0))
    rep.check(r.status == s.STATUS_SUCCESS, "allocation 0 gives the space back", s.status_name(r.status))
    c.close(fid)
    rep.check(used(a.share_dir) - before < 9 * MiB, "the space is free again",
              "%d MiB more in use" % ((used(a.share_dir) - before) // MiB))
    sys.exit(rep.summary("allocation"))


if __name__ == "__main__":
    main()
