#!/usr/bin/env python3
"""Path confinement: no request may reach a file outside the share.

confinement.sh lays out, before the server starts (OUT is a sibling of the
share whose name starts with the share's own name, to catch prefix checks):

    SHARE/inside.txt            a plain file (INSIDE_CONTENT)
    SHARE/mv_src.txt            a file the rename attempts try to move out
    SHARE/sub/f.txt             a file in a subdirectory
    SHARE/legit -> inside.txt   legitimate relative symlinks that stay inside
    SHARE/sub/up_legit -> ../inside.txt
    SHARE/legit_dir -> sub
    SHARE/escape -> ../OUT       symlinks that leave the share
    SHARE/escape_abs -> /abs/OUT
    SHARE/escape_file -> ../OUT/secret.txt
    SHARE/escape_file2 -> ../OUT/secret.txt
    SHARE/etc_link -> /etc
    SHARE/dangle -> ../OUT/dangle_target.txt        (does not exist)
    SHARE/dangle_abs -> /abs/OUT/dangle_abs_target.txt
    OUT/secret.txt, OUT/subdir/deeper.txt

Then, through the raw client, every CREATE / RENAME / QUERY_DIRECTORY that
would touch OUT or /etc must fail (any error status; the one received is
printed), the listing of the share root must not show OUT's entries or
metadata, OUT must be byte-for-byte and metadata-for-metadata unchanged
afterwards, and the legitimate symlinks must still work.

    confinement.py --port PORT --share-dir SHARE --outside OUT
"""

import argparse
import hashlib
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smb2raw as s  # noqa: E402

INSIDE_CONTENT = b"inside the share\n"
FAILURES = []
N_OK = [0]
PROBE = "ringsmb-confinement-probe-%d" % os.getpid()


def report(ok, name, detail):
    line = "%-4s %s: %s" % ("ok" if ok else "FAIL", name, detail)
    print(line, flush=True)
    if ok:
        N_OK[0] += 1
    else:
        FAILURES.append(line)


