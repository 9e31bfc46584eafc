# Samba's smbd as a private peer for a test (source after lib.sh):
#   source samba.sh; start_samba USER PASSWORD [extra [global] lines...]
# (samba_runnable says beforehand whether it can run here.)
# Everything lives under $WORK/samba (configuration, pid, lock, state,
# cache and private directories, log); smbd listens on a free port on
# 127.0.0.1 only and is stopped at exit. Shares:
#   [share]   $WORK/samba-share (mode 1777), read only = no
#   [guest]   $WORK/samba-guest (mode 1777), guest ok = yes, read only = no,
#             new files and directories writable by everyone
#   [sealed]  $WORK/samba-sealed (mode 1777), smb encrypt = required
# with map to guest = bad user. USER gets a Unix account (as root) and an
# entry in the private passdb. Sets SAMBA_PORT, SAMBA_PID, SAMBA_CONF,
# SAMBA_LOG, SAMBA_SHARE, SAMBA_GUEST, SAMBA_SEALED.
SAMBA_DIR=$WORK/samba
SAMBA_CONF=$SAMBA_DIR/smb.conf
SAMBA_LOG=$SAMBA_DIR/smbd.log
SAMBA_SHARE=$WORK/samba-share
SAMBA_GUEST=$WORK/samba-guest
SAMBA_SEALED=$WORK/samba-sealed
SAMBA_PID=
SAMBA_PORT=

# samba_tree PID: PID and all its descendants (parents first).
samba_tree() {
  local p
  echo "$1"
  for p in $(pgrep -P "$1" 2>/dev/null); do samba_tree "$p"; done
}

stop_samba() {
  local rc=${1:-0} pids p
  [ -n "$SAMBA_PID" ] || return 0
  pids=$(samba_tree "$SAMBA_PID")
  # smbd's children leave when the parent does; anything left gets KILL.
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 50); do
    local alive=
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  kill -KILL $pids 2>/dev/null || true
  wait "$SAMBA_PID" 2>/dev/null || true
  SAMBA_PID=
  if [ "$rc" -ne 0 ] && [ -f "$SAMBA_LOG" ]; then
    echo "---- smbd log (last 40 lines) ----"; tail -40 "$SAMBA_LOG"
  fi
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# samba_runnable: fails the test when smbd is not installed; returns 1,
# with the reason in SAMBA_WHY_NOT, when it cannot run here (not root).
samba_runnable() {
  command -v smbd >/dev/null 2>&1 || [ -x /usr/sbin/smbd ] ||
    fail "Samba's smbd is not installed (Debian package 'samba'; scripts/deps.sh test installs it)"
  command -v smbpasswd >/dev/null 2>&1 || fail "smbpasswd is missing (Debian package 'samba-common-bin')"
  SAMBA_WHY_NOT=
  [ "$(id -u)" -eq 0 ] || SAMBA_WHY_NOT="Samba's smbd must run as root (it acts as each user's Unix account)"
  [ -z "$SAMBA_WHY_NOT" ]
}

start_samba() {
  local user=$1 pass=$2
  shift 2
  local smbd
  samba_runnable || fail "$SAMBA_WHY_NOT"
  smbd=$(command -v smbd || echo /usr/sbin/smbd)

  id "$user" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user" 2>/dev/null ||
    id "$user" >/dev/null 2>&1 || fail "cannot create the Unix account $user"

  mkdir -p "$SAMBA_DIR"/{run/ncalrpc,lock,state,cache,private,log}
  chmod 700 "$SAMBA_DIR/private"
  for d in "$SAMBA_SHARE" "$SAMBA_GUEST" "$SAMBA_SEALED"; do mkdir -p "$d"; chmod 1777 "$d"; done
  # smbd enters share paths as the logged-on user: WORK (mktemp: 0700)
  # must let them through.
  chmod o+x "$WORK"

  local attempt extra
  extra=$(printf '  %s\n' "$@")
  for attempt in 1 2 3; do
    SAMBA_PORT=$(free_port)
    cat >"$SAMBA_CONF" <<CONF
[global]
  workgroup = WORKGROUP
  netbios name = RSMBTEST
  server role = standalone server
  smb ports = $SAMBA_PORT
  interfaces = 127.0.0.1/8
  bind interfaces only = yes
  disable netbios = yes
  server min protocol = SMB2_02
  server multi channel support = yes
  map to guest = bad user
  guest account = nobody
  passdb backend = tdbsam:$SAMBA_DIR/private/passdb.tdb
  pid directory = $SAMBA_DIR/run
  lock directory = $SAMBA_DIR/lock
  state directory = $SAMBA_DIR/state
  cache directory = $SAMBA_DIR/cache
  private dir = $SAMBA_DIR/private
  ncalrpc dir = $SAMBA_DIR/run/ncalrpc
  log file = $SAMBA_DIR/log/log.%m
  log level = 1
  max log size = 10000
  load printers = no
  printcap name = /dev/null
  disable spoolss = yes
${extra}
[share]
  path = $SAMBA_SHARE
  read only = no
[guest]
  path = $SAMBA_GUEST
  read only = no
  guest ok = yes
  # An anonymous (null) session acts as the guest account but with the
  # anonymous token, which does not own what it creates: let everyone
  # write there, as guests may in ringsmbd's guest share.
  directory mask = 0777
  force directory mode = 0777
  create mask = 0666
  force create mode = 0666
[sealed]
  path = $SAMBA_SEALED
  read only = no
  smb encrypt = required
CONF
    if [ "$attempt" -eq 1 ]; then
      printf '%s\n%s\n' "$pass" "$pass" | smbpasswd -c "$SAMBA_CONF" -s -a "$user" >>"$SAMBA_LOG" 2>&1 ||
        fail "smbpasswd -a $user failed"
    fi
    "$smbd" --foreground --debug-stdout -s "$SAMBA_CONF" </dev/null \
      >>"$SAMBA_LOG" 2>&1 &
    SAMBA_PID=$!
    [ "$attempt" -eq 1 ] && on_cleanup stop_samba
    local up=
    for _ in $(seq 200); do
      kill -0 "$SAMBA_PID" 2>/dev/null || break
      if ss -Htln "sport = :$SAMBA_PORT" 2>/dev/null | grep -q "127.0.0.1:$SAMBA_PORT"; then up=1; break; fi
      sleep 0.1
    done
    if [ -n "$up" ]; then
      # Only ever on 127.0.0.1: every listening socket of smbd's processes.
      local pids bad
      pids=$(samba_tree "$SAMBA_PID" | paste -sd'|')
      bad=$(ss -Htlnp 2>/dev/null | grep -E "pid=($pids)," | awk '{print $4}' | grep -v '^127\.0\.0\.1:' || true)
      [ -z "$bad" ] || fail "smbd listens beyond 127.0.0.1: $bad"
      echo "smbd pid $SAMBA_PID on 127.0.0.1:$SAMBA_PORT ($($smbd -V))"
      return 0
    fi
    stop_samba 0
    echo "smbd did not listen on 127.0.0.1:$SAMBA_PORT (attempt $attempt)"
  done
  tail -40 "$SAMBA_LOG"
  fail "could not start smbd"
}
