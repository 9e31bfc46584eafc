#!/usr/bin/env bash
# FileAllocationInformation (allocation.py) on a 64 MiB tmpfs: a request for
# more than the free space is refused with STATUS_DISK_FULL and reserves
# nothing; one that fits is reserved; other clients keep writing.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/../interop/lib.sh"

[ "$(id -u)" -eq 0 ] ||
  { echo "SKIP: needs root to put the share on a size-limited tmpfs"; exit 77; }
mount -t tmpfs -o size=64m,mode=1777 ringsmb-alloc "$SHARE_DIR" ||
  { echo "SKIP: cannot mount a tmpfs for the share"; exit 77; }
unmount_share() {
  if [ -n "$SERVER_PID" ]; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  umount "$SHARE_DIR" 2>/dev/null || umount -l "$SHARE_DIR"
}
on_cleanup unmount_share

start_server --share demo="$SHARE_DIR" --guest
timeout -k 10 300 python3 "$(dirname "$0")/allocation.py" --port "$PORT" \
  --share-dir "$SHARE_DIR" || fail "allocation.py"
server_alive || fail "server died"
stop_server
ok "allocation"