def snapshot(root):
    """Everything about a tree that a confinement breach could change:
    names, types, sizes, modes, owners, mtimes and ctimes, contents,
    symlink targets and xattrs (atime is left out: reads may touch it)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [""] + dirnames + filenames:
            p = os.path.join(dirpath, name) if name else dirpath
            rel = os.path.relpath(p, root)
            if name == "" and rel != ".":
                continue  # each directory is recorded by its parent
            st = os.lstat(p)
            rec = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                   st.st_size, st.st_nlink, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    rec += (hashlib.sha256(f.read()).hexdigest(),)
            elif stat.S_ISLNK(st.st_mode):
                rec += (os.readlink(p),)
            try:
                xa = sorted((k, os.getxattr(p, k, follow_symlinks=False))
                            for k in os.listxattr(p, follow_symlinks=False))
            except OSError:
                xa = []
            rec += (tuple(xa),)
            out[rel] = rec
    return out


def diff(before, after):
    lines = []
    for k in sorted(set(before) | set(after)):
        if k not in after:
            lines.append("removed %s" % k)
        elif k not in before:
            lines.append("added %s" % k)
        elif before[k] != after[k]:
            lines.append("changed %s: %r -> %r" % (k, before[k], after[k]))
    return lines


class Checker:
    def __init__(self, conn, outside, share_dir):
        self.c = conn
        self.outside = outside
        self.share_dir = share_dir

    def must_fail_create(self, name, why, desired_access=s.GENERIC_READ,
                         disposition=s.FILE_OPEN, options=0, want=None):
        """CREATE must fail; want: the one status required (else any error)."""
        st, body = self.c.create(name, desired_access=desired_access, disposition=disposition,
                                 options=options)
        label = "CREATE %r (%s)" % (name, why)
        if st == s.STATUS_SUCCESS:
            fid = s.body_file_id(body)
            detail = "SUCCEEDED: " + self.describe_open(fid)
            self.c.close(fid)
            report(False, label, detail)
            return
        if want is not None and st != want:
            report(False, label, "want %s, got %s" % (s.status_name(want), s.status_name(st)))
            return
        report(True, label, "refused with %s" % s.status_name(st))

    def describe_open(self, fid):
        """What a handle that should not exist points at."""
        st, buf = self.c.query_info(fid, s.INFO_FILE, s.FILE_STANDARD_INFORMATION)
        parts = []
        if st == s.STATUS_SUCCESS and len(buf) >= 24:
            eof = int.from_bytes(buf[8:16], "little")
            parts.append("EndOfFile %d%s" % (eof, ", a directory" if buf[23] else ""))
            if not buf[23] and eof:
                st2, data = self.c.read(fid, 0, min(eof, 64))
                if st2 == s.STATUS_SUCCESS:
                    parts.append("content starts %r" % data[:40])
        return "; ".join(parts) or "opened"

    def must_fail_rename(self, fid, target, why, replace=False):
        st, _ = self.c.rename(fid, target, replace)
        label = "RENAME mv_src.txt -> %r (%s)" % (target, why)
        if st == s.STATUS_SUCCESS:
            report(False, label, "SUCCEEDED")
            # Try to put it back so later checks still have their source.
            back = self.c.rename(fid, "mv_src.txt", False)
            if back.status != s.STATUS_SUCCESS:
                print("     (could not rename it back: %s)" % s.status_name(back.status))
            return
        report(True, label, "refused with %s" % s.status_name(st))


def race(c, share_dir, rounds=300):
    """SHARE/race flips (atomically, by rename) between a symlink to a
    directory inside the share and one to the outside directory while the
    client creates files and renames into race\\. Whatever lands must land
    inside; the outside snapshot taken at the end catches anything else."""
    import threading
    link = os.path.join(share_dir, "race")
    tmp = os.path.join(share_dir, ".race-tmp")
    os.makedirs(os.path.join(share_dir, "race_real"), exist_ok=True)
    os.symlink("race_real", link)
    stop = threading.Event()

    def flipper():
        targets = ("race_real", "../share-outside")
        i = 0
        while not stop.is_set():
            i += 1
            try:
                os.symlink(targets[i % 2], tmp)
                os.replace(tmp, link)
            except OSError:
                pass

    th = threading.Thread(target=flipper, daemon=True)
    th.start()
    created = renamed = 0
    try:
        for i in range(rounds):
            st, body = c.create("race\\new-%d.txt" % i, desired_access=s.GENERIC_READ
                                | s.GENERIC_WRITE | s.DELETE, disposition=s.FILE_CREATE)
            if st == s.STATUS_SUCCESS:
                created += 1
                f = s.body_file_id(body)
                c.write(f, 0, b"x")
                if c.rename(f, "race\\moved-%d.txt" % i).status == s.STATUS_SUCCESS:
                    renamed += 1
                c.close(f)
    finally:
        stop.set()
        th.join()
        for p in (tmp,):
            if os.path.lexists(p):
                os.unlink(p)
    inside = len(os.listdir(os.path.join(share_dir, "race_real")))
    report(inside == created, "race: symlink flipped inside/outside during %d CREATEs" % rounds,
           "%d created, %d renamed, %d files in race_real (all inside)"
           % (created, renamed, inside) if inside == created else
           "%d created but %d files in race_real: some went elsewhere" % (created, inside))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--share-dir", required=True)
    ap.add_argument("--outside", required=True)
    ap.add_argument("--share", default="demo")
    args = ap.parse_args()
    out_name = os.path.basename(os.path.normpath(args.outside))
    etc_probe = os.path.join("/etc", PROBE)

    before = snapshot(args.outside)
    parent = os.path.dirname(os.path.normpath(args.outside))
    probes = [p for p in (etc_probe, "/tmp/moved", os.path.join(parent, "moved"),
                          os.path.join(parent, "new.txt"), os.path.join(parent, "secret"))
              if not os.path.lexists(p)]
    outside_ids = {os.lstat(os.path.join(args.outside, rel)).st_ino: rel for rel in before}
    work_ino = os.stat(os.path.dirname(os.path.normpath(args.share_dir))).st_ino
    etc_ids = {os.stat("/etc").st_ino: "/etc"}
    if os.path.exists("/etc/passwd"):
        etc_ids[os.stat("/etc/passwd").st_ino] = "/etc/passwd"

    c = s.Connection("127.0.0.1", args.port, timeout=10)
    c.login("\\\\127.0.0.1\\%s" % args.share)
    ck = Checker(c, args.outside, args.share_dir)
    RW = s.GENERIC_READ | s.GENERIC_WRITE

    # --- reading outside ----------------------------------------------------
    ck.must_fail_create("\\secret", "leading backslash", want=s.STATUS_INVALID_PARAMETER)
    ck.must_fail_create("\\%s\\secret.txt" % out_name, "leading backslash",
                        want=s.STATUS_INVALID_PARAMETER)
    for name, why in [
        ("..\\secret", "dot-dot"),
        ("..\\%s\\secret.txt" % out_name, "dot-dot to the sibling"),
        ("a\\..\\..\\secret", "dot-dot after a component"),
        ("sub\\..\\..\\%s\\secret.txt" % out_name, "dot-dot through a real directory"),
        ("..\\..\\..\\..\\..\\..\\etc\\passwd", "many dot-dots"),
        ("..", "the parent itself"),
        (".\\..\\secret", "dot then dot-dot"),
        ("/etc/passwd", "absolute POSIX path"),
        ("..//%s/secret.txt" % out_name, "forward slashes"),
        ("C:\\etc\\passwd", "drive letter"),
        ("\\\\127.0.0.1\\demo\\..\\secret", "UNC in the name"),
        ("escape\\secret.txt", "through a relative symlink to the outside dir"),
        ("ESCAPE\\SECRET.TXT", "same, other case"),
        ("escape_abs\\secret.txt", "through an absolute symlink to the outside dir"),
        ("escape\\subdir\\deeper.txt", "two levels through the symlink"),
        ("escape_file", "symlink to the outside file"),
        ("Escape_File", "same, other case"),
        ("escape_file:", "empty stream of the outside file"),
        ("escape_file::$DATA", "default stream of the outside file"),
        ("escape_file:s1", "named stream of the outside file"),
        ("etc_link\\passwd", "through an absolute symlink to /etc"),
        ("etc_link\\.\\passwd", "same with a dot"),
        ("ETC_LINK\\PASSWD", "same, other case"),
        ("etc_link\\..\\etc\\passwd", "symlink then dot-dot"),
        ("dangle", "dangling symlink to the outside"),
    ]:
        ck.must_fail_create(name, why)
    ck.must_fail_create("escape_file", "opened as a reparse point",
                        options=s.FILE_OPEN_REPARSE_POINT)
    ck.must_fail_create("escape_file", "with DELETE_ON_CLOSE",
                        desired_access=s.GENERIC_READ | s.DELETE, options=s.FILE_DELETE_ON_CLOSE)
    ck.must_fail_create("escape_file", "for writing", desired_access=RW)

    # Directories outside: opening them (the way to list them) must fail.
    for name, why in [("escape", "symlink to the outside dir"),
                      ("escape\\", "same, trailing backslash"),
                      ("escape_abs", "absolute symlink to the outside dir"),
                      ("escape\\subdir", "a directory inside it"),
                      ("etc_link", "symlink to /etc"),
                      ("..", "the parent")]:
        ck.must_fail_create(name, why + ", as a directory", desired_access=s.FILE_LIST_DIRECTORY
                            | s.FILE_READ_ATTRIBUTES, options=s.FILE_DIRECTORY_FILE)

    # --- creating / overwriting outside -------------------------------------
    for name, disp, opts, why in [
        ("escape\\new.txt", s.FILE_CREATE, 0, "new file through the dir symlink"),
        ("escape\\new.txt", s.FILE_OPEN_IF, 0, "open-if through the dir symlink"),
        ("escape_abs\\new.txt", s.FILE_OVERWRITE_IF, 0, "overwrite-if through the abs symlink"),
        ("escape\\secret.txt", s.FILE_OVERWRITE_IF, 0, "truncating the secret"),
        ("escape\\secret.txt", s.FILE_SUPERSEDE, 0, "superseding the secret"),
        ("escape_file", s.FILE_OVERWRITE, 0, "overwriting via the file symlink"),
        ("escape_file", s.FILE_OVERWRITE_IF, 0, "overwrite-if via the file symlink"),
        ("escape_file", s.FILE_SUPERSEDE, 0, "superseding via the file symlink"),
        ("escape_file:evil", s.FILE_OPEN_IF, 0, "new stream (xattr) on the outside file"),
        ("escape\\subdir\\new.txt", s.FILE_CREATE, 0, "two levels down"),
        ("..\\%s\\new.txt" % out_name, s.FILE_CREATE, 0, "dot-dot to the sibling"),
        ("..\\new.txt", s.FILE_CREATE, 0, "dot-dot"),
        ("dangle", s.FILE_OPEN_IF, 0, "dangling symlink, open-if"),
        ("dangle", s.FILE_OVERWRITE_IF, 0, "dangling symlink, overwrite-if"),
        ("dangle", s.FILE_SUPERSEDE, 0, "dangling symlink, supersede"),
        ("dangle_abs", s.FILE_OPEN_IF, 0, "absolute dangling symlink, open-if"),
        ("escape\\newdir", s.FILE_CREATE, s.FILE_DIRECTORY_FILE, "new directory outside"),
        ("escape_abs\\newdir", s.FILE_OPEN_IF, s.FILE_DIRECTORY_FILE, "new directory outside"),
        ("etc_link\\" + PROBE, s.FILE_CREATE, 0, "new file in /etc"),
        ("etc_link\\" + PROBE, s.FILE_CREATE, s.FILE_DIRECTORY_FILE, "new directory in /etc"),
    ]:
        ck.must_fail_create(name, why, desired_access=RW | s.DELETE, disposition=disp,
                            options=opts)

    # --- renames out of the share ---------------------------------------------
    fid = c.open("mv_src.txt", desired_access=s.GENERIC_READ | s.DELETE)
    for target, why in [
        ("escape\\moved", "into the dir symlink"),
        ("escape_abs\\moved", "into the absolute dir symlink"),
        ("escape\\subdir\\moved", "two levels down"),
        ("..\\moved", "dot-dot"),
        ("..\\%s\\moved" % out_name, "dot-dot to the sibling"),
        ("\\..\\moved", "leading backslash then dot-dot"),
        ("sub\\..\\..\\moved", "dot-dot through a real directory"),
        ("/tmp/moved", "absolute POSIX path"),
        ("etc_link\\" + PROBE, "into /etc"),
        ("escape\\secret.txt", "onto the outside secret"),
    ]:
        ck.must_fail_rename(fid, target, why)
    ck.must_fail_rename(fid, "escape\\secret.txt", "onto the outside secret, replacing",
                        replace=True)
    # A hard link (FileLinkInformation, MS-FSCC 2.4.27.2; same layout as rename).
    for target in ("escape\\linked", "..\\linked", "etc_link\\" + PROBE):
        st, _ = c.set_info(fid, s.INFO_FILE, 11, s.rename_info(target))
        report(st != s.STATUS_SUCCESS, "LINK mv_src.txt -> %r" % target,
               "SUCCEEDED" if st == s.STATUS_SUCCESS else "refused with %s" % s.status_name(st))
    c.close(fid)

    race(c, args.share_dir)

    # --- listings ---------------------------------------------------------------
    root = c.open("", desired_access=s.FILE_LIST_DIRECTORY | s.FILE_READ_ATTRIBUTES,
                  options=s.FILE_DIRECTORY_FILE)
    for info_class in (s.FILE_ID_BOTH_DIRECTORY_INFORMATION, s.FILE_BOTH_DIRECTORY_INFORMATION,
                       s.FILE_ID_FULL_DIRECTORY_INFORMATION):
        entries = c.list_directory(root, "*", info_class)
        names = sorted(e["name"] for e in entries)
        problems = []
        outside_names = {os.path.basename(r) for r in before if r != "."}
        for e in entries:
            if e["name"] in outside_names:
                problems.append("entry %r is a name from outside" % e["name"])
            fidn = e.get("file_id")
            if fidn in outside_ids:
                problems.append("%r shows the file id of outside %r" % (e["name"],
                                                                        outside_ids[fidn]))
            if fidn in etc_ids:
                problems.append("%r shows the file id of %s" % (e["name"], etc_ids[fidn]))
            if e["name"] == ".." and fidn == work_ino:
                problems.append("'..' shows the real parent directory (outside the share)")
            if e["name"] in ("escape_file", "escape_file2") and \
                    e["end_of_file"] == os.path.getsize(os.path.join(args.outside, "secret.txt")):
                problems.append("%r shows the size of the outside secret" % e["name"])
        # Timestamps: OUT's objects were given distinctive mtimes.
        secret_mt = os.stat(os.path.join(args.outside, "secret.txt")).st_mtime_ns
        out_mt = os.stat(args.outside).st_mtime_ns
        for e in entries:
            mt_ns = (e["last_write_time"] - 116444736000000000) * 100
            if mt_ns in (secret_mt, out_mt) and e["name"] not in (".",):
                problems.append("%r shows the last-write time of an outside object" % e["name"])
        shown = [n for n in names if n.startswith(("escape", "etc_link", "dangle"))]
        report(not problems, "QUERY_DIRECTORY share root, class %d" % info_class,
               "; ".join(problems) if problems else
               "%d entries, none from outside; escaping symlinks listed: %s"
               % (len(entries), ", ".join(shown) or "none"))
    for pattern in ("secret.txt", "deeper.txt", "escape\\*", "..\\*", "..\\%s" % out_name,
                    "etc_link\\passwd"):
        st, buf = c.query_directory(root, pattern, s.FILE_ID_BOTH_DIRECTORY_INFORMATION,
                                    s.SMB2_RESTART_SCANS)
        label = "QUERY_DIRECTORY share root, pattern %r" % pattern
        if st == s.STATUS_SUCCESS:
            got = [e["name"] for e in s.parse_dir_entries(buf)]
            report(False, label, "SUCCEEDED, listed %s" % got)
        else:
            report(True, label, "refused with %s" % s.status_name(st))
    c.close(root)

    # --- the legitimate symlinks still work ------------------------------------
    for name in ("legit", "sub\\up_legit", "legit_dir\\f.txt", "inside.txt"):
        st, body = c.create(name, desired_access=s.GENERIC_READ)
        if st != s.STATUS_SUCCESS:
            report(False, "inside symlink %r" % name, "CREATE got %s" % s.status_name(st))
            continue
        f = s.body_file_id(body)
        st, data = c.read(f, 0, 4096)
        c.close(f)
        want = INSIDE_CONTENT if name != "legit_dir\\f.txt" else b"sub/f.txt\n"
        report(st == s.STATUS_SUCCESS and data == want, "inside symlink %r" % name,
               "read %r" % data if st == s.STATUS_SUCCESS else s.status_name(st))
    d = c.open("legit_dir", desired_access=s.FILE_LIST_DIRECTORY, options=s.FILE_DIRECTORY_FILE)
    names = sorted(e["name"] for e in c.list_directory(d))
    c.close(d)
    report("f.txt" in names, "inside symlink 'legit_dir' listed", ", ".join(names))

    # Replacing an escaping symlink itself (an object inside the share) by a
    # rename may succeed or not; either way the outside file is untouched.
    fid = c.open("mv_src.txt", desired_access=s.GENERIC_READ | s.DELETE)
    st, _ = c.rename(fid, "escape_file2", replace=True)
    c.close(fid)
    if st == s.STATUS_SUCCESS:
        ok = not os.path.islink(os.path.join(args.share_dir, "escape_file2"))
        report(ok, "RENAME over the escaping symlink 'escape_file2' (replace)",
               "succeeded: the link itself was replaced" if ok else
               "succeeded, but the link is still there")
    else:
        report(True, "RENAME over the escaping symlink 'escape_file2' (replace)",
               "refused with %s" % s.status_name(st))

    # --- nothing outside changed -----------------------------------------------
    after = snapshot(args.outside)
    changes = diff(before, after)
    report(not changes, "outside directory unchanged",
           "; ".join(changes) if changes else "%d objects, same names, metadata and sha256"
           % len(after))
    for p in probes:
        if os.path.lexists(p):
            report(False, "nothing created outside", "%s exists" % p)
            if p == etc_probe:
                try:
                    os.rmdir(p) if os.path.isdir(p) else os.unlink(p)
                except OSError:
                    pass

    print("%d ok, %d failed" % (N_OK[0], len(FAILURES)))
    if FAILURES:
        print("failures:")
        for f in FAILURES:
            print("  " + f)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
