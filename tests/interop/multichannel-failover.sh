#!/usr/bin/env bash
# A lost channel never loses the session or its open files. ringsmb
# --channels 4 binds four connections to one session on ringsmbd (two
# workers: the log must show the channels on both); mid-transfer of a
# 512 MiB get and then of a 512 MiB put, one of the four connections is
# killed on the server side (ss -K: the socket is destroyed, as when a
# link goes down). The transfer must finish on the remaining channels with
# the right sha256, the server must log that the session goes on, and the
# same session must still serve the open file and new requests.
#   multichannel-failover.sh RINGSMB RINGSMBD
RINGSMB=${1:-$RINGSMB}
RINGSMBD=${2:-$RINGSMBD}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

command -v ss >/dev/null || { echo "SKIP: ss (iproute2) is missing"; exit 77; }
U=rsmbfail
PW=fail-pw1
share_user "$U" "$PW"
cat >"$WORK/smb.conf" <<CONF
[global]
  passdb file = $WORK/passdb
  server multi channel support = yes
  ringsmb:workers = 2
  log level = 2
[share]
  path = $SHARE_DIR
  read only = no
  valid users = $U
CONF
start_server --config "$WORK/smb.conf"

SRC=$WORK/src.bin
head -c $((512 * 1024 * 1024)) /dev/urandom >"$SRC"
SUM=$(sha256sum <"$SRC" | cut -d' ' -f1)
cp "$SRC" "$SHARE_DIR/big.bin"
[ "$(id -u)" -ne 0 ] || chown "$U" "$SHARE_DIR/big.bin"
URL=smb://$U@127.0.0.1:$PORT/share

# kill_one PID: waits until the ringsmb process PID has 4 connections to
# the server, lets data flow, then destroys the server side of channel 4
# (not channel 1: the client opens and closes files there).
kill_one() {
  local pid=$1 ports port i child
  # the ringsmb under `timeout`
  for i in $(seq 100); do
    child=$(pgrep -P "$pid" ringsmb || true)
    [ -n "$child" ] && break
    sleep 0.02
  done
  [ -n "$child" ] && pid=$child
  for i in $(seq 400); do
    ports=$(ss -Htnp state established "( dport = :$PORT )" 2>/dev/null |
      awk -v p="pid=$pid," 'index($0, p) { n = split($3, a, ":"); print a[n] }' | sort -n)
    [ "$(wc -l <<<"$ports")" -ge 4 ] && [ -n "$ports" ] && break
    sleep 0.02
  done
  [ "$(wc -l <<<"$ports")" -ge 4 ] || { echo "never saw 4 connections"; return 1; }
  # The last channel bound: the server logs "PEER: channel 4 of session".
  # Its client port is one of ringsmb's four.
  port=
  for i in $(seq 200); do
    port=$(grep -E ": channel 4 of session" "$SERVER_LOG" | tail -1 |
      sed -nE 's/.* 127\.0\.0\.1:([0-9]+): channel 4 of session.*/\1/p')
    [ -n "$port" ] && grep -qx "$port" <<<"$ports" && break
    port=
    sleep 0.02
  done
  [ -n "$port" ] || { echo "no channel 4 of this transfer in the server log"; return 1; }
  sleep 0.2
  ss -K -Htn state established "( sport = :$PORT and dport = :$port )" >/dev/null
  kill -0 "$pid" 2>/dev/null || { echo "the transfer ended before a channel could be killed"; return 1; }
  echo "killed the server side of 127.0.0.1:$port"
}

# transfer LABEL ringsmb-args...: runs the 4-channel transfer with one
# channel killed under it.
transfer() {
  local label=$1 rc=0
  shift
  RINGSMB_PASSWORD=$PW timeout 600 "$RINGSMB" -q --channels 4 --depth 1 --io-size 262144 "$@" \
    >"$WORK/$label.out" 2>&1 &
  local cpid=$!
  kill_one "$cpid" || { kill "$cpid" 2>/dev/null; fail "$label: $(cat "$WORK/$label.out")"; }
  wait "$cpid" || rc=$?
  [ $rc -eq 0 ] || fail "$label: ringsmb exited $rc after losing a channel: $(cat "$WORK/$label.out")"
  grep -q "channel [0-9]* lost" "$WORK/$label.out" ||
    fail "$label: the client never noticed the lost channel: $(cat "$WORK/$label.out")"
  cat "$WORK/$label.out"
  server_alive || fail "$label: the server died"
}

before=$(grep -c "the session goes on" "$SERVER_LOG" || true)
transfer get get "$URL/big.bin" "$WORK/back.bin"
[ "$(sha256sum <"$WORK/back.bin" | cut -d' ' -f1)" = "$SUM" ] || fail "get: the copy differs"
ok "get of 512 MiB over 4 channels survived losing one (sha256 matches)"

transfer put put "$SRC" "$URL/up.bin"
[ "$(sha256sum <"$SHARE_DIR/up.bin" | cut -d' ' -f1)" = "$SUM" ] || fail "put: the file written differs"
ok "put of 512 MiB over 4 channels survived losing one (sha256 matches)"

after=$(grep -c "the session goes on" "$SERVER_LOG" || true)
[ $((after - before)) -ge 2 ] || fail "the server did not log a lost channel with the session going on"
# Channels of one session on both workers.
workers=$(grep -E "channel [0-9]+ of session" "$SERVER_LOG" | awk '{ print $2 }' | sort -u | wc -l)
[ "$workers" -ge 2 ] || fail "the channels were all served by one worker"
ok "the server kept the sessions; channels were served by $workers workers"

echo "PASS: losing a channel loses neither the session nor the transfer"
