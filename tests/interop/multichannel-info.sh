#!/usr/bin/env bash
# FSCTL_QUERY_NETWORK_INTERFACE_INFO (MS-SMB2 3.3.5.15.11) against a live
# ringsmbd listening on 127.0.0.1, in raw bytes (smb2raw.py) and through
# smbtorture's parser:
#  - the answer is one NETWORK_INTERFACE_INFO for 127.0.0.1 (lo's IfIndex,
#    1 Gb/s, no RSS: lo has one rx queue);
#  - a FileId other than all ones gets STATUS_INVALID_PARAMETER, a
#    MaxOutputResponse below the list STATUS_BUFFER_TOO_SMALL, input
#    STATUS_INVALID_PARAMETER, SMB 2.1 and a 3.x connection without
#    SMB2_GLOBAL_CAP_MULTI_CHANNEL STATUS_NOT_SUPPORTED;
#  - `interfaces = "127.0.0.1;speed=...,capability=RSS,if_index=..."`
#    changes what is reported;
#  - with `server multi channel support = no`, STATUS_NOT_SUPPORTED.
#   multichannel-info.sh RINGSMBD
RINGSMBD=${1:-$RINGSMBD}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

LO_INDEX=$(cat /sys/class/net/lo/ifindex 2>/dev/null || echo 1)

# query PORT EXPECT...: runs the raw checks; EXPECT is "IFINDEX SPEED CAP
# ADDRESS" for the one entry wanted, or "not-supported".
query() {
  python3 - "$HERE" "$@" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[1])
import smb2raw as s

port = int(sys.argv[2])
expect = sys.argv[3:]
FSCTL = 0x001401FC
ALL_ONES = b"\xff" * 16
CAP_MULTI_CHANNEL = 0x8
fails = []

def check(what, cond, detail=""):
    print(("ok    " if cond else "FAIL  ") + what + (("  (" + detail + ")") if detail and not cond else ""))
    if not cond:
        fails.append(what)

def session(dialects=s.ALL_DIALECTS, caps=s.CAP_LARGE_MTU | s.CAP_DFS | CAP_MULTI_CHANNEL):
    c = s.Connection("127.0.0.1", port)
    r = c.negotiate(dialects, capabilities=caps)
    assert r.status == s.STATUS_SUCCESS, s.status_name(r.status)
    r = c.session_setup_anonymous()
    assert r.status == s.STATUS_SUCCESS, s.status_name(r.status)
    r = c.tree_connect(r"\\127.0.0.1\demo")
    assert r.status == s.STATUS_SUCCESS, s.status_name(r.status)
    return c

