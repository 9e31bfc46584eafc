#!/usr/bin/env python3
"""Hostile names: path escapes, symlinks out of the share, invalid UTF-16,
reserved device names and stream syntax, against ringsmbd and (when given)
Samba's smbd side by side.

names.sh lays out the same tree in each server's share (SHARE is the share
directory, OUT a sibling outside every share):

    SHARE/file.txt                   "inside the share\\n"
    SHARE/dir/in.txt                 "dir/in.txt\\n"
    SHARE/link_file -> ../outside/secret.txt       relative, escaping
    SHARE/link_dir -> ../outside                   relative, escaping
    SHARE/abs_link_file -> OUT/secret.txt          absolute, escaping
    SHARE/abs_link_dir -> OUT                      absolute, escaping
    OUT/secret.txt, OUT/sub/deep.txt               never to be served

Each case is one request (mostly a CREATE) sent to every server; the line
printed gives ringsmbd's status, Samba's, and what the specification (or a
Windows-verified smbtorture test) requires. ringsmbd must give a status in
the allowed set; where the reference leaves room the set has several and
the two servers are only compared. Samba's status never fails the test.
Afterwards: OUT is unchanged (names, contents, modes, times, xattrs), its
files were not read (atime, when the file system keeps it), nothing
appeared next to the shares, and the share holds exactly what the cases
created.

    names.py --port P --share-dir D --outside OUT [--samba-port P2 --samba-dir D2]
"""

import argparse
import hashlib
import os
import stat
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import HOST, REPLY_TIMEOUT, Report, s  # noqa: E402

R = Report()
INSIDE = b"inside the share\n"
IN_TXT = b"dir/in.txt\n"

STATUS_ILLEGAL_CHARACTER = 0xC0000161
STATUS_BAD_NETWORK_NAME = 0xC00000CC
STATUS_FILE_IS_A_DIRECTORY = 0xC00000BA
STATUS_NOT_A_DIRECTORY = 0xC0000103
STATUS_ACCESS_DENIED = 0xC0000022
STATUS_NO_SUCH_FILE = 0xC000000F
s.STATUS_NAMES.setdefault(STATUS_ILLEGAL_CHARACTER, "STATUS_ILLEGAL_CHARACTER")

OK = s.STATUS_SUCCESS
INVALID_NAME = s.STATUS_OBJECT_NAME_INVALID
NOT_FOUND = s.STATUS_OBJECT_NAME_NOT_FOUND
REFUSED = None  # any error status will do (the reference leaves room)


class Server:
    def __init__(self, label, port, share, share_dir):
        self.label = label
        self.port = port
        self.share = share
        self.share_dir = share_dir
        self.c = None

    def conn(self):
        if self.c is None:
            self.c = s.Connection(HOST, self.port, timeout=REPLY_TIMEOUT)
            self.c.login("\\\\%s\\%s" % (HOST, self.share))
        return self.c


def utf16_raw(name):
    """Name bytes: str as UTF-16LE, bytes as they are."""
    return name if isinstance(name, bytes) else s.utf16(name)


def create_raw(c, name, access=s.GENERIC_READ, disposition=s.FILE_OPEN, options=0, flags=0,
               attributes=0):
    """CREATE with exactly these name bytes (lone surrogates, odd lengths)."""
    n = utf16_raw(name)
    body = bytearray(s.create_body("x", access, disposition, options,
                                   file_attributes=attributes))
    body = body[:56] + (n if n else b"\0")
    struct.pack_into("<HH", body, 44, s.HEADER_SIZE + 56, len(n))
    return c.request(s.CREATE, bytes(body), flags=flags)


def show(name):
    if isinstance(name, bytes):
        return "bytes %s" % name.hex()
    return repr(name)


def standard_info(c, fid):
    st, buf = c.query_info(fid, s.INFO_FILE, s.FILE_STANDARD_INFORMATION)
    if st != OK or len(buf) < 24:
        return None
    eof = struct.unpack_from("<Q", buf, 8)[0]
    return eof, bool(buf[23])


def read_all_small(c, fid, n=8192):
    st, data = c.read(fid, 0, n)
    return data if st == OK else b""


# --- the outside world ----------------------------------------------------------


