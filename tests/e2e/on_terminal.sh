#!/usr/bin/env bash
# on_terminal.sh COMMAND...: runs COMMAND on a pseudo-terminal (script(1), util-linux) and prints
# on stdout what the terminal showed, both streams: the progress lines a tool writes only when
# stderr is a terminal are invisible to every other test.
set -euo pipefail
printf -v cmd ' %q' "$@"
exec script --quiet --return --command "$cmd" /dev/null
