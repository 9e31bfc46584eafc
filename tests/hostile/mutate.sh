#!/usr/bin/env bash
# Random mutations of a recorded session's requests (mutate.py): bit flips,
# boundary values in length/offset fields, truncation, extension, compound
# duplication, NextCommand anywhere, lying transport headers. Every one must
# get an error, a valid reply or a close, never a hang or a crash; a fresh
# client must work after every batch. HOSTILE_SEED, HOSTILE_MUTATIONS and
# HOSTILE_ONLY replay or widen a run (docs/testing.md, "Hostile clients").
#
# The share lives on a 256 MiB tmpfs: a mutated SET_INFO or CREATE may ask
# for any allocation size, and ringsmbd reserves it (fallocate), which on
# the test machine's disk would fill it for everyone. Mounting needs root;
# elsewhere the test is skipped (exit status 77).
RINGSMBD=${1:-$RINGSMBD}
source "$(dirname "$0")/../interop/lib.sh"

share_on_tmpfs 256m

start_server --share demo="$SHARE_DIR" --guest
timeout -k 10 900 python3 "$(dirname "$0")/mutate.py" --port "$PORT" --pid "$SERVER_PID" \
  --share-dir "$SHARE_DIR" || fail "mutate.py"
server_alive || fail "server died"
df -h "$SHARE_DIR" | tail -1 | awk '{print "share tmpfs at the end: " $3 " of " $2 " used"}'
stop_server
ok "mutate"
