#!/usr/bin/env bash
# ringsmb --channels 4: a 1 GiB random file fetched over four connections
# bound to one session, from Samba's smbd (server multi channel support)
# and from ringsmbd; sha256 compared. While the transfer runs, ss shows the
# four connections: against Samba all four server-side sockets must belong
# to one smbd process (Samba passes a bound connection to the process of
# its session) and smbstatus must list one session; ringsmbd's log must
# name channels 2, 3 and 4 of one session. Samba needs root: as another
# user only the ringsmbd half runs, and the test counts as skipped.
#   client-multichannel.sh RINGSMB RINGSMBD
RINGSMB=${1:-$RINGSMB}
RINGSMBD=${2:-$RINGSMBD}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
source "$HERE/samba.sh"
T0=$SECONDS

U=rsmbclient
PW=client-pw1
CHANNELS=4
unix_user "$U"
echo "$PW" | "$RINGSMBD" user --passdb "$WORK/passdb" add "$U" --password-stdin >/dev/null
cat >"$WORK/smb.conf" <<CONF
[global]
  passdb file = $WORK/passdb
  server multi channel support = yes
  log level = 2
[share]
  path = $SHARE_DIR
  read only = no
  valid users = $U
CONF
start_server --config "$WORK/smb.conf"
HAVE_SAMBA=
if samba_runnable; then start_samba "$U" "$PW"; HAVE_SAMBA=1; else echo "SKIP Samba: $SAMBA_WHY_NOT"; fi

head -c $((1024 * 1024 * 1024)) /dev/urandom >"$SHARE_DIR/big.bin"
SUM=$(sha256sum <"$SHARE_DIR/big.bin")
if [ -n "$HAVE_SAMBA" ]; then
  ln "$SHARE_DIR/big.bin" "$SAMBA_SHARE/big.bin" 2>/dev/null || cp "$SHARE_DIR/big.bin" "$SAMBA_SHARE/big.bin"
fi

SAMPLER_PID=
stop_sampler() { [ -z "$SAMPLER_PID" ] || kill "$SAMPLER_PID" 2>/dev/null || true; }
on_cleanup stop_sampler

# fetch PORT LABEL [ringsmb options...]: the 4-channel get of big.bin, with
# ss (and, for Samba, smbstatus) sampled under $WORK/mc-LABEL while it runs.
# Fails unless the copy is right.
fetch() {
  local port=$1 label=$2
  shift 2
  local dir=$WORK/mc-$label
  rm -rf "$dir"; mkdir -p "$dir"
  (
    i=0
    while [ ! -e "$dir/done" ]; do
      i=$((i + 1))
      # one line per socket: the -i details joined to it
      ss -Htnpi state established "( sport = :$port or dport = :$port )" 2>&1 |
        awk '!/^[ \t]/ && line != "" { print line; line = "" } { line = line " " $0 } END { if (line != "") print line }' \
          >"$dir/ss.$i"
      if [ "$label" != "${label#samba}" ] && [ $((i % 5)) -eq 1 ]; then
        smbstatus -s "$SAMBA_CONF" -b >"$dir/st.$i" 2>&1 || true
      fi
      sleep 0.02
    done
  ) &
  SAMPLER_PID=$!
  local t=$SECONDS rc=0
  RINGSMB_PASSWORD=$PW timeout 600 "$RINGSMB" -q --channels "$CHANNELS" "$@" \
    get "smb://$U@127.0.0.1:$port/share/big.bin" "$WORK/back.bin" >"$dir/out" 2>&1 &
  wait $! || rc=$?
  touch "$dir/done"
  wait "$SAMPLER_PID" || true
  SAMPLER_PID=
  [ $rc -eq 0 ] || fail "$label: ringsmb --channels $CHANNELS get exited $rc: $(cat "$dir/out")"
  [ "$(sha256sum <"$WORK/back.bin")" = "$SUM" ] || fail "$label: the 1 GiB copy differs"
  rm -f "$WORK/back.bin"
  echo "$label: 1 GiB over $CHANNELS channels in $((SECONDS - t)) s, sha256 matches"
}

