#!/usr/bin/env bash
# Named users, signing, encryption and file-system identity (security
# issue): smbclient with signing and encryption per dialect and cipher
# (sha256 both ways), wrong passwords, guests, valid users, read-only
# shares and write lists, a share that requires encryption, mandatory
# signing, impacket, and (as root) ownership and permissions enforced by
# the kernel.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/lib.sh"

A=rsmbalice
B=rsmbbob
if [ "$(id -u)" -eq 0 ]; then
  for u in $A $B; do
    id "$u" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$u"
  done
fi
PASSDB=$WORK/passdb
echo "alice-pw1" | "$RINGSMBD" user --passdb "$PASSDB" add $A --password-stdin >/dev/null
echo "bob-pw2" | "$RINGSMBD" user --passdb "$PASSDB" add $B --password-stdin >/dev/null
[ "$(stat -c %a "$PASSDB")" = 600 ] || fail "passdb is not mode 0600"
grep -q "alice-pw1" "$PASSDB" && fail "passdb holds a password"
"$RINGSMBD" user --passdb "$PASSDB" list | grep -q "^$A " || fail "user list"
ok "passdb: mode 0600, NT hashes only, user add/list"

for d in rw ro private sealed guests; do mkdir -p "$WORK/$d"; chmod 1777 "$WORK/$d"; done
echo "read only content" >"$WORK/ro/file.txt"
cat >"$WORK/smb.conf" <<CONF
[global]
  passdb file = $PASSDB
  map to guest = bad user
  log level = 2
[rw]
  path = $WORK/rw
  read only = no
  valid users = $A $B
[ro]
  path = $WORK/ro
  read only = yes
  write list = $B
[private]
  path = $WORK/private
  read only = no
  valid users = $A
[sealed]
  path = $WORK/sealed
  read only = no
  smb encrypt = required
[guests]
  path = $WORK/guests
  read only = no
  guest ok = yes
CONF
start_server --config "$WORK/smb.conf"

