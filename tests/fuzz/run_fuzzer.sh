#!/usr/bin/env bash
# run_fuzzer.sh BINARY SECONDS SCRATCH SEED_DIR... [-- LIBFUZZER_FLAG...]
#   Runs one libFuzzer target for SECONDS on a copy of the seed folders (missing ones are skipped)
#   in SCRATCH/corpus, so the repository is never written to: new interesting inputs go to
#   SCRATCH/corpus, crash / leak / timeout / oom inputs to SCRATCH/artifacts, the whole log to
#   SCRATCH/fuzz.log; dictionaries/<target>.dict is passed when it exists. Prints libFuzzer's
#   final stats and, on failure, its report; exits non-zero when the run crashed, leaked, timed
#   out or ran out of memory. scripts/fuzz.sh and the ctest smoke runs both call it.
set -uo pipefail

if (($# < 3)); then
  echo "usage: run_fuzzer.sh BINARY SECONDS SCRATCH SEED_DIR... [-- LIBFUZZER_FLAG...]" >&2
  exit 2
fi
binary=$1 seconds=$2 scratch=$3
shift 3
seed_dirs=()
while (($# > 0)) && [[ $1 != -- ]]; do
  seed_dirs+=("$1")
  shift
done
(($# > 0)) && shift
extra_flags=("$@")

name=$(basename "$binary")
# A target's dictionary, when it has one: tokens of its format that mutation rarely spells.
dictionary=$(dirname "$0")/dictionaries/${name#fuzz_}.dict
[[ -f $dictionary ]] && extra_flags=("-dict=$dictionary" "${extra_flags[@]}")
rm -rf "$scratch"
mkdir -p "$scratch/corpus" "$scratch/artifacts"
for dir in "${seed_dirs[@]}"; do
  [[ -d $dir ]] && find "$dir" -maxdepth 1 -type f -exec cp {} "$scratch/corpus/" \;
done
seeds=$(find "$scratch/corpus" -type f | wc -l)
echo "$name: ${seconds}s on $seeds seed inputs (log: $scratch/fuzz.log)"

# The limits make an unbounded allocation or a hang a reported failure rather than a stalled
# machine: 2 GB for one allocation or the whole process, 10 s for one input.
UBSAN_OPTIONS=print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS} \
  "$binary" -max_total_time="$seconds" -print_final_stats=1 \
  -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
  -artifact_prefix="$scratch/artifacts/" "${extra_flags[@]}" "$scratch/corpus" >"$scratch/fuzz.log" 2>&1
status=$?

artifacts=$(find "$scratch/artifacts" -type f | wc -l)
if ((status != 0 || artifacts != 0)); then
  tail -n 100 "$scratch/fuzz.log"  # the report (sanitizer or libFuzzer) ends the log
  echo "$name: FAILED (exit $status); inputs that failed:"
  find "$scratch/artifacts" -type f -printf '  %p\n'
  exit $((status != 0 ? status : 1))
fi
grep -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs|^stat::' "$scratch/fuzz.log"
grown=$(find "$scratch/corpus" -type f | wc -l)
echo "$name: passed; corpus $seeds -> $grown inputs ($(du -sb "$scratch/corpus" | cut -f1) bytes) in $scratch/corpus"
