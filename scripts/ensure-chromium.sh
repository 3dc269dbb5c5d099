#!/usr/bin/env bash
# Prints the path of the Chromium the portal's browser tests drive (CHROMIUM_PATH, else
# /usr/bin/chromium), installing Debian's package first when it is missing and we may (root, apt).
set -euo pipefail
path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$path" ]; then echo "$path"; exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests (once)..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  echo "$path"
  exit 0
fi
cat >&2 <<MSG
The portal's browser tests need Chromium at $path.
Install it (Debian/Ubuntu: sudo apt-get install -y chromium), or set CHROMIUM_PATH to a Chromium
or Chrome binary. Test browsers are never downloaded by the test tools.
MSG
exit 1