head -c $((64 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
big_sum=$(sha256sum <"$WORK/big.bin")
smb() {  # smb SHARE USER%PASS EXTRA-ARGS... -- COMMANDS
  local share=$1 creds=$2
  shift 2
  local args=()
  while [ "$1" != "--" ]; do args+=("$1"); shift; done
  shift
  timeout 300 smbclient "//127.0.0.1/$share" -p "$PORT" -U "$creds" "${args[@]}" -c "$1" 2>&1
}
roundtrip() {  # roundtrip PROTECTION DIALECT [extra option]
  local prot=$1 m=$2 extra=${3:-}
  local name="rt_${prot}_${m}.bin" opts=(-m "$m" "--client-protection=$prot")
  [ -n "$extra" ] && opts+=("--option=$extra")
  rm -f "$WORK/back.bin"
  out=$(smb rw "$A%alice-pw1" "${opts[@]}" -- "put $WORK/big.bin $name; get $name $WORK/back.bin") ||
    fail "$prot $m $extra: $out"
  [ "$(sha256sum <"$WORK/rw/$name")" = "$big_sum" ] || fail "$prot $m: upload differs"
  [ "$(sha256sum <"$WORK/back.bin")" = "$big_sum" ] || fail "$prot $m: download differs"
  rm -f "$WORK/rw/$name"
  ok "$prot $m ${extra:+($extra) }64 MiB both ways"
}
roundtrip sign SMB2_10
roundtrip sign SMB3_00
roundtrip sign SMB3_11
roundtrip encrypt SMB3_00
roundtrip encrypt SMB3_11
for alg in hmac-sha-256 aes-128-cmac aes-128-gmac; do
  roundtrip sign SMB3_11 "client smb3 signing algorithms=$alg"
  grep -qi "signing $(echo "$alg" | sed 's/hmac-sha-256/HMAC-SHA256/; s/aes-128-cmac/AES-128-CMAC/; s/aes-128-gmac/AES-128-GMAC/')" \
    "$SERVER_LOG" || fail "signing algorithm $alg not negotiated"
done
for c in aes-128-ccm aes-128-gcm aes-256-ccm aes-256-gcm; do
  roundtrip encrypt SMB3_11 "client smb3 encryption algorithms=$c"
  grep -qi "cipher ${c^^}" "$SERVER_LOG" || fail "cipher $c not negotiated"
done

out=$(smb rw "$A%wrong" -- "ls" || true)
echo "$out" | grep -q NT_STATUS_LOGON_FAILURE || fail "wrong password: $out"
ok "wrong password: LOGON_FAILURE"
out=$(smb rw "nosuchuser%x" -- "ls" || true)
echo "$out" | grep -q NT_STATUS_ACCESS_DENIED || fail "guest on a share without guest ok: $out"
out=$(smb guests "nosuchuser%x" -- "put $WORK/smb.conf g.txt") || fail "guest on a guest share: $out"
ok "unknown user becomes a guest: refused on [rw], allowed on [guests]"
out=$(smb private "$B%bob-pw2" -- "ls" || true)
echo "$out" | grep -q NT_STATUS_ACCESS_DENIED || fail "user outside valid users: $out"
out=$(smb private "$A%alice-pw1" -- "ls") || fail "valid user: $out"
ok "valid users"
out=$(smb ro "$A%alice-pw1" -- "put $WORK/smb.conf new.txt" || true)
echo "$out" | grep -q NT_STATUS_ACCESS_DENIED || fail "write to a read-only share: $out"
out=$(smb ro "$A%alice-pw1" -- "get file.txt $WORK/ro.txt") || fail "read from ro: $out"
out=$(smb ro "$B%bob-pw2" -- "put $WORK/smb.conf bob.txt") || fail "write list: $out"
ok "read only refuses writes; write list allows them"
# A session that could encrypt but sends requests in the clear (the raw
# client never encrypts): the tree connect says ENCRYPT_DATA and every
# request on it is refused.
hash=$(grep "^$A:" "$PASSDB" | cut -d: -f2)
out=$(cd "$(dirname "$0")" && python3 - "$PORT" "$A" "$hash" <<'PY'
import sys, struct
import smb2raw as s
c = s.Connection(port=int(sys.argv[1]))
r = c.negotiate([0x0300], capabilities=s.CAP_LARGE_MTU | 0x40)
assert r.status == 0, s.status_name(r.status)
r = c.session_setup_ntlmv2(sys.argv[2], bytes.fromhex(sys.argv[3]))
assert r.status == 0, "logon: " + s.status_name(r.status)
r = c.tree_connect("\\\\127.0.0.1\\sealed")
assert r.status == 0, "tree connect: " + s.status_name(r.status)
flags = struct.unpack_from("<I", r.body, 4)[0]
assert flags & 0x8000, "no ENCRYPT_DATA share flag: 0x%x" % flags
r = c.create("clear.txt", disposition=s.FILE_OPEN_IF)
print(s.status_name(r.status))
PY
) || fail "raw client on [sealed]: $out"
[ "$out" = "STATUS_ACCESS_DENIED" ] || fail "unencrypted CREATE on [sealed] got $out"
[ ! -e "$WORK/sealed/clear.txt" ] || fail "unencrypted CREATE created the file"
out=$(smb sealed "$A%alice-pw1" -m SMB2_10 -- "ls" || true)
echo "$out" | grep -q NT_STATUS_ACCESS_DENIED || fail "SMB 2.1 access to [sealed]: $out"
out=$(smb sealed "$A%alice-pw1" -m SMB3_11 --client-protection=encrypt -- "put $WORK/smb.conf s.txt; ls") ||
  fail "encrypted access to [sealed]: $out"
ok "smb encrypt = required: unencrypted refused, encrypted works"

# impacket (Debian's python3-impacket) logs in as the same user and reads.
if /usr/bin/python3 -c "import impacket" 2>/dev/null; then
  echo "impacket data" >"$WORK/rw/imp.txt"
  out=$(/usr/bin/python3 - "$PORT" "$A" <<'PY'
import io, sys
from impacket.smbconnection import SMBConnection
c = SMBConnection('127.0.0.1', '127.0.0.1', sess_port=int(sys.argv[1]))
c.login(sys.argv[2], 'alice-pw1')
buf = io.BytesIO()
c.getFile('rw', 'imp.txt', buf.write)
print(buf.getvalue().decode().strip())
c.logoff()
PY
) || fail "impacket: $out"
  [ "$out" = "impacket data" ] || fail "impacket read: $out"
  ok "impacket login and read"
else
  fail "python3-impacket is not installed (scripts/deps.sh test installs it)"
fi

if [ "$(id -u)" -eq 0 ]; then
  echo "alice secret" >"$WORK/a.txt"
  out=$(smb rw "$A%alice-pw1" -- "put $WORK/a.txt alice.txt; mkdir adir") || fail "put as $A: $out"
  [ "$(stat -c %U "$WORK/rw/alice.txt")" = "$A" ] || fail "file not owned by $A"
  [ "$(stat -c %U "$WORK/rw/adir")" = "$A" ] || fail "directory not owned by $A"
  chmod 600 "$WORK/rw/alice.txt"
  out=$(smb rw "$B%bob-pw2" -- "get alice.txt $WORK/stolen.txt" || true)
  echo "$out" | grep -q NT_STATUS_ACCESS_DENIED || fail "$B read $A's 0600 file: $out"
  [ ! -s "$WORK/stolen.txt" ] || fail "$B got content of $A's file"
  out=$(smb rw "$B%bob-pw2" -- "put $WORK/a.txt adir/intruder.txt" || true)
  echo "$out" | grep -q NT_STATUS_ACCESS_DENIED || fail "$B wrote into $A's directory: $out"
  out=$(smb rw "$A%alice-pw1" -- "get alice.txt $WORK/mine.txt") || fail "$A reads own file: $out"
  cmp -s "$WORK/mine.txt" "$WORK/a.txt" || fail "$A's own read"
  ok "as root: files belong to their creator, the kernel enforces permissions"
fi
server_alive || fail "server died"

# Mandatory signing: no guests, named users signed.
stop_server
cat >"$WORK/smb2.conf" <<CONF
[global]
  passdb file = $PASSDB
  map to guest = bad user
  server signing = mandatory
[rw]
  path = $WORK/rw
  read only = no
  guest ok = yes
CONF
start_server --config "$WORK/smb2.conf"
out=$(smb rw "nosuchuser%x" -- "ls" || true)
echo "$out" | grep -qE "NT_STATUS_(ACCESS_DENIED|LOGON_FAILURE)" || fail "guest with mandatory signing: $out"
out=$(smb rw "$A%alice-pw1" -m SMB3_11 -- "put $WORK/smb.conf signed.txt; ls") || fail "signed user: $out"
grep -q "signing required" "$SERVER_LOG" || fail "session not marked signing required"
ok "server signing = mandatory: guests refused, users signed"
server_alive || fail "server died"
