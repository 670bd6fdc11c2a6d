#!/usr/bin/env bash
# expect_failure.sh RUN_FUZZER BINARY SCRATCH SEED_DIR WHAT
#   Runs RUN_FUZZER (tests/fuzz/run_fuzzer.sh) on the deliberately failing BINARY with SEED_DIR,
#   whose one input makes it fail, and passes only when run_fuzzer.sh exits non-zero, says FAILED,
#   keeps the failing input under SCRATCH/artifacts and shows libFuzzer's report of WHAT.
set -uo pipefail
run_fuzzer=$1 binary=$2 scratch=$3 seeds=$4 what=$5

output=$(bash "$run_fuzzer" "$binary" 20 "$scratch" "$seeds" 2>&1)
status=$?
fail() { echo "expect_failure.sh: $1"; echo "$output" | tail -n 30; exit 1; }
((status != 0)) || fail "run_fuzzer.sh exited 0 on a target that fails"
grep -q "FAILED (exit" <<<"$output" || fail "no FAILED line"
grep -q "$what" <<<"$output" || fail "libFuzzer's report does not say '$what'"
[[ -n $(find "$scratch/artifacts" -type f) ]] || fail "the failing input was not kept in $scratch/artifacts"
echo "expect_failure.sh: run_fuzzer.sh exited $status and kept the input ($what)"
