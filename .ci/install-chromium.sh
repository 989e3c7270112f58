#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (browser_test.go) unless it is there.
# The tests fail in CI (CI=true) when Chromium is missing, so .ci/run calls this first.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q chromium
/usr/bin/chromium --version
