#!/usr/bin/env bash
# Durability (durability.py): two clients write with a FLUSH after every
# batch while ringsmbd is killed (SIGKILL, and SIGTERM every third round)
# at a random point; every byte written before an acknowledged FLUSH must
# be on disk, read straight from the share directory, and no byte may be
# wrong. Nine rounds, then a fresh server must serve normally.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/../interop/lib.sh"
timeout -k 10 600 python3 "$(dirname "$0")/durability.py" --ringsmbd "$RINGSMBD" \
  --share-dir "$SHARE_DIR" --work "$WORK" || {
  for f in "$WORK"/server-*.log; do echo "---- $f (last 10 lines)"; tail -10 "$f"; done
  fail "durability.py"
}
ok "durability"
