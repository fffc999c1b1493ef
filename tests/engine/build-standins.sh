#!/usr/bin/env bash
# Build the stand-in images of tests/standins/images/ (called by run.sh, once per run).
# Each image is tagged odl-standin/<dir>:e2e; tests/engine/standin-images.yml maps the
# generator's logical image names onto these tags (passed to `odl-stack new --images`).
# Build contexts are assembled in .cache/engine/ctx/ so that shared sources are copied
# in, not duplicated in git: Tutor's own setowner.sh (from the installed tutor package)
# and the bootstrap's stand-in third_party_auth app (tests/standins/third_party_auth/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.cache/engine"
SRC="$ROOT/tests/standins/images"
CTX="$CACHE/ctx"
LOGS="$CACHE/build-logs"
PY="${ODL_E2E_PYTHON:-${PY:-python3}}"
TAG=e2e
mkdir -p "$CTX" "$LOGS"

info() { printf '    %s\n' "$*"; }

context() {  # context NAME -> fresh copy of tests/standins/images/NAME in $CTX/NAME
  rm -rf "${CTX:?}/$1"
  cp -a "$SRC/$1" "$CTX/$1"
  echo "$CTX/$1"
}

build() {  # build NAME CONTEXT [docker build args...]
  local name=$1 ctx=$2; shift 2
  local t0; t0=$(date +%s)
  if docker build --force-rm -t "odl-standin/$name:$TAG" "$@" "$ctx" >"$LOGS/$name.log" 2>&1; then
    info "built odl-standin/$name:$TAG ($(( $(date +%s) - t0 ))s)"
  else
    tail -40 "$LOGS/$name.log" >&2
    echo "    build of $name failed (full log: $LOGS/$name.log)" >&2
    return 1
  fi
}

# --- base: the host's CA bundle and apt sources, so builds reach the registries as the host does
ctx=$(context debian-standin-base)
mkdir -p "$ctx/host/apt" "$ctx/host/ca"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/host/ca-bundle.crt"
cp /usr/local/share/ca-certificates/*.crt "$ctx/host/ca/" 2>/dev/null || true
cp /etc/apt/sources.list.d/debian.sources "$ctx/host/apt/" 2>/dev/null || true
for f in /etc/apt/apt.conf.d/*; do
  # only the settings that change how the archive is reached/validated
  if grep -qE 'Check-Valid-Until|Check-Date|Acquire::(http|https)::Proxy' "$f" 2>/dev/null; then
    cp "$f" "$ctx/host/apt/$(basename "$f").conf"
  fi
done
build debian-standin-base "$ctx"

# --- images that need extra sources in their context
ctx=$(context permissions-standin)
TUTOR_TEMPLATES="$("$PY" -c 'import tutor, os; print(os.path.join(os.path.dirname(tutor.__file__), "templates"))')"
cp "$TUTOR_TEMPLATES/build/permissions/setowner.sh" "$ctx/setowner.sh"
build permissions-standin "$ctx" &
pids=($!)

ctx=$(context lms-standin)
TPA="$ROOT/tests/standins/third_party_auth"
if [ ! -f "$TPA/models.py" ]; then
  echo "    missing $TPA (the bootstrap's stand-in of edx-platform's third_party_auth app)" >&2
  exit 1
fi
rm -rf "$ctx/edx-platform/third_party_auth"
cp -a "$TPA" "$ctx/edx-platform/third_party_auth"
find "$ctx/edx-platform/third_party_auth" -name '__pycache__' -prune -exec rm -rf {} +
build lms-standin "$ctx" &
pids+=($!)

# --- the rest, two at a time (2 cores)
simple=(postgres-standin redis-standin mariadb-standin nginx-standin mongo-standin meilisearch-standin mailpit-standin python-standin node-standin)
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
pids=()
for name in "${simple[@]}"; do
  build "$name" "$(context "$name")" &
  pids+=($!)
  if [ ${#pids[@]} -ge 3 ]; then wait "${pids[0]}" || fail=1; pids=("${pids[@]:1}"); fi
done
# The two MIT app stand-ins: one source, two targets (module layout, DOT pin, file ownership,
# port and CMD differ as in the apps' own Dockerfiles).
ctx=$(context mitapp-standin)
build xpro-app-standin "$ctx" --target xpro --build-arg APP=xpro --build-arg DOT_VERSION=3.2.0 || fail=1
build mitxonline-app-standin "$ctx" --target mitxonline --build-arg APP=mitxonline --build-arg DOT_VERSION=3.1.0 || fail=1
for p in "${pids[@]}"; do wait "$p" || fail=1; done
# The gateway pair of --apisix stacks (no Keycloak or APISIX package in Debian): APISIX's
# stand-in is Debian's nginx (so it comes after nginx-standin) plus a Python OIDC relying
# party; Keycloak's is an OIDC provider on Django + django-oauth-toolkit.
build apisix-standin "$(context apisix-standin)" &
pids=($!)
build keycloak-standin "$(context keycloak-standin)" || fail=1
for p in "${pids[@]}"; do wait "$p" || fail=1; done
# Tutor's Caddy is upstream's Caddy binary at the pinned tag; the mfe image is that Caddy plus one page per MFE.
CADDY_VERSION="$(cd "$ROOT" && "$PY" -c 'from generator import versions; print(versions.images()["caddy"].rsplit(":", 1)[1])')"
build caddy-standin "$(context caddy-standin)" --build-arg "CADDY_VERSION=$CADDY_VERSION" || fail=1
build mfe-standin "$(context mfe-standin)" || fail=1
exit $fail
