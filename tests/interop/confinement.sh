#!/usr/bin/env bash
# Path confinement (confinement.py): "..", absolute names, drive letters and
# symlinks that point out of the share (to a sibling directory, to a file
# in it, to /etc, dangling) must never let a CREATE, RENAME or listing
# reach outside; legitimate symlinks inside the share keep working.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/lib.sh"

# The outside directory is a sibling whose name starts with the share's.
OUT=$WORK/share-outside
mkdir -p "$OUT/subdir"
printf 'top secret, must never be served\n' >"$OUT/secret.txt"
head -c 4321 /dev/urandom >>"$OUT/secret.txt"
printf 'deeper secret\n' >"$OUT/subdir/deeper.txt"
touch -d '2001-02-03 04:05:06' "$OUT/secret.txt" "$OUT/subdir/deeper.txt"
touch -d '2002-03-04 05:06:07' "$OUT/subdir" "$OUT"

printf 'inside the share\n' >"$SHARE_DIR/inside.txt"
printf 'rename source\n' >"$SHARE_DIR/mv_src.txt"
guest_owned "$SHARE_DIR/mv_src.txt"
mkdir -p "$SHARE_DIR/sub"
printf 'sub/f.txt\n' >"$SHARE_DIR/sub/f.txt"
ln -s inside.txt "$SHARE_DIR/legit"
ln -s ../inside.txt "$SHARE_DIR/sub/up_legit"
ln -s sub "$SHARE_DIR/legit_dir"
ln -s ../share-outside "$SHARE_DIR/escape"
ln -s "$OUT" "$SHARE_DIR/escape_abs"
ln -s ../share-outside/secret.txt "$SHARE_DIR/escape_file"
ln -s ../share-outside/secret.txt "$SHARE_DIR/escape_file2"
ln -s /etc "$SHARE_DIR/etc_link"
ln -s ../share-outside/dangle_target.txt "$SHARE_DIR/dangle"
ln -s "$OUT/dangle_abs_target.txt" "$SHARE_DIR/dangle_abs"

start_server --share demo="$SHARE_DIR" --guest
timeout -k 10 300 python3 "$(dirname "$0")/confinement.py" \
  --port "$PORT" --share-dir "$SHARE_DIR" --outside "$OUT" || fail "confinement.py"
server_alive || fail "server died"
ok "confinement"
