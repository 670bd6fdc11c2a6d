#!/usr/bin/env bash
# apt_install.sh PKG...: installs those of the Debian packages that are not installed yet
# (dpkg-query), with one `apt-get update` first and --no-install-recommends; directly as root,
# through sudo otherwise. Does nothing, and needs no network, when all are installed.
set -euo pipefail

missing=()
for p in "$@"; do
  if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true) != installed ]]; then
    missing+=("$p")
  fi
done
((${#missing[@]} == 0)) && exit 0

sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "apt_install.sh: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi
echo "apt_install.sh: installing ${missing[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
