#!/usr/bin/env bash
# Limits (docs/reliability.md), each set small so a test can reach it: the
# new work is refused with the documented status or the connection closed,
# and everything else goes on. Then a tight server-wide buffer memory under
# parallel 8 MiB writes: the data arrives intact.
#   limits.sh RINGSMB RINGSMBD
RINGSMB=${1:-$RINGSMB}
RINGSMBD=${2:-$RINGSMBD}
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")

cat >"$WORK/counts.conf" <<CONF
[global]
  ringsmb:max connections = 6
  ringsmb:max connections per address = 3
  ringsmb:max sessions per connection = 2
  ringsmb:max tree connects per session = 2
  max open files = 4
[demo]
  path = $SHARE_DIR
  read only = no
  guest ok = yes
CONF
start_server --config "$WORK/counts.conf" --guest
timeout -k 5 300 python3 "$HERE/limits.py" --port "$PORT" --case connections,sessions,opens ||
  fail "limits.py (counts)"
grep -q "connection refused: ringsmb:max connections per address reached" "$SERVER_LOG" ||
  fail "the refused connection was not logged"
server_alive || fail "server died"
stop_server
ok "connections, sessions, tree connects, open files"

cat >"$WORK/time.conf" <<CONF
[global]
  ringsmb:max outstanding requests = 8
  ringsmb:request timeout = 2
  ringsmb:idle timeout = 3
  ringsmb:buffer memory = 16M
[demo]
  path = $SHARE_DIR
  read only = no
  guest ok = yes
CONF
start_server --config "$WORK/time.conf" --guest
timeout -k 5 300 python3 "$HERE/limits.py" --port "$PORT" --case async,request-timeout,idle ||
  fail "limits.py (asynchronous requests and timeouts)"
grep -q "request of 1000 bytes too slow, closing" "$SERVER_LOG" || fail "the slow request was not logged"
grep -q "idle for 3 s with nothing open, closing" "$SERVER_LOG" || fail "the idle close was not logged"

# 16 MiB for the whole server, two clients with 8 MiB writes 8 deep: they
# wait for memory and their data arrives intact.
head -c $((96 << 20)) /dev/urandom >"$WORK/src.bin"
want=$(sha256sum <"$WORK/src.bin" | cut -d' ' -f1)
pids=()
for i in 1 2; do
  timeout 300 "$RINGSMB" -q -N --io-size 8M --depth 8 put "$WORK/src.bin" \
    "smb://127.0.0.1:$PORT/demo/mem$i.bin" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a put under the buffer memory limit failed"; done
for i in 1 2; do
  [ "$(sha256sum <"$SHARE_DIR/mem$i.bin" | cut -d' ' -f1)" = "$want" ] ||
    fail "mem$i.bin differs from what was written"
done
server_alive || fail "server died"
stop_server
ok "asynchronous requests, request and idle timeouts, buffer memory"

# ringsmb:max channels per session = 2: a client asking for 4 gets 2, the
# refused bindings leave the session alone, and the copy is intact.
U=rsmblimit
PW=limit-pw1
share_user "$U" "$PW"
cat >"$WORK/channels.conf" <<CONF
[global]
  passdb file = $WORK/passdb
  ringsmb:max channels per session = 2
[share]
  path = $SHARE_DIR
  read only = no
  valid users = $U
CONF
start_server --config "$WORK/channels.conf"
rm -f "$SHARE_DIR/mem1.bin"
RINGSMB_PASSWORD=$PW timeout 300 "$RINGSMB" --channels 4 get \
  "smb://$U@127.0.0.1:$PORT/share/mem2.bin" "$WORK/back.bin" 2>"$WORK/get.err" ||
  { cat "$WORK/get.err"; fail "get over 4 channels with a limit of 2"; }
grep -q "the server takes 2 channel(s) for this session, not 4" "$WORK/get.err" ||
  { cat "$WORK/get.err"; fail "the client did not say it got 2 channels"; }
[ "$(sha256sum <"$WORK/back.bin" | cut -d' ' -f1)" = "$want" ] || fail "the copy over 2 channels differs"
server_alive || fail "server died"
stop_server
ok "channels per session"
