#!/usr/bin/env bash
# Bad input in raw bytes (badinput.py): malformed frames, headers, offsets,
# compound chains, SMB1, out-of-order commands, MessageId abuse, 500 idle
# connections, while smb2raw and smbclient clients keep doing file work.
# The server must answer each with the status MS-SMB2 names or a
# disconnect, never hang, and stay up.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/lib.sh"
start_server --share demo="$SHARE_DIR" --guest

timeout -k 10 500 python3 "$(dirname "$0")/badinput.py" \
  --port "$PORT" --pid "$SERVER_PID" --work "$WORK" || fail "badinput.py"
server_alive || fail "server died"
ok "badinput"
