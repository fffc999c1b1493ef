"""Snapshots of every datastore of a stack: `odl-stack snapshot`, `restore`, `snapshots`.

What a snapshot holds is read from the compose file (ours, then the user's override): every named volume
the stack declares and every writable bind-mounted directory of the stack (Tutor's tutor/data/...), so a
volume a template adds is in the next snapshot with no other change.

Consistency: the datastores are stopped and their files copied (one tar per store, uncompressed), not
dumped. A restore is then a file extraction and a rename per store, seconds even for edx-platform's
MySQL, where replaying a dump re-creates ~1000 tables and their indexes. The copy is made from a helper
container (the stack's own `permissions` image), because the files belong to the containers' users.

A restore is all-or-nothing. It stages the snapshot beside the data (STAGE_DIR in each store), then
writes a journal saying "commit", then swaps each store (MOVED_MARK records the half-way point of the
swap). A restore killed before the journal says "commit" is rolled back (the staged copies removed: the
old data); one killed after is rolled forward (the new data). `recover` does this and every command that
reads or writes the data (snapshot, restore, up) calls it first, under the stack's lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import __version__, secrets_store, wording
from generator.errors import StackError
from generator.stackdir import Stack
from generator.stackfiles import RESTORE_JOURNAL, SNAPSHOTS_DIR
from generator.wording import Echo

if TYPE_CHECKING:
    from python_on_whales import DockerClient

# The data layout of a snapshot: which files it has and what they mean. Raised when that changes;
# a snapshot of another layout is refused.
LAYOUT = 1
MANIFEST = "snapshot.json"
STAGE_DIR = ".odl-restore-new"
OLD_DIR = ".odl-restore-old"
MOVED_MARK = ".odl-restore-moved"
HELPER_LABEL = "odl-stack.snapshot-helper"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# The helper's scripts. Stores are mounted at $S/<key>, the snapshot at $P; the same scripts run on the
# host in the fast tier (S and P point at directories there). POSIX sh and busybox-compatible tools:
# Tutor's permissions image is Alpine.
_PRELUDE = r"""set -eu
S=${S:-/stores}; P=${P:-/snapshot}
N=""; if tar --help 2>&1 | grep -q numeric-owner; then N="--numeric-owner"; fi
each() { for e in "$1"/* "$1"/.[!.]* "$1"/..?*; do if [ -e "$e" ] || [ -L "$e" ]; then echo "$e"; fi; done; }
"""
TAKE_SCRIPT = (
    _PRELUDE
    + r"""
for key in "$@"; do
  tar $N -C "$S/$key" -cf "$P/$key.tar.part" .
  mv "$P/$key.tar.part" "$P/$key.tar"
done
"""
)
STAGE_SCRIPT = (
    _PRELUDE
    + rf"""
for key in "$@"; do
  d="$S/$key"
  rm -rf "$d/{STAGE_DIR}"
  mkdir "$d/{STAGE_DIR}"
  tar $N -C "$d/{STAGE_DIR}" -xf "$P/$key.tar"
done
"""
)
ROLLBACK_SCRIPT = (
    _PRELUDE
    + rf"""
for key in "$@"; do rm -rf "$S/$key/{STAGE_DIR}"; done
"""
)
# Idempotent, so a commit killed anywhere is finished by running it again: old entries go aside until
# MOVED_MARK says all have; then the staged ones move in; then the old ones are deleted.
COMMIT_SCRIPT = (
    _PRELUDE
    + rf"""
for key in "$@"; do
  d="$S/$key"; new="$d/{STAGE_DIR}"; old="$d/{OLD_DIR}"
  if [ -d "$new" ] && [ ! -e "$d/{MOVED_MARK}" ]; then
    mkdir -p "$old"
    each "$d" | while read -r e; do
      case "${{e##*/}}" in .odl-restore-*) ;; *) mv "$e" "$old/" ;; esac
    done
    touch "$d/{MOVED_MARK}"
  fi
  if [ -d "$new" ]; then
    each "$new" | while read -r e; do mv "$e" "$d/"; done
    chown "$(stat -c %u:%g "$new")" "$d"
    chmod "$(stat -c %a "$new")" "$d"
    rmdir "$new"
  fi
  rm -rf "$old"
  rm -f "$d/{MOVED_MARK}"
