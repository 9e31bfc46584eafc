# Shared helpers for the interop tests: each test starts its own ringsmbd on
# an ephemeral loopback port with a private share, and stops it on exit.
#   source lib.sh; start_server [extra ringsmbd args...]
# sets RINGSMBD (binary), PORT, SHARE_DIR, WORK, SERVER_PID, SERVER_LOG.
set -euo pipefail

RINGSMBD=${RINGSMBD:?set RINGSMBD to the ringsmbd binary}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringsmb-test.XXXXXX")
SHARE_DIR=$WORK/share
mkdir -p "$SHARE_DIR"
# When the server runs as root, guests act as the guest account (nobody):
# the share must let them write, like a shared /tmp.
chmod 1777 "$SHARE_DIR"

# guest_owned PATH...: hand fixture files to the guest account, so guests
# may change them (a no-op when not root).
guest_owned() {
  [ "$(id -u)" -eq 0 ] || return 0
  chown -R nobody:nogroup "$@"
}
SERVER_PID=
SERVER_LOG=$WORK/server.log

# on_cleanup FUNCTION: also run FUNCTION (with the exit status as its
# argument) at exit, before WORK is removed; e.g. to stop another server.
CLEANUP_HOOKS=()
on_cleanup() { CLEANUP_HOOKS+=("$1"); }

cleanup() {
  local rc=$? h
  for h in "${CLEANUP_HOOKS[@]}"; do "$h" "$rc" || true; done
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ $rc -ne 0 ] && [ -f "$SERVER_LOG" ]; then
    echo "---- server log (last 40 lines) ----"; tail -40 "$SERVER_LOG"
  fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

# start_server [args]: default is a guest share "demo" over SHARE_DIR.
start_server() {
  local pf=$WORK/port
  rm -f "$pf"
  "$RINGSMBD" --listen 127.0.0.1:0 --port-file "$pf" "$@" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    [ -s "$pf" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "ringsmbd exited early"; cat "$SERVER_LOG"; return 1; }
    sleep 0.05
  done
  PORT=$(cat "$pf")
  echo "ringsmbd pid $SERVER_PID on 127.0.0.1:$PORT"
}

server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }

# stop_server: SIGTERM, and wait for a clean exit (exit status 0).
stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || return 0
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=
  [ $rc -eq 0 ] || fail "ringsmbd exited with status $rc after SIGTERM"
}

fail() { echo "FAIL: $*"; exit 1; }

# unix_user NAME: as root, makes sure the Unix account NAME exists (a
# system account without a login; two tests may race to create it). A
# no-op for other users.
unix_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id "$1" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$1" 2>/dev/null ||
    id "$1" >/dev/null 2>&1 || fail "cannot create the Unix account $1"
}
ok() { echo "ok: $*"; }
# share_user NAME PASSWORD: the Unix account NAME (as root) owning
# SHARE_DIR, and NAME with PASSWORD in $WORK/passdb.
share_user() {
  unix_user "$1"
  [ "$(id -u)" -ne 0 ] || chown "$1" "$SHARE_DIR"
  echo "$2" | "$RINGSMBD" user --passdb "$WORK/passdb" add "$1" --password-stdin >/dev/null
}

# share_on_tmpfs SIZE: SHARE_DIR becomes a tmpfs of SIZE (e.g. 64m), so a
# test may fill it without touching the machine's disk; unmounted at exit,
# after the server is gone. Mounting needs root: skipped (exit 77) otherwise.
share_on_tmpfs() {
  [ "$(id -u)" -eq 0 ] ||
    { echo "SKIP: needs root to put the share on a size-limited tmpfs"; exit 77; }
  mount -t tmpfs -o "size=$1,mode=1777" ringsmb-test "$SHARE_DIR" ||
    { echo "SKIP: cannot mount a tmpfs for the share"; exit 77; }
  on_cleanup unmount_share_tmpfs
}
unmount_share_tmpfs() {
  # The server must be gone before its files' file system.
  if [ -n "$SERVER_PID" ]; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  umount "$SHARE_DIR" 2>/dev/null || umount -l "$SHARE_DIR"
}

