#!/usr/bin/env bash
# smbclient -N against a guest share, once per dialect: ls, mkdir, put/get of
# a 64 MiB random file (sha256 both ways), rename, allinfo, rm, rmdir, and
# get of an empty file and of a file one byte over 8 MiB.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/lib.sh"
start_server --share demo="$SHARE_DIR" --guest

head -c $((64 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
head -c $((8 * 1024 * 1024 + 1)) /dev/urandom >"$SHARE_DIR/over8m.bin"
: >"$SHARE_DIR/empty.bin"
big_sum=$(sha256sum <"$WORK/big.bin")
over_sum=$(sha256sum <"$SHARE_DIR/over8m.bin")

smb() {  # smb PROTOCOL COMMANDS
  timeout 300 smbclient "//127.0.0.1/demo" -p "$PORT" -N -m "$1" -c "$2" 2>&1
}

for m in SMB2_02 SMB2_10 SMB3_00 SMB3_02 SMB3_11; do
  d="dir_$m"
  out=$(smb "$m" "mkdir $d; put $WORK/big.bin $d/big.bin; ls $d/*") || fail "$m put: $out"
  echo "$out" | grep -q "big.bin .* 67108864" || fail "$m: ls does not show big.bin: $out"
  [ "$(sha256sum <"$SHARE_DIR/$d/big.bin")" = "$big_sum" ] || fail "$m: uploaded file differs"
  rm -f "$WORK/back.bin"
  out=$(smb "$m" "get $d/big.bin $WORK/back.bin") || fail "$m get: $out"
  [ "$(sha256sum <"$WORK/back.bin")" = "$big_sum" ] || fail "$m: downloaded file differs"
  out=$(smb "$m" "rename $d/big.bin $d/renamed.bin; allinfo $d/renamed.bin") || fail "$m rename: $out"
  echo "$out" | grep -q "stream: \[::\$DATA\], 67108864 bytes" || fail "$m: allinfo: $out"
  echo "$out" | grep -q "attributes: A" || fail "$m: allinfo attributes: $out"
  [ -f "$SHARE_DIR/$d/renamed.bin" ] && [ ! -e "$SHARE_DIR/$d/big.bin" ] || fail "$m: rename not on disk"
  rm -f "$WORK/empty.out" "$WORK/over.out"
  out=$(smb "$m" "get empty.bin $WORK/empty.out; get over8m.bin $WORK/over.out") || fail "$m: get small: $out"
  [ -f "$WORK/empty.out" ] && [ ! -s "$WORK/empty.out" ] || fail "$m: empty file"
  [ "$(sha256sum <"$WORK/over.out")" = "$over_sum" ] || fail "$m: 8 MiB + 1 file differs"
  out=$(smb "$m" "rm $d/renamed.bin; rmdir $d; ls") || fail "$m rm/rmdir: $out"
  [ ! -e "$SHARE_DIR/$d" ] || fail "$m: directory still there"
  echo "$out" | grep -q "over8m.bin" || fail "$m: ls of the root: $out"
  ok "$m"
done
server_alive || fail "server died"