def snapshot(root):
    """Names, types, sizes, modes, owners, mtimes, ctimes, contents, link
    targets and xattrs of a tree (atime apart)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [""] + dirnames + filenames:
            p = os.path.join(dirpath, name) if name else dirpath
            rel = os.path.relpath(p, root)
            if name == "" and rel != ".":
                continue
            st = os.lstat(p)
            rec = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_size,
                   st.st_mtime_ns, st.st_ctime_ns)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    rec += (hashlib.sha256(f.read()).hexdigest(),)
            try:
                rec += (tuple(sorted((k, os.getxattr(p, k, follow_symlinks=False))
                                     for k in os.listxattr(p, follow_symlinks=False))),)
            except OSError:
                pass
            out[rel] = rec
    return out


def atimes(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = os.lstat(p).st_atime_ns
    return out


def atime_tracked(work):
    """Whether reading a file with an old atime updates it here (relatime
    does; noatime does not, and then reads cannot be detected)."""
    p = os.path.join(work, "atime-probe")
    with open(p, "wb") as f:
        f.write(b"x")
    os.utime(p, ns=(10 ** 18, 2 * 10 ** 18))  # atime 2001, mtime 2033
    with open(p, "rb") as f:
        f.read()
    got = os.stat(p).st_atime_ns != 10 ** 18
    os.unlink(p)
    return got


# --- cases -----------------------------------------------------------------------


def status_set_text(want):
    if want is REFUSED:
        return "any error"
    return " or ".join(s.status_name(w) for w in want)


def compare(servers, label, want, ref, fn, check=None):
    """fn(server) -> status, sent to every server. ringsmbd's status must
    be in want (REFUSED: any error). check(server, status) -> problem or
    '' runs on ringsmbd's success (what was opened or created)."""
    results = []
    for srv in servers:
        try:
            st = fn(srv)
        except (s.SmbError, OSError) as e:
            st = "error: %s" % e
            srv.c = None
        results.append(st)
    mine = results[0]
    if isinstance(mine, str):
        good, why = False, mine
    elif want is REFUSED:
        good, why = mine != OK and (mine & 0xC0000000) == 0xC0000000, ""
    else:
        good, why = mine in want, ""
    problem = ""
    if isinstance(mine, int) and mine == OK and check is not None:
        problem = check(servers[0], mine)
        good = good and not problem
    text = "ringsmbd %s" % (s.status_name(mine) if isinstance(mine, int) else mine)
    if len(servers) > 1:
        other = results[1]
        text += ", Samba %s" % (s.status_name(other) if isinstance(other, int) else other)
        if other != mine:
            text += " [differs]"
    text += "; want %s (%s)" % (status_set_text(want), ref)
    if problem:
        text += "; " + problem
    elif why:
        text += "; " + why
    R.check(good, label, text)
    return results