def ioctl(c, fid=ALL_ONES, max_output=65536, data=b""):
    r = c.request(s.IOCTL, s.ioctl_body(fid, FSCTL, input_data=data, max_output=max_output))
    out = b""
    if r.status == s.STATUS_SUCCESS:
        ctl, rfid = struct.unpack_from("<I16s", r.body, 4)
        in_off, in_cnt, out_off, out_cnt, flags = struct.unpack_from("<IIIII", r.body, 24)
        check("response CtlCode, FileId all ones, InputCount 0, Flags 0",
              ctl == FSCTL and rfid == ALL_ONES and in_cnt == 0 and flags == 0)
        check("OutputOffset = InputOffset rounded to 8", out_off == (in_off + 7) // 8 * 8)
        out = r.raw[out_off:out_off + out_cnt]
    return r.status, out

def entries(out):
    res, pos = [], 0
    while True:
        nxt, idx, cap, _res, speed, fam = struct.unpack_from("<IIIIQH", out, pos)
        sa = out[pos + 24:pos + 24 + 128]
        if fam == 2:
            addr = ".".join(str(b) for b in sa[4:8])
            check("IPv4 SockAddr: port 0, reserved 0, rest 0",
                  sa[2:4] == b"\0\0" and sa[8:] == b"\0" * 120)
        else:
            import ipaddress
            addr = str(ipaddress.IPv6Address(sa[8:24]))
        res.append((idx, speed, cap, addr))
        if nxt == 0:
            break
        check("Next is 152 and 8-aligned", nxt == 152)
        pos += nxt
    return res

if expect == ["not-supported"]:
    c = session()
    st, _ = ioctl(c)
    check("multichannel off: STATUS_NOT_SUPPORTED", st == s.STATUS_NOT_SUPPORTED, s.status_name(st))
else:
    idx, speed, cap, addr = int(expect[0]), int(expect[1]), int(expect[2]), expect[3]
    c = session()
    check("server announces SMB2_GLOBAL_CAP_MULTI_CHANNEL", c.server_caps & CAP_MULTI_CHANNEL != 0)
    st, out = ioctl(c)
    check("STATUS_SUCCESS", st == s.STATUS_SUCCESS, s.status_name(st))
    got = entries(out) if st == s.STATUS_SUCCESS else []
    print("      interfaces: %s" % got)
    check("one entry: IfIndex %d, %d b/s, capability %d, %s" % (idx, speed, cap, addr),
          got == [(idx, speed, cap, addr)], repr(got))
    check("output is 152 bytes", len(out) == 152, str(len(out)))
    st, _ = ioctl(c, fid=b"\x01" * 8 + b"\x02" * 8)
    check("FileId not all ones: STATUS_INVALID_PARAMETER", st == s.STATUS_INVALID_PARAMETER, s.status_name(st))
    st, _ = ioctl(c, max_output=151)
    check("MaxOutputResponse 151: STATUS_BUFFER_TOO_SMALL", st == 0xC0000023, s.status_name(st))
    st, _ = ioctl(c, max_output=0)
    check("MaxOutputResponse 0: STATUS_BUFFER_TOO_SMALL", st == 0xC0000023, s.status_name(st))
    st, _ = ioctl(c, data=b"\0" * 8)
    check("input given: STATUS_INVALID_PARAMETER", st == s.STATUS_INVALID_PARAMETER, s.status_name(st))
    c = session(dialects=[s.SMB2_02, s.SMB2_10])
    st, _ = ioctl(c)
    check("SMB 2.1: STATUS_NOT_SUPPORTED", st == s.STATUS_NOT_SUPPORTED, s.status_name(st))
    c = session(caps=s.CAP_LARGE_MTU)
    check("no MULTI_CHANNEL asked: none granted", c.server_caps & CAP_MULTI_CHANNEL == 0)
    st, _ = ioctl(c)
    check("3.x without MULTI_CHANNEL: STATUS_NOT_SUPPORTED", st == s.STATUS_NOT_SUPPORTED, s.status_name(st))
sys.exit(1 if fails else 0)
PY
}

# guest_conf EXTRA-GLOBAL-LINES: a configuration with a guest share [demo].
guest_conf() {
  cat >"$WORK/smb.conf" <<CONF
[global]
  map to guest = bad user
$1
[demo]
  path = $SHARE_DIR
  guest ok = yes
  read only = no
CONF
}

# ---- defaults: lo 127.0.0.1 -------------------------------------------------
start_server --share demo="$SHARE_DIR" --guest
grep -q "network interfaces reported to clients: lo 127.0.0.1" "$SERVER_LOG" ||
  fail "the start log does not name lo 127.0.0.1: $(grep 'network interfaces' "$SERVER_LOG")"
query "$PORT" "$LO_INDEX" 1000000000 0 127.0.0.1 || fail "raw checks (defaults)"
ok "127.0.0.1 reported with lo's IfIndex $LO_INDEX, 1 Gb/s; the error statuses as specified"
if command -v smbtorture >/dev/null 2>&1; then
  out=$(cd "$WORK" && timeout 60 smbtorture //127.0.0.1/demo -p "$PORT" -U guest% -d 1 \
    smb2.multichannel.generic.interface_info 2>&1) || fail "smbtorture interface_info: $out"
  grep -qE 'ipv4 +: 127\.0\.0\.1' <<<"$out" || fail "smbtorture does not see 127.0.0.1: $out"
  grep -qE 'ifindex +: 0x[0-9a-f]+ \('"$LO_INDEX"'\)' <<<"$out" || fail "smbtorture: IfIndex is not $LO_INDEX: $out"
  ok "smbtorture parses the list: 127.0.0.1, IfIndex $LO_INDEX"
else
  echo "SKIP the smbtorture view: smbtorture is not installed"
fi
server_alive || fail "ringsmbd died"
stop_server

# ---- interface options -------------------------------------------------------
guest_conf '  interfaces = "127.0.0.1;speed=10000000000,capability=RSS,if_index=77"'
start_server --config "$WORK/smb.conf"
query "$PORT" 77 10000000000 1 127.0.0.1 || fail "raw checks (interface options)"
ok "interface options: IfIndex 77, 10 Gb/s, RSS"
stop_server

# ---- server multi channel support = no --------------------------------------
guest_conf '  server multi channel support = no'
start_server --config "$WORK/smb.conf"
query "$PORT" not-supported || fail "raw checks (multichannel off)"
ok "server multi channel support = no: STATUS_NOT_SUPPORTED"
stop_server
