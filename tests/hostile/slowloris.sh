#!/usr/bin/env bash
# Slow-loris clients (slowloris.py) against a server with short timeouts.
#   slowloris.sh RINGSMBD handshake   ringsmb:handshake timeout = 3: partial
#       NetBIOS headers and NEGOTIATE / SESSION_SETUP trickled a byte at a
#       time, one by one and 200 at once, must be cut off while a normal
#       client keeps working.
#   slowloris.sh RINGSMBD request     ringsmb:request timeout = 3: after
#       logon, frames trickled in must be cut off; an idle connection is
#       not. Skipped (exit status 77) when ringsmbd does not know the key.
RINGSMBD=${1:-$RINGSMBD}
MODE=${2:?handshake or request}
source "$(dirname "$0")/../interop/lib.sh"
T=3
case $MODE in
  handshake) KEY="ringsmb:handshake timeout" ;;
  request) KEY="ringsmb:request timeout" ;;
  *) fail "unknown mode $MODE" ;;
esac
cat >"$WORK/smb.conf" <<CONF
[global]
  $KEY = $T
[demo]
  path = $SHARE_DIR
  read only = no
  guest ok = yes
CONF
if ! start_server --config "$WORK/smb.conf" --guest; then
  grep -q "$KEY" "$SERVER_LOG" && { echo "SKIP: ringsmbd refuses '$KEY'"; exit 77; }
  fail "ringsmbd did not start"
fi
if grep -q "$KEY.*unknown key" "$SERVER_LOG"; then
  echo "SKIP: ringsmbd ignores '$KEY' (unknown key): $(grep "$KEY" "$SERVER_LOG")"
  exit 77
fi

timeout -k 10 300 python3 "$(dirname "$0")/slowloris.py" --port "$PORT" --mode "$MODE" \
  --timeout "$T" || fail "slowloris.py --mode $MODE"
server_alive || fail "server died"
echo "server log: $(grep -cE 'no session after|too slow, closing' "$SERVER_LOG") connections" \
  "cut off for slowness"
stop_server
ok "slow-loris ($MODE)"
