#!/usr/bin/env bash
# Installs what the packaging tests (packaging_test.go) need, unless it is there: Debian's
# systemd (systemd-analyze verify/security for packaging/classer-batch.service) and buildah
# (builds packaging/Dockerfile, FROM scratch, with no engine and no network). The tests
# fail in CI (CI=true) when a tool is missing, so .ci/run calls this first.
set -euo pipefail
want=()
command -v systemd-analyze >/dev/null || want+=(systemd)
command -v buildah >/dev/null || want+=(buildah)
if [ ${#want[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${want[@]}"
fi
echo "systemd-analyze: $(systemd-analyze --version | head -1)"
echo "buildah: $(buildah --version)"
