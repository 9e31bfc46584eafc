#!/usr/bin/env bash
# Case-insensitive lookup, non-ASCII names, and stable file ids through
# smbclient.
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/lib.sh"
mkdir -p "$SHARE_DIR/MixedCase Dir"
echo "case" >"$SHARE_DIR/MixedCase Dir/CamelFile.TXT"
echo "unicode" >"$SHARE_DIR/Grüße-Ωmega.txt"
guest_owned "$SHARE_DIR/MixedCase Dir" "$SHARE_DIR/Grüße-Ωmega.txt"
start_server --share demo="$SHARE_DIR" --guest
smb() { timeout 60 smbclient "//127.0.0.1/demo" -p "$PORT" -N -c "$1" 2>&1; }

out=$(smb "get \"mixedcase dir/camelfile.txt\" $WORK/a.txt") || fail "case-insensitive get: $out"
cmp -s "$WORK/a.txt" "$SHARE_DIR/MixedCase Dir/CamelFile.TXT" || fail "wrong content"
ok "case-insensitive path"

out=$(smb "get \"GRÜSSE-ΩMEGA.txt\" $WORK/b.txt" || true)
out=$(smb "get \"grüße-ωmega.TXT\" $WORK/b.txt") || fail "non-ASCII case-insensitive get: $out"
cmp -s "$WORK/b.txt" "$SHARE_DIR/Grüße-Ωmega.txt" || fail "wrong content (non-ASCII)"
ok "non-ASCII name, other case"

out=$(smb "ls") || fail "ls: $out"
echo "$out" | grep -q "Grüße-Ωmega.txt" || fail "listing lacks the UTF-8 name: $out"
ok "UTF-8 names listed"

# A name that differs only in case is the same file: no second file appears.
out=$(smb "put $WORK/a.txt \"MIXEDCASE DIR/CAMELFILE.txt\"") || fail "put: $out"
[ "$(ls "$SHARE_DIR/MixedCase Dir" | wc -l)" = 1 ] || fail "a case variant created a second file"
ok "overwrite through another case keeps one file"

server_alive || fail "server died"