# last_snapshot DIR PORT: the last ss sample with CHANNELS ringsmb
# connections to PORT (empty: none).
last_snapshot() {
  local dir=$1 port=$2 f n i last=
  for i in $(ls "$dir" | sed -n 's/^ss\.//p' | sort -n); do
    f=$dir/ss.$i
    n=$(awk -v p="127.0.0.1:$port" '$4 == p && /"ringsmb"/' "$f" | wc -l)
    [ "$n" -eq "$CHANNELS" ] && last=$f
  done
  echo "$last"
}

# check_channels DIR PORT SERVER-NAME: in the last sample with CHANNELS
# connections from one ringsmb process, the server side of each in a
# single SERVER-NAME process, and each connection carrying part of the
# data (at least 1/4 of its fair share, of 64 MiB or more by then); prints
# that server process id.
check_channels() {
  local dir=$1 port=$2 name=$3 file
  file=$(last_snapshot "$dir" "$port")
  [ -n "$file" ] || { echo "no sample with $CHANNELS ringsmb connections"; return 1; }
  local client_ports client_pids server_pids cp
  client_ports=$(awk -v p="127.0.0.1:$port" '$4 == p && /"ringsmb"/ { sub(/.*:/, "", $3); print $3 }' "$file")
  client_pids=$(awk -v p="127.0.0.1:$port" '$4 == p && /"ringsmb"/' "$file" | grep -o 'pid=[0-9]*' | sort -u)
  [ "$(wc -l <<<"$client_pids")" -eq 1 ] || { echo "connections from several processes: $client_pids"; return 1; }
  server_pids=
  for cp in $client_ports; do
    local line
    line=$(awk -v l="127.0.0.1:$port" -v r="127.0.0.1:$cp" '$3 == l && $4 == r' "$file")
    [ -n "$line" ] || { echo "no server side for client port $cp in $file"; return 1; }
    grep -q "\"$name\"" <<<"$line" || { echo "server side of $cp is not $name: $line"; return 1; }
    server_pids+="$(grep -o 'pid=[0-9]*' <<<"$line")"$'\n'
  done
  server_pids=$(sort -u <<<"${server_pids%$'\n'}")
  [ "$(wc -l <<<"$server_pids")" -eq 1 ] || { echo "server sides in several processes: $(echo $server_pids)"; cat "$file"; return 1; }
  # bytes each ringsmb socket has received so far
  local bytes
  bytes=$(awk -v p="127.0.0.1:$port" '$4 == p && /"ringsmb"/ {
      b = 0; for (i = 1; i <= NF; i++) if ($i ~ /^bytes_received:/) { sub(/.*:/, "", $i); b = $i }
      print b }' "$file")
  awk -v n="$CHANNELS" '{ b[NR] = $1; sum += $1 }
      END { if (sum < 64 * 2^20) exit 1; for (i = 1; i <= NR; i++) if (b[i] < sum / n / 4) exit 1 }' <<<"$bytes" ||
    { echo "the data is not spread over the $CHANNELS connections (bytes received each: $(echo $bytes))"; return 1; }
  awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(bytes_received|bytes_acked):/) d = d " " $i
      print "  " $3, $4, $5 d; d = "" }' "$file" >"$dir/best"
  echo "${server_pids#pid=}"
}

# check_sessions DIR SMBD-PID: smbstatus, while the transfer ran, listed a
# single session for the user, in SMBD-PID, whose connection (the first)
# is one of ringsmb's.
check_sessions() {
  local dir=$1 pid=$2 f rows sessions='' first
  for f in "$dir"/st.*; do
    [ -e "$f" ] || continue
    rows=$(awk -v u="$U" '$2 == u' "$f")
    [ -n "$rows" ] || continue
    [ "$(wc -l <<<"$rows")" -eq 1 ] || { echo "smbstatus lists several sessions for $U: $(cat "$f")"; return 1; }
    [ "$(awk '{print $1}' <<<"$rows")" = "$pid" ] || { echo "smbstatus: the session is not in smbd $pid: $rows"; return 1; }
    sessions=$rows
  done
  [ -n "$sessions" ] || { echo "smbstatus never showed the session ($(find "$dir" -name 'st.*' | wc -l) samples)"; return 1; }
  first=$(grep -oE 'ipv4:127\.0\.0\.1:[0-9]+' <<<"$sessions" | sed 's/.*://')
  awk -v p="127.0.0.1:$SAMBA_PORT" '$2 == p && /"ringsmb"/ { print $1 }' "$dir/best" | grep -qx "127.0.0.1:$first" ||
    { echo "smbstatus: the session's connection :$first is not one of ringsmb's"; return 1; }
  echo "$sessions"
}

