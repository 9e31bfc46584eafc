#!/usr/bin/env bash
# Clients killed with SIGKILL mid-read and mid-write (killclient.py): the
# ringsmb command line and smbclient get and put 256 MiB and are killed at
# random points; the server must drop their connections, keep no open of
# theirs (the files open exclusively and delete), and serve a fresh
# client. The share is in /dev/shm when it has room.
#   killclient.sh RINGSMB RINGSMBD
RINGSMB=${1:-$RINGSMB}
RINGSMBD=${2:-$RINGSMBD}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] &&
   [ "$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')" -gt $((2 << 20)) ]; then
  export TMPDIR=/dev/shm
fi
source "$HERE/../interop/lib.sh"
command -v ss >/dev/null || { echo "SKIP: ss (iproute2) is missing"; exit 77; }

head -c $((256 << 20)) /dev/urandom >"$SHARE_DIR/big.bin"
cp "$SHARE_DIR/big.bin" "$WORK/src.bin"
guest_owned "$SHARE_DIR/big.bin"
start_server --share demo="$SHARE_DIR" --guest

timeout -k 10 600 python3 "$HERE/killclient.py" --port "$PORT" --share-dir "$SHARE_DIR" \
  --ringsmb "$RINGSMB" --source "$WORK/src.bin" || fail "killclient.py"
server_alive || fail "server died"
left=$(ss -Htn state established state close-wait "( sport = :$PORT )" | wc -l)
[ "$left" -eq 0 ] || fail "$left connections still held by the server at the end"
stop_server
ok "killed clients"