def open_close(srv, name, **kw):
    """CREATE, and CLOSE again on success; returns the status."""
    c = srv.conn()
    r = create_raw(c, name, **kw)
    if r.status == OK:
        c.close(s.body_file_id(r.body))
    return r.status


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--share", default="demo")
    ap.add_argument("--share-dir", required=True)
    ap.add_argument("--outside", required=True)
    ap.add_argument("--samba-port", type=int)
    ap.add_argument("--samba-share", default="guest")
    ap.add_argument("--samba-dir")
    args = ap.parse_args()

    servers = [Server("ringsmbd", args.port, args.share, args.share_dir)]
    if args.samba_port:
        servers.append(Server("Samba", args.samba_port, args.samba_share, args.samba_dir))
    else:
        print("(no Samba to compare with: only ringsmbd's statuses are shown)")
    out_before = snapshot(args.outside)
    atime_before = atimes(args.outside)
    work = os.path.dirname(os.path.normpath(args.share_dir))
    work_before = set(os.listdir(work))
    share_before = {srv.label: set(os.listdir(srv.share_dir)) for srv in servers}
    tracked = atime_tracked(work)

    def opens(name, want, ref, check=None, **kw):
        return compare(servers, "CREATE %s%s" % (show(name), kw_text(kw)), want, ref,
                       lambda srv: open_close(srv, name, **kw), check)

    print("\n== path escapes (MS-SMB2 3.3.5.9, MS-FSCC 2.1.5) ==")
    leading = "MS-SMB2 3.3.5.9: a name starting with a separator is STATUS_INVALID_PARAMETER"
    for name in ["\\file.txt", "\\..\\outside\\secret.txt",
                 "\\\\127.0.0.1\\%s\\..\\outside\\secret.txt" % args.share,
                 "\\\\127.0.0.1\\%s\\file.txt" % args.share]:
        opens(name, {s.STATUS_INVALID_PARAMETER}, leading)
    for name in ["..", "..\\outside\\secret.txt", "..\\..\\..\\..\\etc\\passwd",
                 "dir\\..\\..\\outside\\secret.txt", ".\\..\\outside\\secret.txt",
                 "dir\\..\\..\\..\\..\\..\\..\\etc\\passwd"]:
        opens(name, REFUSED, "'..' may not leave the share; the status is the server's choice")
    opens("127.0.0.1\\%s\\..\\..\\outside\\secret.txt" % args.share, REFUSED,
          "a DFS-style name on a share that is not DFS", flags=0x10000000)
    opens("/etc/passwd", {INVALID_NAME}, "MS-FSCC 2.1.5.2: '/' is not a file name character")
    opens("dir/in.txt", {INVALID_NAME}, "MS-FSCC 2.1.5.2: '/' is not a file name character")
    opens("C:\\etc\\passwd", {INVALID_NAME},
          "a stream named '\\etc\\passwd' of file C: a stream name holds no '\\'")
    # Inside the share, so either refusing or opening dir\..\file.txt is
    # fine, as long as what opens is file.txt.
    compare(servers, "CREATE 'dir\\\\..\\\\file.txt' (stays inside)",
            {OK, s.STATUS_OBJECT_PATH_SYNTAX_BAD, INVALID_NAME},
            "'..' inside the share: refused, or the file itself",
            lambda srv: read_status(srv, "dir\\..\\file.txt", INSIDE))
    for path in ["\\\\127.0.0.1\\%s\\.." % args.share, "\\\\127.0.0.1\\..",
                 "\\\\127.0.0.1\\%s\\..\\..\\etc" % args.share, "\\\\127.0.0.1\\..\\etc",
                 "\\\\127.0.0.1\\%s/../.." % args.share, "\\\\127.0.0.1\\.",
                 "\\\\127.0.0.1\\%s\\" % args.share + "\\.."]:
        compare(servers, "TREE_CONNECT %r" % path, REFUSED,
                "MS-SMB2 3.3.5.7: no such share (STATUS_BAD_NETWORK_NAME), or a bad path",
                lambda srv, p=path: tree_status(srv, p.replace(args.share, srv.share)))

    compare(servers, "TREE_CONNECT '\\\\..\\%s'" % args.share, {OK, STATUS_BAD_NETWORK_NAME},
            "the server name is not a path: the share itself, or refused",
            lambda srv: tree_status(srv, "\\\\..\\%s" % srv.share))

    print("\n== symlinks in the share pointing outside ==")
    for name in ["link_file", "abs_link_file", "link_dir\\secret.txt", "abs_link_dir\\secret.txt",
                 "link_dir\\sub\\deep.txt", "LINK_DIR\\SECRET.TXT", "link_file::$DATA",
                 "link_file:s"]:
        compare(servers, "CREATE %r and read" % name, REFUSED,
                "a link out of the share is not followed",
                lambda srv, n=name: read_status(srv, n, None))
    for name in ["link_dir", "abs_link_dir", "link_dir\\sub"]:
        compare(servers, "CREATE %r as a directory and list it" % name, REFUSED,
                "a link out of the share is not followed",
                lambda srv, n=name: list_status(srv, n))
    for name, opts in [("link_dir\\new.txt", 0), ("abs_link_dir\\new.txt", 0),
                       ("link_dir\\newdir", s.FILE_DIRECTORY_FILE), ("link_file:evil", 0)]:
        opens(name, REFUSED, "nothing is created outside the share",
              access=s.GENERIC_READ | s.GENERIC_WRITE, disposition=s.FILE_OPEN_IF, options=opts)
    opens("link_file", REFUSED, "no overwrite through a link out of the share",
          access=s.GENERIC_WRITE, disposition=s.FILE_OVERWRITE_IF)
    for pattern in ["link_dir\\*", "abs_link_dir\\*", "link_dir\\secret.txt"]:
        compare(servers, "QUERY_DIRECTORY of the share root, pattern %r" % pattern, REFUSED,
                "a pattern holds no path; never entries from outside",
                lambda srv, p=pattern: pattern_status(srv, p))
    compare(servers, "QUERY_DIRECTORY of the share root", {OK},
            "escaping links may be listed, but never with the outside file's size",
            lambda srv: root_listing_status(srv, args.outside))
    compare(servers, "RENAME file.txt -> 'link_dir\\\\moved.txt'", REFUSED,
            "no rename out of the share", lambda srv: rename_status(srv, "link_dir\\moved.txt"))

    print("\n== invalid UTF-16 (MS-FSCC 2.1.5: names are UTF-16; Linux names are UTF-8) ==")
    surrogates = [
        ("lone high surrogate", b"a\x00" + b"\x00\xd8" + b"b\x00"),
        ("lone low surrogate", b"a\x00" + b"\x00\xdc"),
        ("low before high", b"\x00\xdc\x00\xd8"),
        ("high surrogate at the end", b"x\x00y\x00\x3f\xdb"),
        ("odd NameLength (3 bytes)", b"a\x00b"),
        ("NUL inside", b"a\x00\x00\x00b\x00"),
    ]
    bad_utf16 = {INVALID_NAME, STATUS_ILLEGAL_CHARACTER, s.STATUS_INVALID_PARAMETER}
    why_utf16 = "no Linux name represents it: refused, never mangled"
    for label, raw in surrogates:
        compare(servers, "CREATE (%s) %s, FILE_CREATE" % (label, raw.hex()), bad_utf16,
                why_utf16, lambda srv, n=raw: open_close(
                    srv, n, access=s.GENERIC_WRITE, disposition=s.FILE_CREATE))
    compare(servers, "CREATE 'file.txt:' + lone surrogate stream", bad_utf16, why_utf16,
            lambda srv: open_close(srv, s.utf16("file.txt:s") + b"\x00\xd8",
                                   access=s.GENERIC_WRITE, disposition=s.FILE_OPEN_IF))
    compare(servers, "CREATE 'dir\\\\' + lone surrogate + '\\\\x'", bad_utf16 | {
        s.STATUS_OBJECT_PATH_NOT_FOUND}, why_utf16,
        lambda srv: open_close(srv, s.utf16("dir\\") + b"\x00\xd8" + s.utf16("\\x"),
                               access=s.GENERIC_WRITE, disposition=s.FILE_CREATE))
    compare(servers, "RENAME file.txt -> lone surrogate", bad_utf16, why_utf16,
            lambda srv: rename_status(srv, b"r\x00\x00\xd8"))
    compare(servers, "QUERY_DIRECTORY pattern with a lone surrogate",
            bad_utf16 | {s.STATUS_NO_MORE_FILES, STATUS_NO_SUCH_FILE}, "refused or no match",
            lambda srv: pattern_status(srv, b"*\x00\x00\xd8"))
    compare(servers, "TREE_CONNECT share name with a lone surrogate",
            bad_utf16 | {STATUS_BAD_NETWORK_NAME}, "no such share",
            lambda srv: tree_status(srv, s.utf16("\\\\127.0.0.1\\") + b"\x00\xd8"))
    for label, name in [("valid surrogate pair (U+1F600)", "pair-\U0001F600.txt"),
                        ("U+FFFF", "nonchar-\uffff.txt")]:
        compare(servers, "CREATE %s, FILE_CREATE, then delete" % label, {OK},
                "a valid UTF-16 name is an ordinary name",
                lambda srv, n=name: create_delete_status(srv, n))

    print("\n== reserved device names (Win32 reserves them, MS-FSCC does not) ==")
    devices = ["CON", "con", "NUL", "NUL.txt", "nul.tar.gz", "AUX", "PRN", "COM1", "COM1.log",
               "com9", "LPT1", "LPT1.txt", "lpt9.doc", "CONIN$", "CONOUT$", "CLOCK$",
               "CON.", "dir\\CON", "dir\\NUL.txt"]
    for name in devices:
        compare(servers, "CREATE %r, write, read back, delete" % name, {OK},
                "an ordinary file in the share, as Samba and Windows over SMB make it",
                lambda srv, n=name: device_status(srv, n))

    print("\n== streams (MS-FSCC 2.1.5.3; Windows behaviour from smbtorture smb2.streams.*) ==")
    opens("file.txt::$DATA", {OK}, "the unnamed data stream is the file")
    compare(servers, "CREATE 'file.txt::$DATA', read", {OK}, "the file's own data",
            lambda srv: read_status(srv, "file.txt::$DATA", INSIDE))
    compare(servers, "CREATE 'file.txt:stream', write, reopen as 'file.txt:STREAM:$DaTa', read",
            {OK}, "smbtorture smb2.streams.io: a named stream, type case-insensitive",
            lambda srv: stream_roundtrip(srv))
    for name in ["file.txt:s:$BOGUS", "file.txt:s:", "file.txt:s:?D*a"]:
        opens(name, {INVALID_NAME}, "smbtorture smb2.streams.names: a bad stream type",
              access=s.GENERIC_READ | s.GENERIC_WRITE, disposition=s.FILE_OPEN_IF)
    for name in ["file.txt:", ":", "::", "file.txt::", "file.txt::$BITMAP", ":$DATA",
                 "file.txt:s:$INDEX_ALLOCATION", "file.txt:a:b:c", "file.txt::$DATA:x",
                 "file.txt:s/x", "file.txt:s\\x"]:
        opens(name, REFUSED, "no file or stream by that syntax",
              access=s.GENERIC_READ | s.GENERIC_WRITE, disposition=s.FILE_OPEN_IF)
    for ch in ["\x01", "\x1f", "*", "?", '"', "<", ">", "|"]:
        opens("file.txt:Stream%s0x%02X:$DATA" % (ch, ord(ch)), {NOT_FOUND},
              "smbtorture smb2.streams.names2: any character but / : \\ in a stream name")
    opens("dir::$DATA", {STATUS_FILE_IS_A_DIRECTORY},
          "smbtorture smb2.streams.dir: a directory has no unnamed data stream")
    opens("dir::$DATA", {STATUS_NOT_A_DIRECTORY},
          "smbtorture smb2.streams.dir: opened as a directory",
          options=s.FILE_DIRECTORY_FILE, attributes=s.FILE_ATTRIBUTE_DIRECTORY)
    opens("::$DATA", REFUSED, "the share root has no unnamed data stream (as dir::$DATA)")
    for name in ["dir::$INDEX_ALLOCATION", "dir:$I30:$INDEX_ALLOCATION"]:
        compare(servers, "CREATE %r as a directory, list it" % name, {OK},
                "the directory's index is the directory (Microsoft's FSA "
                "test Fs_CreateDirectory_QueryDirectory_Suffix_INDEX_ALLOCATION)",
                lambda srv, n=name: list_status(srv, n, want_names={"in.txt"}))
    compare(servers, "CREATE 'newdir::$INDEX_ALLOCATION', FILE_CREATE as a directory", {OK},
            "creates the directory 'newdir' (same test)",
            lambda srv: newdir_status(srv))
    opens("file.txt::$INDEX_ALLOCATION", REFUSED, "a file has no index",
          options=s.FILE_DIRECTORY_FILE)
    opens("dir:$I30:$DATA", REFUSED, "$I30 is no data stream of a directory that has none")

    # --- afterwards --------------------------------------------------------------
    print("\n== afterwards ==")
    out_after = snapshot(args.outside)
    changed = sorted(k for k in set(out_before) | set(out_after)
                     if out_before.get(k) != out_after.get(k))
    R.check(not changed, "nothing outside the share changed",
            "changed: %s" % ", ".join(changed) if changed else "%d objects compared (contents, "
            "modes, times, xattrs)" % len(out_after))
    if tracked:
        read = sorted(k for k, v in atimes(args.outside).items() if atime_before.get(k) != v)
        R.check(not read, "no file outside the share was read (atime)",
                "read: %s" % ", ".join(read) if read else "atimes unchanged")
    else:
        print("     (this file system does not update atime: reads outside not detectable)")
    new_work = sorted(set(os.listdir(work)) - work_before - {"atime-probe"})
    R.check(not new_work, "nothing new next to the shares", ", ".join(new_work) or "none")
    for probe in ["/etc/new.txt", "/new.txt", "/CON", "/NUL"]:
        if os.path.lexists(probe):
            R.check(False, "no %s" % probe, "it exists")
    for srv in servers:
        extra = sorted(set(os.listdir(srv.share_dir)) - share_before[srv.label] - {"newdir"})
        R.check(not extra, "%s's share holds only what the cases made" % srv.label,
                "unexpected: %s" % ", ".join(repr(x) for x in extra) if extra else
                "no mangled or stray names")
    return R.summary("names")


