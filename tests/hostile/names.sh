#!/usr/bin/env bash
# Hostile names (names.py): "..", absolute and UNC-style names, symlinks
# in the share pointing outside (to a file and to a directory, relative and
# absolute), invalid UTF-16, reserved device names and stream syntax, each
# sent to ringsmbd and, as root, to Samba's smbd with the same tree; the
# statuses are printed side by side and ringsmbd's checked against the
# specification. Nothing outside the shares may change or be read.
RINGSMBD=${1:-$RINGSMBD}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../interop/lib.sh"
source "$HERE/../interop/samba.sh"

OUT=$WORK/outside
mkdir -p "$OUT/sub"
{ printf 'top secret, must never be served\n'; head -c 4321 /dev/urandom; } >"$OUT/secret.txt"
printf 'deeper secret\n' >"$OUT/sub/deep.txt"
# Old atimes: a read of these through the server would update them.
touch -a -d '2001-02-03 04:05:06' "$OUT/secret.txt" "$OUT/sub/deep.txt"

# layout DIR: the same tree in each share.
layout() {
  local d=$1
  printf 'inside the share\n' >"$d/file.txt"
  mkdir -p "$d/dir"
  printf 'dir/in.txt\n' >"$d/dir/in.txt"
  ln -s ../outside/secret.txt "$d/link_file"
  ln -s ../outside "$d/link_dir"
  ln -s "$OUT/secret.txt" "$d/abs_link_file"
  ln -s "$OUT" "$d/abs_link_dir"
  guest_owned "$d/file.txt" "$d/dir"
  chmod 0666 "$d/file.txt"; chmod 1777 "$d/dir"
}
layout "$SHARE_DIR"
start_server --share demo="$SHARE_DIR" --guest

SAMBA_ARGS=()
if samba_runnable; then
  # Streams as xattrs, as ringsmbd keeps them; links out of the share are
  # refused by Samba's default (wide links = no).
  start_samba hostileuser 'Hostile-Pw-1' 'vfs objects = streams_xattr'
  layout "$SAMBA_GUEST"
  SAMBA_ARGS=(--samba-port "$SAMBA_PORT" --samba-share guest --samba-dir "$SAMBA_GUEST")
else
  echo "Samba not compared: $SAMBA_WHY_NOT"
fi

timeout -k 10 300 python3 "$HERE/names.py" --port "$PORT" --share demo --share-dir "$SHARE_DIR" \
  --outside "$OUT" "${SAMBA_ARGS[@]}" || fail "names.py"
server_alive || fail "server died"
stop_server
ok "names"
