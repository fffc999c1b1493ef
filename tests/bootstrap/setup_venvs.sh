#!/usr/bin/env bash
# Creates the two Django virtualenvs the bootstrap's Django-side tests run in.
# Idempotent: a venv whose stamp matches its pins is left alone.
#   .venv-lms-side : the LMS stand-in's requirements, i.e. edx-platform release/verawood.1's pins
#                    (Django 5.2, django-oauth-toolkit 1.7.1 with plaintext client secrets, DRF,
#                    social-auth), plus ol-social-auth at the version of generator/versions.yml
#                    and the devstack era's social-auth-mitxpro backend
#   .venv-app-side : what the MIT apps pin (Django 5.2, django-oauth-toolkit 3.1.0, hashed client secrets,
#                    edx-api-client 1.14.0)
# Location: $ODL_TEST_CACHE (default: <repo>/.cache).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ODL_TEST_CACHE:-$ROOT/.cache}"
PYTHON="${ODL_TEST_PYTHON:-python3}"

LMS_REQUIREMENTS="$ROOT/tests/standins/images/lms-standin/requirements.txt"
OL_SOCIAL_AUTH="$(sed -n 's/^ *ol-social-auth: *"\(.*\)"/\1/p' "$ROOT/generator/versions.yml")"
# The devstack-era backend the LMS image gets, at the versions table's pin (its source is read by
# test_devstack_backend.py).
MITXPRO_BACKEND="$(sed -n 's/^ *social-auth-mitxpro: *"\(.*\)"/\1/p' "$ROOT/generator/versions.yml")"
LMS_PINS="-r $LMS_REQUIREMENTS ol-social-auth==$OL_SOCIAL_AUTH social-auth-mitxpro==$MITXPRO_BACKEND"
APP_PINS="Django==5.2.8 django-oauth-toolkit==3.1.0 requests==2.32.5 edx-api-client==1.14.0"

make_venv() {
  local dir="$1" pins="$2" stamp_text="$2${3:+ $3}"
  local stamp="$dir/.odl-pins"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$stamp_text" ]; then
    echo "ok: $dir ($pins)"
    return
  fi
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  # shellcheck disable=SC2086  # the pins are words on purpose
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check $pins
  echo "$stamp_text" > "$stamp"
  echo "created: $dir ($pins)"
}

mkdir -p "$CACHE"
# The stamp carries the requirements file's digest: a changed pin rebuilds the venv.
make_venv "$CACHE/.venv-lms-side" "$LMS_PINS" "$(sha256sum "$LMS_REQUIREMENTS" | cut -c1-16)"
make_venv "$CACHE/.venv-app-side" "$APP_PINS"
