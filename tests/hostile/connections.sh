#!/usr/bin/env bash
# 1,000 concurrent connections (connections.py) from 127.0.0.2-5 against
# one ringsmbd, each logging on and creating, writing, reading back,
# listing and deleting its own file; all must succeed with the right data.
# ringsmbd starts with the soft open-file limit of a default login (1024)
# and must raise it itself. Elapsed times are printed, not judged.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/../interop/lib.sh"
N=${HOSTILE_CLIENTS:-1000}

HARD=$(ulimit -Hn)
if [ "$HARD" != unlimited ] && [ "$HARD" -lt $((N + 512)) ]; then
  echo "SKIP: the hard open-file limit ($HARD) is too low for $N connections"
  exit 77
fi
command -v ss >/dev/null || { echo "SKIP: ss (iproute2) is missing"; exit 77; }
ulimit -Sn 1024
start_server --share demo="$SHARE_DIR" --guest
ulimit -Sn "$HARD"
echo "ringsmbd started with a soft limit of 1024 open files; it now has" \
  "$(awk '/Max open files/ {print $4 " (hard " $5 ")"}' "/proc/$SERVER_PID/limits")"

timeout -k 10 600 python3 "$(dirname "$0")/connections.py" --port "$PORT" --clients "$N" \
  --share-dir "$SHARE_DIR" || fail "connections.py"
server_alive || fail "server died"
stop_server
ok "$N connections"
