#!/usr/bin/env bash
# Creates the two Django virtualenvs the bootstrap's Django-side tests run in.
# Idempotent: a venv whose stamp matches its pins is left alone.
#   .venv-lms-side : what edx-platform pins (django-oauth-toolkit 1.7.1, plaintext client secrets; social-auth links)
#   .venv-app-side : what the MIT apps pin (Django 5.2, django-oauth-toolkit 3.1.0, hashed client secrets)
# Location: $ODL_TEST_CACHE (default: <repo>/.cache).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ODL_TEST_CACHE:-$ROOT/.cache}"
PYTHON="${ODL_TEST_PYTHON:-python3}"

LMS_PINS="Django==4.2.16 django-oauth-toolkit==1.7.1 social-auth-app-django==5.4.3"
APP_PINS="Django==5.2.8 django-oauth-toolkit==3.1.0"

make_venv() {
  local dir="$1" pins="$2"
  local stamp="$dir/.odl-pins"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pins" ]; then
    echo "ok: $dir ($pins)"
    return
  fi
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check $pins
  echo "$pins" > "$stamp"
  echo "created: $dir ($pins)"
}

mkdir -p "$CACHE"
make_venv "$CACHE/.venv-lms-side" "$LMS_PINS"
make_venv "$CACHE/.venv-app-side" "$APP_PINS"