done
"""
)


@dataclass(frozen=True)
class Store:
    """One datastore of the stack: a named volume or a bind-mounted directory of the stack."""

    key: str  # the compose volume key, or the directory relative to the stack (posix)
    volume: str | None  # the Docker volume's full name
    services: tuple[str, ...]

    @property
    def file_key(self) -> str:
        """A file name for it: `volume-app-db-data`, `bind-tutor-data-mysql`."""
        return ("volume-" if self.volume else "bind-") + re.sub(r"[^A-Za-z0-9._-]", "-", self.key)

    def describe(self) -> str:
        users = ", ".join(self.services)
        return f"Docker volume {self.volume} ({users})" if self.volume else f"{self.key}/ ({users})"


def _mounts(body: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    """(source, read_only) of each mount of a service, short or long syntax."""
    for mount in body.get("volumes") or []:
        if isinstance(mount, dict):
            if mount.get("source") and mount.get("type", "volume") in ("volume", "bind"):
                yield str(mount["source"]), bool(mount.get("read_only"))
            continue
        text = str(mount)
        # A source Compose interpolates (${ODL_DOCKER_SOCKET:-/var/run/docker.sock}) holds ':' itself.
        head = text[: text.index("}") + 1] if text.startswith("${") and "}" in text else ""
        parts = ([head] + text[len(head) + 1 :].split(":")) if head else text.split(":")
        if len(parts) < 2:
            continue  # an anonymous volume: nothing a snapshot can name
        options = parts[2].split(",") if len(parts) > 2 else []
        # Tutor writes `roz` (ro + SELinux z) as one word.
        yield parts[0], any(option in ("ro", "roz", "zro") for option in options)


def stores(stack: Stack) -> list[Store]:
    """Every datastore the compose files declare: named volumes, and writable bind mounts of directories
    inside the stack (generated files and read-only mounts are not data). Sorted by key."""
    declared: dict[str, dict[str, Any]] = {}
    users: dict[tuple[str, str], set[str]] = {}
    for model in stack.models:
        for key, body in (model.get("volumes") or {}).items():
            declared[key] = {**declared.get(key, {}), **(body or {})}
        for service, body in (model.get("services") or {}).items():
            for source, read_only in _mounts(body or {}):
                if source.startswith(("/", "${")) or read_only:
                    continue  # host paths outside the stack (the docker socket, ${ODL_DOCKER_SOCKET:-...}), or config mounts
                if source.startswith("."):
                    relative = Path(os.path.normpath(source))
                    if relative.parts[:1] == ("..",) or (stack.path / relative).is_file():
                        continue
                    users.setdefault(("bind", relative.as_posix()), set()).add(service)
                else:
                    users.setdefault(("volume", source), set()).add(service)
    found = []
    for (kind, key), services in users.items():
        if kind == "volume":
            body = declared.get(key, {})
            if body.get("external"):
                continue
            found.append(Store(key, body.get("name") or f"{stack.project}_{key}", tuple(sorted(services))))
        else:
            found.append(Store(key, None, tuple(sorted(services))))
    binds = {s.key for s in found if not s.volume}
    # A directory inside another bind-mounted one is copied with it.
    found = [s for s in found if s.volume or not any(s.key.startswith(other + "/") for other in binds)]
    return sorted(found, key=lambda s: (s.volume is None, s.key))


def secrets_hash(stack: Stack) -> str:
    """One hash of every secret the stack's data depends on (ours and Tutor's); never the values."""
    values = {f"secrets.{k}": str(v) for k, v in stack.secrets.items()}
    values.update({f"tutor.{k}": v for k, v in secrets_store.tutor_secrets(stack.tutor_config).items()})
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------ where snapshots live


def snapshots_dir(stack: Stack, to: str | Path | None) -> Path:
    return Path(to) if to else stack.path / SNAPSHOTS_DIR


@dataclass(frozen=True)
class Snapshot:
    path: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return sum(int(s.get("bytes", 0)) for s in self.manifest.get("stores", []))


def listing(where: Path) -> list[Snapshot]:
    found = []
    if where.is_dir():
        for entry in sorted(where.iterdir()):
            manifest = entry / MANIFEST
            if entry.is_dir() and not entry.name.startswith(".") and manifest.is_file():
                try:
                    found.append(Snapshot(entry, json.loads(manifest.read_text())))
                except ValueError:
                    continue
    return sorted(found, key=lambda s: str(s.manifest.get("created", "")))


def human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def command_with_name(cmd: str, stack: Path, name: str | None, to: str | Path | None = None) -> str:
    """`odl-stack snapshot stacks/xpro wired` or `make snapshot STACK=xpro NAME=wired`."""
    options: list[tuple[str, object]] = [("--to", to)] if to else []
    line = wording.command(cmd, stack, *options)
    if name:
        line += f" NAME={name}" if wording.via_make() else ""
        if not wording.via_make():
            words = line.split(" ")
            line = " ".join(words[:3] + [name] + words[3:])
    return line


# ------------------------------------------------------------------ the helper container


Runner = Callable[[Stack, Sequence[Store], Path, str, Sequence[str]], None]


def _helper_image(stack: Stack) -> str:
    image = ((stack.compose.get("services") or {}).get("permissions") or {}).get("image")
    if not image:
        raise StackError(
            "docker-compose.yml",
            "has no `permissions` service, whose image copies the data",
            f"regenerate the stack: {wording.command('upgrade', stack.path)}",
        )
    return str(image)


def docker_runner(stack: Stack, chosen: Sequence[Store], snapshot: Path, script: str, keys: Sequence[str]) -> None:
    """Run `script` in a helper container with each store at /stores/<file_key> and `snapshot` at /snapshot."""
    from generator import lifecycle

    docker = lifecycle.client(stack)
    _remove_helpers(stack, docker)
    mounts: list[tuple[str, str]] = [(str(snapshot.resolve()), "/snapshot")]
    for store in chosen:
        source = store.volume or str((stack.path / store.key).resolve())
        if not store.volume:
            (stack.path / store.key).mkdir(parents=True, exist_ok=True)
        mounts.append((source, f"/stores/{store.file_key}"))
    docker.run(
        _helper_image(stack),
        ["sh", "-c", script, "sh", *keys],
        entrypoint="",
        remove=True,
        user="0:0",
        volumes=mounts,
        labels={HELPER_LABEL: stack.project, "com.docker.compose.project": stack.project},
        name=f"{stack.project}-snapshot-helper",
        networks=["none"],
    )


def _remove_helpers(stack: Stack, docker: DockerClient) -> None:
    """A helper a killed run left (its docker client died, the container may still run): stop it before
    anything else touches the stores."""
    for container in docker.container.list(all=True, filters={"label": f"{HELPER_LABEL}={stack.project}"}):
        docker.container.remove(container, force=True)


# ------------------------------------------------------------------ journal


def _journal(stack: Stack) -> Path:
    return stack.path / RESTORE_JOURNAL


def _write_journal(stack: Stack, record: dict[str, Any]) -> None:
    path = _journal(stack)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def recover(stack: Stack, echo: Echo, runner: Runner = docker_runner) -> None:
    """Finish or undo a restore that was interrupted (the caller holds the stack's lock)."""
    path = _journal(stack)
    if not path.exists():
        return
    record = json.loads(path.read_text())
    by_key = {s.file_key: s for s in stores(stack)}
    chosen = [by_key[k] for k in record["stores"] if k in by_key]
    snapshot = Path(record["snapshot"])
    if record["phase"] == "commit":
        echo(f"An interrupted restore of snapshot {snapshot.name} was fully staged: finishing it (the snapshot's data).")
        runner(stack, chosen, snapshot, COMMIT_SCRIPT, [s.file_key for s in chosen])
        from generator import datastamp

        datastamp.write_data_stamp(stack)
    else:
        echo(f"An interrupted restore of snapshot {snapshot.name} was not fully staged: undoing it (the data as it was).")
        runner(stack, chosen, snapshot if snapshot.is_dir() else stack.path, ROLLBACK_SCRIPT, [s.file_key for s in chosen])
    path.unlink()


def recover_pending(stack: Stack, echo: Echo) -> None:
    """`up`: an interrupted restore is finished or undone before any datastore starts."""
    if _journal(stack).exists():
        with _lock(stack):
            recover(stack, echo)


def offer(stack: Stack, echo: Echo) -> None:
    """After a green `up`: the one command that snapshots this state, while the stack has none."""
    if not listing(snapshots_dir(stack, None)):
        echo(f"Snapshot this wired state, to come back to it in seconds: {command_with_name('snapshot', stack.path, 'wired')}")


# ------------------------------------------------------------------ commands


def _lock(stack: Stack) -> contextlib.AbstractContextManager[None]:
    import click

    from generator import stacklock

    return stacklock.hold(stack.path, lambda line: click.echo(line, err=True))


def _running_ids(stack: Stack, docker: DockerClient) -> list[str]:
    return [c.id for c in docker.compose.ps()]


def _image_refs(stack: Stack) -> dict[str, str]:
    return {
        service: str(body["image"])
        for service, body in sorted((stack.compose.get("services") or {}).items())
        if body and body.get("image") and not body.get("profiles")
    }


def take(stack: Stack, echo: Echo, name: str | None = None, to: str | None = None, runner: Runner = docker_runner) -> Snapshot:
    """Stop the stack's containers, copy every store into `to`/NAME (default snapshots/), start again
    exactly the containers that were running."""
    from generator import lifecycle

    name = name or datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    if not NAME_RE.match(name):
        raise StackError(
            "NAME", f"'{name}' is not a snapshot name", "use letters, digits, '.', '_' and '-' (at most 64), e.g. wired"
        )
    where = snapshots_dir(stack, to)
    if (where / name).exists():
        raise StackError(
            "NAME", f"a snapshot {name} exists in {where}", f"pick another name, or delete it first: rm -rf {where / name}"
        )
    chosen = stores(stack)
    with _lock(stack):
        recover(stack, echo, runner)
        if not any(_has_data(stack, s) for s in chosen):
            raise StackError(
                "STACK", f"stack {stack.project} has no data yet", f"start it first: {wording.command('up', stack.path)}"
            )
        where.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=where))
        docker = lifecycle.client(stack) if runner is docker_runner else None
        running = _running_ids(stack, docker) if docker else []
        try:
            if docker and running:
                echo(f"Stopping {stack.project} so its datastores are consistent on disk (it starts again after the copy) ...")
                lifecycle.compose(stack, docker, echo, ["stop"])
            echo(f"Copying {len(chosen)} datastores into {where / name}/ ...")
            runner(stack, chosen, stage, TAKE_SCRIPT, [s.file_key for s in chosen])
            manifest = {
                "layout": LAYOUT,
                "name": name,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "generator_version": __version__,
                "project": stack.project,
                "secrets_sha256": secrets_hash(stack),
                "images": _image_refs(stack),
                "stores": [
                    {
                        "file": f"{s.file_key}.tar",
                        "key": s.key,
                        "kind": "volume" if s.volume else "bind",
                        "services": list(s.services),
                        "bytes": (stage / f"{s.file_key}.tar").stat().st_size,
                    }
                    for s in chosen
                ],
            }
            (stage / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            os.replace(stage, where / name)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
            if docker and running:
                echo(f"Starting again the {len(running)} containers that were running ...")
                docker.container.start(running)
    snap = Snapshot(where / name, manifest)
    echo(f"Snapshot {name}: {len(chosen)} datastores, {human(snap.size)}, in {snap.path}")
    echo(f"Restore it: {command_with_name('restore', stack.path, name, to)}")
    return snap


def _has_data(stack: Stack, store: Store) -> bool:
    from generator import datastamp, enginefacts

    if store.volume:
        volumes = enginefacts.engine_volumes()
        return volumes is None or store.volume in volumes
    return datastamp.bind_has_data(stack.path / store.key)


def find(stack: Stack, name: str, to: str | None) -> Snapshot:
    where = snapshots_dir(stack, to)
    path = where / name
    if not (path / MANIFEST).is_file():
        known = ", ".join(s.name for s in listing(where)) or "none"
        raise StackError(
            "NAME",
            f"no snapshot {name} in {where} (snapshots there: {known})",
            f"list them: {wording.command('snapshots', stack.path)}",
        )
    return Snapshot(path, json.loads((path / MANIFEST).read_text()))


def check(stack: Stack, snap: Snapshot) -> list[str]:
    """Refuse a snapshot this stack cannot take back (StackError); warnings for one it can."""
    manifest = snap.manifest
    if manifest.get("layout") != LAYOUT:
        raise StackError(
            "NAME",
            f"snapshot {snap.name} has data layout {manifest.get('layout')} (taken by odl-stack {manifest.get('generator_version', '?')}); "
            f"this odl-stack {__version__} reads layout {LAYOUT}",
            f"restore it with odl-stack {manifest.get('generator_version', '?')}, or take a new snapshot",
        )
    if manifest.get("secrets_sha256") != secrets_hash(stack):
        raise StackError(
            "NAME",
            f"snapshot {snap.name} was taken with other secrets than stack {stack.project} has now (its data holds those passwords)",
            "put back the secrets/secrets.json and tutor/config.yml it was taken with (then "
            f"{wording.command('upgrade', stack.path)}), or take a new snapshot of this stack",
        )
    ours = {s.file_key for s in stores(stack)}
    theirs = {s["file"].removesuffix(".tar") for s in manifest.get("stores", [])}
    if ours != theirs:
        differ = ", ".join(sorted(ours ^ theirs))
        raise StackError(
            "NAME",
            f"snapshot {snap.name} holds other datastores than stack {stack.project} declares now ({differ})",
            "restore it into a stack rendered by the odl-stack version that took it, or take a new snapshot",
        )
    now = _image_refs(stack)
    changed = sorted(s for s, ref in (manifest.get("images") or {}).items() if now.get(s) not in (None, ref))
    return [f"images differ since the snapshot ({', '.join(changed)}): their init one-shots run again on `up`"] if changed else []


def restore(
    stack: Stack,
    echo: Echo,
    name: str,
    to: str | None = None,
    confirm: Callable[[str], bool] = lambda _q: False,
    runner: Runner = docker_runner,
    start: bool = True,
) -> int:
    """Replace every datastore of the stack with snapshot NAME, all or nothing; start it again when it was running."""
    from generator import datastamp, lifecycle

    with _lock(stack):
        recover(stack, echo, runner)
        snap = find(stack, name, to)
        warnings = check(stack, snap)
        chosen = stores(stack)
        echo(f"restore {snap.name} (taken {snap.manifest.get('created')}) replaces, for stack {stack.project}:")
        for store in chosen:
            echo(f"  - {store.describe()}")
        echo(
            f"Lost: everything these hold now that the snapshot does not ({human(snap.size)} comes back). Kept: secrets/, images, docker-compose.override.yml."
        )
        for line in warnings:
            echo(f"Note: {line}")
        if not confirm("Replace the data?"):
            echo("Nothing replaced.")
            return 0
        docker = lifecycle.client(stack) if runner is docker_runner else None
        was_running = bool(_running_ids(stack, docker)) if docker else False
        if docker:
            # Containers go too (volumes and tutor/data/ stay): `up` then makes new ones, so the
            # bootstrap's log is this run's alone.
            lifecycle.compose(stack, docker, echo, ["down", "--remove-orphans"])
            _create_volumes(stack, docker, chosen)
        keys = [s.file_key for s in chosen]
        _write_journal(stack, {"phase": "staging", "snapshot": str(snap.path.resolve()), "stores": keys})
        echo(f"Staging {len(chosen)} datastores from {snap.path} ...")
        runner(stack, chosen, snap.path, STAGE_SCRIPT, keys)
        _write_journal(stack, {"phase": "commit", "snapshot": str(snap.path.resolve()), "stores": keys})
        echo("Swapping them in ...")
        runner(stack, chosen, snap.path, COMMIT_SCRIPT, keys)
        datastamp.write_data_stamp(stack)
        _journal(stack).unlink()
    echo(f"Stack {stack.project} holds snapshot {snap.name}'s data.")
    if docker and start and was_running:
        return lifecycle.up(stack, echo, check=False)
    echo(f"Start it: {wording.command('up', stack.path)}")
    return 0


def _create_volumes(stack: Stack, docker: DockerClient, chosen: Sequence[Store]) -> None:
    """A volume `reset --data` removed: made as Compose makes it (its labels), so `up` adopts it."""
    for store in chosen:
        if store.volume and not docker.volume.exists(store.volume):
            docker.volume.create(
                store.volume, labels={"com.docker.compose.project": stack.project, "com.docker.compose.volume": store.key}
            )


def show(stack: Stack, echo: Echo, to: str | None = None) -> int:
    where = snapshots_dir(stack, to)
    found = listing(where)
    if not found:
        echo(f"No snapshots in {where}. Take one: {command_with_name('snapshot', stack.path, 'wired', to)}")
        return 0
    now = _image_refs(stack)
    echo(f"Snapshots of {stack.project} in {where}:")
    echo(f"  {'NAME':<20} {'TAKEN (UTC)':<26} {'SIZE':>10}  {'ODL-STACK':<10} IMAGES")
    for snap in found:
        images = snap.manifest.get("images") or {}
        changed = sorted(s for s, ref in images.items() if now.get(s) not in (None, ref))
        same = "as the stack's now" if not changed else f"{len(changed)} differ from the stack's now"
        echo(
            f"  {snap.name:<20} {str(snap.manifest.get('created', '?')):<26} {human(snap.size):>10}  {str(snap.manifest.get('generator_version', '?')):<10} {same}"
        )
        for ref in sorted(set(images.values())):
            echo(f"      {ref}")
    return 0