# multichannel SERVER PORT PROCESS-NAME: fetch and check_channels (and for
# Samba check_sessions); a second try is slowed down (small I/Os, one at a
# time per channel) in case the first was over before the samples showed
# it. Sets SRV_PID and LABEL.
multichannel() {
  local server=$1 port=$2 name=$3 attempt why
  for attempt in 1 2; do
    LABEL=$server
    if [ "$attempt" -eq 1 ]; then fetch "$port" "$LABEL"
    else LABEL=$server-slow; fetch "$port" "$LABEL" --io-size 16384 --depth 1; fi
    if SRV_PID=$(check_channels "$WORK/mc-$LABEL" "$port" "$name"); then
      [ "$server" != samba ] && return 0
      if why=$(check_sessions "$WORK/mc-$LABEL" "$SRV_PID"); then SESSION=$why; return 0; fi
    else
      why=$SRV_PID
    fi
    echo "$server, try $attempt: $why"
  done
  fail "$server: $why"
}

# ---- Samba ------------------------------------------------------------------
if [ -n "$HAVE_SAMBA" ]; then
  multichannel samba "$SAMBA_PORT" smbd
  [ "$SRV_PID" != "$SAMBA_PID" ] || fail "Samba: the connections are on the parent smbd"
  cat "$WORK/mc-$LABEL/best"
  ok "Samba: $CHANNELS connections from one ringsmb, all served by smbd pid $SRV_PID (one session's process), each carrying data"
  echo "  $SESSION"
  ok "smbstatus: a single session for $U, in smbd pid $SRV_PID"
fi

# ---- ringsmbd ---------------------------------------------------------------
multichannel ringsmbd "$PORT" ringsmbd
[ "$SRV_PID" = "$SERVER_PID" ] || fail "ringsmbd: connections served by pid $SRV_PID, not $SERVER_PID"
cat "$WORK/mc-$LABEL/best"
ok "ringsmbd: $CHANNELS connections from one ringsmb, each carrying data"
# "PEER: channel N of session 0xID (USER)" for every bound channel.
sid=$(sed -nE "s/.*: session (0x[0-9a-f]+): $U as .*/\1/p" "$SERVER_LOG" | tail -1)
[ -n "$sid" ] || fail "ringsmbd log: no session for $U"
for n in $(seq 2 "$CHANNELS"); do
  grep -q "channel $n of session $sid ($U)" "$SERVER_LOG" || fail "ringsmbd log: no channel $n of session $sid"
done
bound=$(grep -E "channel [0-9]+ of session $sid \(" "$SERVER_LOG" || true)
[ "$(wc -l <<<"$bound")" -eq $((CHANNELS - 1)) ] ||
  fail "ringsmbd log: not $((CHANNELS - 1)) bound channels of $sid: $bound"
sed 's/^/  /' <<<"$bound"
ok "ringsmbd: channels 2..$CHANNELS bound to session $sid"

server_alive || fail "ringsmbd died"
[ -z "$HAVE_SAMBA" ] || kill -0 "$SAMBA_PID" 2>/dev/null || fail "smbd died"
ok "all in $((SECONDS - T0)) s"
# Exit status 77: CTest reports the test as skipped (half of it was).
[ -n "$HAVE_SAMBA" ] || { echo "SKIPPED the Samba half: $SAMBA_WHY_NOT"; exit 77; }
