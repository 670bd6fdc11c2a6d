#!/usr/bin/env bash
# Runs one command line and checks what it did; used by qf_add_cli_test (CMakeLists.txt here).
#
# cli_test.sh [--code N] [--stderr REGEX]... [--stderr_lines N] [--stdout REGEX]... [--clean DIR]
#             -- COMMAND... [--then CHECK...]
#
#   --code N        expected exit code (default 0)
#   --stderr REGEX  stderr must match this extended regex (repeatable: all must match); when
#                   N != 0, its last non-empty line (the error) must match them all: an error
#                   is one line that names the file, tensor or node (log lines may come before)
#   --stderr_lines N  stderr must have exactly N non-empty lines (1: the error and nothing else)
#   --stdout REGEX  stdout must match this regex (repeatable)
#   --clean DIR     remove DIR before running (an output folder from an earlier run)
#   --then CHECK    run CHECK afterwards (only if the exit code was right); it must exit 0
set -euo pipefail

code=0 stderr_res=() stderr_lines="" stdout_res=() clean=""
while (($#)); do
  case $1 in
    --code) code=$2; shift 2 ;;
    --stderr) stderr_res+=("$2"); shift 2 ;;
    --stderr_lines) stderr_lines=$2; shift 2 ;;
    --stdout) stdout_res+=("$2"); shift 2 ;;
    --clean) clean=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "cli_test.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
cmd=() check=()
while (($#)) && [[ $1 != --then ]]; do cmd+=("$1"); shift; done
if (($#)); then shift; check=("$@"); fi
((${#cmd[@]})) || { echo "cli_test.sh: no command" >&2; exit 2; }

[[ -n $clean ]] && rm -rf -- "$clean"
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

printf '$'; printf ' %q' "${cmd[@]}"; printf '\n'
rc=0
"${cmd[@]}" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
out=$(<"$tmp/out") err=$(<"$tmp/err")
printf -- '--- exit code %d (expected %d)\n--- stdout:\n%s\n--- stderr:\n%s\n---\n' "$rc" "$code" "$out" "$err"

fail=0
if ((rc != code)); then echo "FAIL: exit code $rc, expected $code"; fail=1; fi
if [[ -n $stderr_lines ]]; then
  lines=$(grep -c . "$tmp/err" || true)
  ((lines == stderr_lines)) || { echo "FAIL: $lines non-empty lines on stderr, expected $stderr_lines"; fail=1; }
fi
where=stderr
if ((code != 0)); then
  err=$(grep . "$tmp/err" | tail -n 1 || true)
  where="the last line of stderr"
  [[ -n $err ]] || { echo "FAIL: no error message on stderr"; fail=1; }
fi
for re in "${stderr_res[@]}"; do
  [[ $err =~ $re ]] || { echo "FAIL: $where does not match: $re"; fail=1; }
done
for re in "${stdout_res[@]}"; do
  [[ $out =~ $re ]] || { echo "FAIL: stdout does not match: $re"; fail=1; }
done
((fail == 0)) || exit 1

if ((${#check[@]})); then
  printf 'check:'; printf ' %q' "${check[@]}"; printf '\n'
  "${check[@]}"
fi
echo "PASS"
