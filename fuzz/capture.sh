#!/usr/bin/env bash
# Captures real SMB2/SMB3 traffic on loopback and turns it into the seed
# corpora fuzz/captured/<target>/ that fuzz/run.sh gives every target next
# to make_seeds' (docs/testing.md "Fuzzing"). Re-runnable: it replaces what
# is there.
#   fuzz/capture.sh [BUILD_DIR] [FUZZ_BUILD]
# BUILD_DIR (default build-bench) holds ringsmbd and ringsmb; FUZZ_BUILD
# (default build-fuzz) the fuzz targets (make fuzz-build), which keep only
# the candidates that add coverage (libFuzzer -merge=1).
#
# Needs root (a packet capture on lo; Samba's smbd), dumpcap, Samba's
# smbd, smbclient and smbtorture (scripts/deps.sh test). Servers: a
# ringsmbd and a Samba smbd of their own on 127.0.0.1 (tests/interop/lib.sh
# start_server, tests/interop/samba.sh start_samba), each with a user
# share, a guest share and a share that requires encryption. Clients,
# against each: the ringsmb command line on every dialect, plain, signed,
# encrypted, as guest and anonymous, two channels, a 2 MiB transfer, a
# missing file and a wrong password; smbclient on SMB 2.1 and 3.1.1, with
# an SMB1 multi-protocol NEGOTIATE, encrypted, as guest; a few smbtorture
# smb2.* tests. The only account is a test user this script creates
# (rsmbfuzz, password "capture-pw-1"); no other credential is ever sent.
# fuzz/capture.py cuts the capture into candidates (which part of the
# traffic feeds which target is described there); the two servers'
# configuration files are fuzz_config's.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build-bench}" && pwd)
FUZZ_BUILD=$(cd "${2:-$ROOT/build-fuzz}" && pwd)
export RINGSMBD=$BUILD/ringsmbd
RINGSMB=$BUILD/ringsmb
TARGETS=(fuzz_validate fuzz_transform fuzz_ntlmssp fuzz_config fuzz_names fuzz_client_responses
         fuzz_client_auth)
source "$ROOT/tests/interop/lib.sh"
source "$ROOT/tests/interop/samba.sh"

[ "$(id -u)" -eq 0 ] || fail "capture.sh needs root (dumpcap on lo, Samba's smbd)"
command -v dumpcap >/dev/null || fail "dumpcap is missing (Debian package wireshark-common)"
command -v smbclient >/dev/null && command -v smbtorture >/dev/null ||
  fail "smbclient and smbtorture are missing (scripts/deps.sh test)"
[ -x "$RINGSMBD" ] && [ -x "$RINGSMB" ] || fail "no ringsmbd and ringsmb in $BUILD"
for t in "${TARGETS[@]}"; do
  [ -x "$FUZZ_BUILD/$t" ] || fail "no $FUZZ_BUILD/$t: build the fuzz targets first (make fuzz-build)"
done

U=rsmbfuzz
PW=capture-pw-1
NOSUCH=rsmbnosuchuser
unix_user "$U"

# ---- servers --------------------------------------------------------------
echo "$PW" | "$RINGSMBD" user --passdb "$WORK/passdb" add "$U" --password-stdin >/dev/null
for d in guest sealed; do mkdir -p "$WORK/$d"; chmod 1777 "$WORK/$d"; done
cat >"$WORK/smb.conf" <<CONF
[global]
  passdb file = $WORK/passdb
  map to guest = bad user
  server multi channel support = yes
[share]
  path = $SHARE_DIR
  read only = no
[guest]
  path = $WORK/guest
  read only = no
  guest ok = yes
[sealed]
  path = $WORK/sealed
  read only = no
  smb encrypt = required
CONF
start_server --config "$WORK/smb.conf"
start_samba "$U" "$PW"
chown -R "$U" "$SHARE_DIR" "$SAMBA_SHARE"

# ---- capture --------------------------------------------------------------
PCAP=$WORK/capture.pcap
DUMPCAP_PID=
stop_dumpcap() { [ -z "$DUMPCAP_PID" ] || kill "$DUMPCAP_PID" 2>/dev/null || true; }
on_cleanup stop_dumpcap
dumpcap -q -i lo -P -B 64 -f "tcp port $PORT or tcp port $SAMBA_PORT" -w "$PCAP" \
  >"$WORK/dumpcap.log" 2>&1 &
DUMPCAP_PID=$!
for _ in $(seq 100); do [ -s "$PCAP" ] && break; sleep 0.1; done
[ -s "$PCAP" ] || fail "dumpcap did not start: $(cat "$WORK/dumpcap.log")"
sleep 0.5

# ---- clients --------------------------------------------------------------
# Whatever a client thinks of a server does not matter here, only the
# bytes: failures are counted, not fatal.
FAILED=0
run() { timeout -k 5 120 "$@" </dev/null >>"$WORK/clients.log" 2>&1 || FAILED=$((FAILED + 1)); }
rs() { run env RINGSMB_PASSWORD="$PW" "$RINGSMB" -q "$@"; }

echo "capture: small files" >&2
printf 'capture seed file\n' >"$WORK/small.txt"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$WORK/2m.bin"
mkdir -p "$WORK/got"

