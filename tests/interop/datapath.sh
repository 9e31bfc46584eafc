#!/usr/bin/env bash
# Every READ and WRITE path of docs/performance.md, plain, signed and
# encrypted, with data integrity checked by sha256. One ringsmbd per
# `ringsmb:read path` / `ringsmb:write path` setting (copy/recv,
# zerocopy/recv, splice/splice, auto/auto); against each the ringsmb
# client puts and gets a file whose size is no multiple of a page, with
# the server's largest I/O and with odd-sized I/O (unaligned offsets),
# plain, --sign and --encrypt; smbclient puts and gets it too. After each
# server stops, the path counters it logs must show that the path under
# test carried the data (and that signed or encrypted traffic never took
# the splice path).
#   datapath.sh RINGSMB RINGSMBD
RINGSMB=${1:-$RINGSMB}
RINGSMBD=${2:-$RINGSMBD}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

U=rsmbpath
PW=path-pw1
share_user "$U" "$PW"

# 40 MiB and 12,345 bytes of random data.
SRC=$WORK/src.bin
head -c $((40 * 1024 * 1024 + 12345)) /dev/urandom >"$SRC"
SUM=$(sha256sum <"$SRC" | cut -d' ' -f1)

rs() { RINGSMB_PASSWORD=$PW timeout 300 "$RINGSMB" -q "$@"; }

# check_file FILE WHAT: FILE has the source's sha256.
check_file() {
  local got
  got=$(sha256sum <"$1" | cut -d' ' -f1)
  [ "$got" = "$SUM" ] || fail "$2: sha256 $got, expected $SUM"
}

# counter NAME: the value of NAME (e.g. "read splice") in the stopped
# server's "data paths:" log line.
counter() {
  local line dir=${1% *} key=${1#* }
  line=$(grep -o 'data paths: .*' "$SERVER_LOG" | tail -1)
  [ -n "$line" ] || fail "the server logged no data path counters"
  if [ "$dir" = read ]; then line=${line#*read }; line=${line%%,*}; else line=${line#*write }; fi
  sed -n "s/.*\b$key=\([0-9]*\).*/\1/p" <<<"$line"
}

run_share() {
  local rpath=$1 wpath=$2 sign_modes=("" --sign --encrypt) mode io
  cat >"$WORK/smb.conf" <<CONF
[global]
  passdb file = $WORK/passdb
[share]
  path = $SHARE_DIR
  read only = no
  valid users = $U
  ringsmb:read path = $rpath
  ringsmb:write path = $wpath
CONF
  start_server --config "$WORK/smb.conf"
  local url=smb://$U@127.0.0.1:$PORT/share
  for mode in "${sign_modes[@]}"; do
    for io in "" 200000; do
      local label="read path $rpath, write path $wpath, ${mode:-plain}, io ${io:-max}"
      local opts=($mode)
      [ -z "$io" ] || opts+=(--io-size "$io")
      rm -f "$SHARE_DIR/f.bin" "$WORK/back.bin"
      rs "${opts[@]}" put "$SRC" "$url/f.bin" || fail "$label: put failed"
      check_file "$SHARE_DIR/f.bin" "$label: the file written"
      rs "${opts[@]}" get "$url/f.bin" "$WORK/back.bin" || fail "$label: get failed"
      check_file "$WORK/back.bin" "$label: the file read"
      ok "$label"
    done
  done
  # Samba's client, plain.
  rm -f "$SHARE_DIR/s.bin" "$WORK/sback.bin"
  timeout 300 smbclient "//127.0.0.1/share" -p "$PORT" -U "$U%$PW" -m SMB3 \
    -c "put $SRC s.bin; get s.bin $WORK/sback.bin" >"$WORK/smbclient.out" 2>&1 ||
    fail "smbclient put/get ($rpath/$wpath): $(cat "$WORK/smbclient.out")"
  check_file "$SHARE_DIR/s.bin" "smbclient put ($rpath/$wpath)"
  check_file "$WORK/sback.bin" "smbclient get ($rpath/$wpath)"
  ok "smbclient put and get, read path $rpath, write path $wpath"
  stop_server
  grep -o 'data paths: .*' "$SERVER_LOG" | tail -1
}

# need NAME OP N: counter NAME compares as OP with N (-gt, -eq).
need() {
  local v
  v=$(counter "$1")
  [ -n "$v" ] && [ "$v" "$2" "$3" ] || fail "counter '$1' is '$v', expected $2 $3"
}

run_share copy recv
need "read copy" -gt 0; need "read zerocopy" -eq 0; need "read splice" -eq 0
need "write recv" -gt 0; need "write splice" -eq 0

run_share zerocopy recv
# every READ of data takes the zerocopy path: plain, signed in place and
# encrypted into a second registered buffer
need "read zerocopy" -gt 0; need "read copy" -eq 0; need "read splice" -eq 0

run_share splice splice
# plain traffic is spliced both ways; signed and encrypted traffic cannot
# be and takes copy and recv
need "read splice" -gt 0; need "read copy" -gt 0
need "write splice" -gt 0; need "write recv" -gt 0

run_share auto auto
need "read splice" -eq 0; need "write splice" -eq 0

echo "PASS: every read and write path, plain, signed and encrypted, sha256 intact"
