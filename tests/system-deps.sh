#!/usr/bin/env bash
# System packages the fast test tier needs (the engine tier installs its own):
# Debian's nginx, which runs the generated app/nginx.conf in tests/test_apisix.py.
set -euo pipefail
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "Error: nginx is missing. Fix: install Debian's nginx-light (sudo apt-get install -y nginx-light)" >&2
  exit 1
fi
echo "Installing nginx-light for the tests..."
apt-get update -qq
apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