# --- helpers that run one request on one server ----------------------------------


def kw_text(kw):
    parts = []
    if kw.get("disposition", s.FILE_OPEN) != s.FILE_OPEN:
        parts.append({s.FILE_OPEN_IF: "OPEN_IF", s.FILE_CREATE: "CREATE",
                      s.FILE_OVERWRITE_IF: "OVERWRITE_IF"}.get(kw["disposition"], "?"))
    if kw.get("options", 0) & s.FILE_DIRECTORY_FILE:
        parts.append("directory")
    if kw.get("flags"):
        parts.append("DFS flag")
    return " (%s)" % ", ".join(parts) if parts else ""


def read_status(srv, name, want):
    """Opens name and reads it. On success the data must be `want` (None:
    any success is already wrong, the caller wants a refusal)."""
    c = srv.conn()
    r = create_raw(c, name)
    if r.status != OK:
        return r.status
    fid = s.body_file_id(r.body)
    data = read_all_small(c, fid)
    c.close(fid)
    if want is not None and data != want:
        raise s.SmbError("opened, but read %r instead of %r" % (data[:40], want))
    if want is None:
        raise s.SmbError("opened and read %r" % data[:40])
    return OK


def list_status(srv, name, want_names=None):
    """Opens name as a directory and lists it."""
    c = srv.conn()
    r = create_raw(c, name, access=s.FILE_LIST_DIRECTORY | s.FILE_READ_ATTRIBUTES,
                   options=s.FILE_DIRECTORY_FILE)
    if r.status != OK:
        return r.status
    fid = s.body_file_id(r.body)
    try:
        names = {e["name"] for e in c.list_directory(fid)} - {".", ".."}
    finally:
        c.close(fid)
    if want_names is None:
        raise s.SmbError("opened and listed %s" % sorted(names))
    if not want_names <= names:
        raise s.SmbError("opened, but lists %s" % sorted(names))
    return OK