for server in ringsmbd samba; do
  if [ $server = ringsmbd ]; then port=$PORT; else port=$SAMBA_PORT; fi
  base="smb://$U@127.0.0.1:$port"
  echo "capture: ringsmb against $server" >&2
  for proto in SMB2_02 SMB2_10 SMB3_00 SMB3_02 SMB3_11; do
    d="d_$proto"
    rs --protocol "$proto" mkdir "$base/share/$d"
    rs --protocol "$proto" put "$WORK/small.txt" "$base/share/$d/small.txt"
    rs --protocol "$proto" ls "$base/share/$d"
    rs --protocol "$proto" stat "$base/share/$d/small.txt"
    rs --protocol "$proto" get "$base/share/$d/small.txt" "$WORK/got/small.txt"
    rs --protocol "$proto" mv "$base/share/$d/small.txt" "$base/share/$d/moved.txt"
    rs --protocol "$proto" df "$base/share"
    rs --protocol "$proto" rm -r "$base/share/$d"
  done
  rs --sign put "$WORK/small.txt" "$base/share/signed.txt"
  rs --sign --protocol SMB3_00 ls "$base/share"
  rs --sign --protocol SMB2_10 cat "$base/share/signed.txt"
  rs --encrypt put "$WORK/small.txt" "$base/share/sealed.txt"
  rs --encrypt --protocol SMB3_00 ls "$base/share"
  rs ls "$base/sealed"
  rs put "$WORK/2m.bin" "$base/share/2m.bin"
  rs get "$base/share/2m.bin" "$WORK/got/2m.bin"
  rs --channels 2 get "$base/share/2m.bin" "$WORK/got/2m-mc.bin"
  rs stat "$base/share/no-such-file"
  run env RINGSMB_PASSWORD=wrong-password "$RINGSMB" -q ls "$base/share"
  rs ls "smb://$NOSUCH@127.0.0.1:$port/guest"                      # a guest
  rs put "$WORK/small.txt" "smb://127.0.0.1:$port/guest/anon.txt"  # anonymous

  echo "capture: smbclient against $server" >&2
  sc=(smbclient "//127.0.0.1/share" -p "$port" -U "$U%$PW")
  cmds="mkdir sc; put $WORK/small.txt sc/f.txt; ls sc/*; allinfo sc/f.txt; get sc/f.txt $WORK/got/sc.txt; rename sc/f.txt sc/g.txt; del sc/g.txt; rmdir sc"
  run "${sc[@]}" -m SMB3_11 -c "$cmds"
  run "${sc[@]}" -m SMB2_10 -c "$cmds"
  run "${sc[@]}" -m SMB3_11 --client-protection=encrypt -c "$cmds"
  run "${sc[@]}" --option='client min protocol=NT1' -c "ls"
  run smbclient "//127.0.0.1/guest" -p "$port" -N -c "ls; put $WORK/small.txt g.txt; del g.txt"

  echo "capture: smbtorture against $server" >&2
  for t in smb2.connect smb2.compound.related1 smb2.compound.interim1 \
           smb2.compound_find.compound_find_related smb2.credits.single_req_credits_granted \
           smb2.getinfo.complex smb2.getinfo.fsinfo smb2.dir.one smb2.lock.valid-request \
           smb2.notify.valid-req smb2.create.blob smb2.lease.request smb2.read.eof; do
    ( cd "$WORK" && run smbtorture "//127.0.0.1/share" -p "$port" -U "$U%$PW" \
        --option=torture:progress=no "$t" )
  done
done
echo "capture: $FAILED client runs failed (no matter: only the bytes count)" >&2

sleep 1
kill -INT "$DUMPCAP_PID"
wait "$DUMPCAP_PID" || true
DUMPCAP_PID=
grep -i "dropped" "$WORK/dumpcap.log" >&2 || true

# ---- seeds ----------------------------------------------------------------
python3 "$ROOT/fuzz/capture.py" "$PCAP" "$WORK/candidates" "$PORT" "$SAMBA_PORT"
# fuzz_config: the two servers' configuration files as they ran (paths
# made neutral).
mkdir -p "$WORK/candidates/fuzz_config"
sed "s|$WORK|/srv/ringsmb|g" "$WORK/smb.conf" >"$WORK/candidates/fuzz_config/ringsmbd.conf"
sed "s|$WORK|/srv/ringsmb|g" "$SAMBA_CONF" >"$WORK/candidates/fuzz_config/samba.conf"
for t in "${TARGETS[@]}"; do
  dest=$ROOT/fuzz/captured/$t
  rm -rf "$dest"
  mkdir -p "$dest" "$WORK/candidates/$t"
  "$FUZZ_BUILD/$t" -merge=1 -max_len=65536 -timeout=25 "$dest" "$WORK/candidates/$t" \
    >"$WORK/merge-$t.log" 2>&1 || { tail -20 "$WORK/merge-$t.log"; fail "merge of $t failed"; }
  echo "capture: $t: $(ls "$dest" | wc -l) of $(ls "$WORK/candidates/$t" | wc -l) candidates kept, $(du -sk "$dest" | cut -f1) KiB"
done
echo "capture: fuzz/captured is $(du -sk "$ROOT/fuzz/captured" | cut -f1) KiB"
