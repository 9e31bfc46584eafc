#!/usr/bin/env bash
# Runs smbtorture tests against a live ringsmbd, one process per test.
#   torture-run.sh RINGSMBD LIST [USER%PASS] [extra ringsmbd args...]
# Every test in LIST must pass; the outcome of each is printed, and the
# per-test logs of failures are shown.
RINGSMBD=$1; LIST=$2; CREDS=${3:-guest%}; shift 3 || shift $#
source "$(dirname "$0")/lib.sh"
if [ $# -gt 0 ]; then start_server "$@"; else start_server --share demo="$SHARE_DIR" --guest; fi

pass=0; failed=()
while IFS= read -r t; do
  t=${t%%#*}; t=$(echo "$t" | xargs)
  [ -z "$t" ] && continue
  log=$WORK/$t.log
  ( cd "$WORK" && timeout -k 5 "${TORTURE_TIMEOUT:-120}" smbtorture "//127.0.0.1/demo" -p "$PORT" \
      -U "$CREDS" --option=torture:progress=no "$t" ) </dev/null >"$log" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && grep -q '^success:' "$log" && ! grep -qE '^(failure|error):' "$log"; then
    echo "pass  $t"; pass=$((pass + 1))
  else
    echo "FAIL  $t (rc=$rc)"; failed+=("$t"); sed -n '/^failure\|^error/,+4p' "$log" | head -20
  fi
  server_alive || fail "server died during $t"
done <"$LIST"
echo "$pass passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
