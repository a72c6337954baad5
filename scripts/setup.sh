#!/usr/bin/env bash
# Installs the Debian packages PushEngine needs (only the missing ones) on Debian 12.
# Works as root on a fresh machine; uses sudo when not root.
set -euo pipefail

packages=(libnghttp2-dev libssl-dev nghttp2-client nghttp2-server pkg-config openssl curl)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all Debian packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
