#!/usr/bin/env bash
# Runs smbtorture tests against a live ringsmbd, one process per test.
#   torture-run.sh RINGSMBD LIST guest [extra ringsmbd args...]
#   torture-run.sh RINGSMBD LIST user [auto|mandatory]
# "guest" serves a guest share; "user" creates a passdb user (and, as root,
# its Unix account) and serves [demo] to it with the given server signing.
# Every test in LIST must pass; the outcome of each is printed, and the
# per-test logs of failures are shown.
RINGSMBD=$1; LIST=$2; MODE=${3:-guest}; shift 3 || shift $#
source "$(dirname "$0")/lib.sh"
if [ "$MODE" = user ]; then
  U=rsmbtorture
  if [ "$(id -u)" -eq 0 ]; then
    id "$U" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$U"
  fi
  echo "torture-pw" | "$RINGSMBD" user --passdb "$WORK/passdb" add "$U" --password-stdin >/dev/null
  cat >"$WORK/smb.conf" <<CONF
[global]
  passdb file = $WORK/passdb
  server signing = ${1:-auto}
[demo]
  path = $SHARE_DIR
  read only = no
CONF
  CREDS="$U%torture-pw"
  start_server --config "$WORK/smb.conf"
else
  CREDS=guest%
  if [ $# -gt 0 ]; then start_server "$@"; else start_server --share demo="$SHARE_DIR" --guest; fi
fi

pass=0; failed=()
while IFS= read -r t; do
  t=${t%%#*}; t=$(echo "$t" | xargs)
  [ -z "$t" ] && continue
  log=$WORK/$t.log
  rc=0
  ( cd "$WORK" && timeout -k 5 "${TORTURE_TIMEOUT:-120}" smbtorture "//127.0.0.1/demo" -p "$PORT" \
      -U "$CREDS" --option=torture:progress=no "$t" ) </dev/null >"$log" 2>&1 || rc=$?
  if [ $rc -eq 0 ] && grep -q '^success:' "$log" && ! grep -qE '^(failure|error):' "$log"; then
    echo "pass  $t"; pass=$((pass + 1))
  else
    echo "FAIL  $t (rc=$rc)"; failed+=("$t"); sed -n '/^failure\|^error/,+4p' "$log" | head -20
  fi
  server_alive || fail "server died during $t"
done <"$LIST"
echo "$pass passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
