#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, one after the other.
#   fuzz/run.sh BUILD_DIR SECONDS
# Seeds are regenerated into fuzz/seeds/<target> by make_seeds (read only
# for libFuzzer); what a run finds is kept in BUILD_DIR/corpus/<target>,
# crashing inputs in BUILD_DIR/crashes/, logs in BUILD_DIR/fuzz-logs/.
# Exits non-zero when any target found a crash, leak, timeout or OOM.
set -uo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
targets=(fuzz_validate fuzz_transform fuzz_ntlmssp fuzz_config fuzz_names)

rm -rf "$here/seeds"
"$build/make_seeds" "$here/seeds" || exit 1
mkdir -p "$build/crashes" "$build/fuzz-logs"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$here/seeds/$t"
  log="$build/fuzz-logs/$t.log"
  echo "fuzz: $t for ${seconds}s ($(ls "$here/seeds/$t" | wc -l) seeds)"
  "$build/$t" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
      -artifact_prefix="$build/crashes/$t-" \
      "$build/corpus/$t" "$here/seeds/$t" >"$log" 2>&1
  rc=$?
  done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -1)
  execs=$(grep -E 'stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
  cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE).*cov:' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
  echo "fuzz: $t rc=$rc ${done_line:-no Done line} (executed units ${execs:-?}; ${cov:-})"
  if [ $rc -ne 0 ]; then
    failed+=("$t")
    grep -E '^==[0-9]+==ERROR|SUMMARY|runtime error|^    #[0-9]' "$log" | head -30
    echo "fuzz: $t: full log in $log"
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/crashes/)"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a finding"