def pattern_status(srv, pattern):
    c = srv.conn()
    root = c.open("", desired_access=s.FILE_LIST_DIRECTORY, options=s.FILE_DIRECTORY_FILE)
    try:
        p = pattern if isinstance(pattern, bytes) else s.utf16(pattern)
        body = bytearray(s.query_directory_body(root, "x", s.FILE_NAMES_INFORMATION,
                                                s.SMB2_RESTART_SCANS))
        body = body[:32] + p
        struct.pack_into("<HH", body, 24, s.HEADER_SIZE + 32, len(p))
        r = c.request(s.QUERY_DIRECTORY, bytes(body), payload=65536)
        if r.status == OK:
            off, ln = struct.unpack_from("<HI", r.body, 2)
            names = [e["name"] for e in s.parse_dir_entries(r.raw[off:off + ln],
                                                            s.FILE_NAMES_INFORMATION)]
            raise s.SmbError("listed %s" % names)
        return r.status
    finally:
        c.close(root)


def root_listing_status(srv, outside):
    """Lists the share root: escaping links may show up, but not with the
    size of what they point at."""
    c = srv.conn()
    root = c.open("", desired_access=s.FILE_LIST_DIRECTORY, options=s.FILE_DIRECTORY_FILE)
    try:
        entries = c.list_directory(root, "*", s.FILE_ID_BOTH_DIRECTORY_INFORMATION)
    finally:
        c.close(root)
    secret_size = os.path.getsize(os.path.join(outside, "secret.txt"))
    secret_ino = os.stat(os.path.join(outside, "secret.txt")).st_ino
    for e in entries:
        if e["name"] in ("link_file", "abs_link_file") and (
                e["end_of_file"] == secret_size or e.get("file_id") == secret_ino):
            raise s.SmbError("%r is listed with the outside secret's size or id" % e["name"])
        if e["name"] in ("secret.txt", "deep.txt", "sub"):
            raise s.SmbError("the outside entry %r is listed" % e["name"])
    return OK


