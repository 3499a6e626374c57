#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; install it when missing (needs root and apt).
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "Chromium ready: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing: install Debian's 'chromium' package (apt-get install chromium)." >&2
  exit 1
fi
echo "Installing Debian's chromium package ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq chromium >/dev/null || {
  echo "Installing chromium failed; the browser tests cannot run." >&2; exit 1; }
echo "Chromium ready: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
