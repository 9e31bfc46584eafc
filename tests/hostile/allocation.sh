#!/usr/bin/env bash
# FileAllocationInformation (allocation.py) on a 64 MiB tmpfs: a request for
# more than the free space is refused with STATUS_DISK_FULL and reserves
# nothing; one that fits is reserved; other clients keep writing.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/../interop/lib.sh"

share_on_tmpfs 64m

start_server --share demo="$SHARE_DIR" --guest
timeout -k 10 300 python3 "$(dirname "$0")/allocation.py" --port "$PORT" \
  --share-dir "$SHARE_DIR" || fail "allocation.py"
server_alive || fail "server died"
stop_server
ok "allocation"