def rename_status(srv, target):
    c = srv.conn()
    fid = c.open("file.txt", desired_access=s.GENERIC_READ | s.DELETE)
    try:
        t = target if isinstance(target, bytes) else s.utf16(target)
        info = struct.pack("<B7sQI", 0, b"\0" * 7, 0, len(t)) + t
        st, _ = c.set_info(fid, s.INFO_FILE, s.FILE_RENAME_INFORMATION, info)
        if st == OK:
            c.rename(fid, "file.txt")
            raise s.SmbError("renamed (and renamed back)")
        return st
    finally:
        c.close(fid)


def tree_status(srv, path):
    """TREE_CONNECT on a new session; the path as str or raw UTF-16."""
    c = s.Connection(HOST, srv.port, timeout=REPLY_TIMEOUT)
    try:
        c.login()
        p = path if isinstance(path, bytes) else s.utf16(path)
        body = struct.pack("<HHHH", 9, 0, s.HEADER_SIZE + 8, len(p)) + p
        r = c.request(s.TREE_CONNECT, body, tree_id=0)
        return r.status
    finally:
        c.close_socket()


def create_delete_status(srv, name):
    c = srv.conn()
    r = create_raw(c, name, access=s.GENERIC_WRITE | s.DELETE, disposition=s.FILE_CREATE,
                   options=s.FILE_DELETE_ON_CLOSE)
    if r.status == OK:
        c.close(s.body_file_id(r.body))
    return r.status


