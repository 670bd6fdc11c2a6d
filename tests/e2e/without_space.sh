#!/usr/bin/env bash
# without_space.sh COMMAND...: runs COMMAND where no file may grow past 1 KiB, as on a disk that is
# full: write() fails with EFBIG (SIGXFSZ is ignored so that the process sees the error).
set -euo pipefail
trap '' XFSZ
ulimit -f 1  # one block: 1024 bytes in bash
exec "$@"
