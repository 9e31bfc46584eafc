#!/usr/bin/env bash
# A read-only share refuses every change with STATUS_ACCESS_DENIED and
# still serves reads; a share without "guest ok" refuses guests.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/ro/sub" "$WORK/private"
echo "read me" >"$WORK/ro/file.txt"
cat >"$WORK/smb.conf" <<CONF
[global]
  map to guest = bad user
[ro]
  path = $WORK/ro
  read only = yes
  guest ok = yes
[private]
  path = $WORK/private
  read only = no
  guest ok = no
CONF
start_server --config "$WORK/smb.conf"
before=$(cd "$WORK/ro" && find . -printf '%p %s %T@\n' | sort | sha256sum)

smb() { timeout 60 smbclient "//127.0.0.1/ro" -p "$PORT" -N -c "$1" 2>&1 || true; }
denied() {  # denied DESCRIPTION COMMANDS
  out=$(smb "$2")
  echo "$out" | grep -q "NT_STATUS_ACCESS_DENIED" || fail "$1 was not refused: $out"
  ok "$1 refused"
}
denied "put" "put $WORK/smb.conf new.txt"
denied "overwrite" "put $WORK/smb.conf file.txt"
denied "mkdir" "mkdir newdir"
denied "rmdir" "rmdir sub"
denied "rm" "rm file.txt"
denied "rename" "rename file.txt other.txt"
denied "setmode" "setmode file.txt +r"

out=$(smb "get file.txt $WORK/got.txt")
cmp -s "$WORK/got.txt" "$WORK/ro/file.txt" || fail "read from the read-only share: $out"
ok "read works"
after=$(cd "$WORK/ro" && find . -printf '%p %s %T@\n' | sort | sha256sum)
[ "$before" = "$after" ] || fail "the read-only share changed"
ok "nothing changed on disk"

out=$(timeout 60 smbclient "//127.0.0.1/private" -p "$PORT" -N -c "ls" 2>&1 || true)
echo "$out" | grep -q "NT_STATUS_ACCESS_DENIED" || fail "guest on a share without guest ok: $out"
ok "guest refused where guest ok = no"
out=$(timeout 60 smbclient "//127.0.0.1/nosuch" -p "$PORT" -N -c "ls" 2>&1 || true)
echo "$out" | grep -q "NT_STATUS_BAD_NETWORK_NAME" || fail "unknown share: $out"
ok "unknown share: BAD_NETWORK_NAME"
server_alive || fail "server died"