def device_status(srv, name):
    """Creates name, writes, reads it back through a new open, checks the
    file on disk, deletes it."""
    c = srv.conn()
    data = ("data of %s\n" % name).encode()
    r = create_raw(c, name, access=s.GENERIC_READ | s.GENERIC_WRITE | s.DELETE,
                   disposition=s.FILE_CREATE)
    if r.status != OK:
        return r.status
    fid = s.body_file_id(r.body)
    c.write(fid, 0, data)
    c.close(fid)
    fid = c.open(name, desired_access=s.GENERIC_READ | s.DELETE)
    back = read_all_small(c, fid)
    path = os.path.join(srv.share_dir, *name.split("\\"))
    on_disk = None
    if os.path.isfile(path) and not os.path.islink(path):
        with open(path, "rb") as f:
            on_disk = f.read()
    c.set_delete_on_close(fid)
    c.close(fid)
    if back != data:
        raise s.SmbError("read back %r" % back[:40])
    if on_disk != data:
        raise s.SmbError("%s on disk is %s" % (path, "missing or not a regular file"
                                               if on_disk is None else repr(on_disk[:40])))
    if os.path.lexists(path):
        raise s.SmbError("still on disk after delete")
    return OK


def stream_roundtrip(srv):
    c = srv.conn()
    r = create_raw(c, "file.txt:stream", access=s.GENERIC_READ | s.GENERIC_WRITE,
                   disposition=s.FILE_OPEN_IF)
    if r.status != OK:
        return r.status
    fid = s.body_file_id(r.body)
    c.write(fid, 0, b"stream data")
    c.close(fid)
    r = create_raw(c, "file.txt:STREAM:$DaTa")
    if r.status != OK:
        return r.status
    fid = s.body_file_id(r.body)
    back = read_all_small(c, fid)
    c.close(fid)
    fid = c.open("file.txt")
    base = read_all_small(c, fid)
    c.close(fid)
    if back != b"stream data":
        raise s.SmbError("the stream reads %r" % back)
    if base != INSIDE:
        raise s.SmbError("the file itself now reads %r" % base[:40])
    stray = [n for n in os.listdir(srv.share_dir) if ":" in n]
    if stray:
        raise s.SmbError("names with ':' in the share directory: %s" % stray)
    return OK


def newdir_status(srv):
    c = srv.conn()
    r = create_raw(c, "newdir::$INDEX_ALLOCATION", access=s.FILE_LIST_DIRECTORY | s.DELETE,
                   disposition=s.FILE_CREATE, options=s.FILE_DIRECTORY_FILE,
                   attributes=s.FILE_ATTRIBUTE_DIRECTORY)
    if r.status != OK:
        return r.status
    c.close(s.body_file_id(r.body))
    made = os.path.join(srv.share_dir, "newdir")
    if not os.path.isdir(made) or os.path.islink(made):
        raise s.SmbError("succeeded, but %s is no directory (%s)" % (
            made, sorted(os.listdir(srv.share_dir))))
    return OK


if __name__ == "__main__":
    sys.exit(main())
