"""What a regeneration (`upgrade`, `new --force`) keeps: the secrets in secrets/secrets.json and Tutor's in
tutor/config.yml. Where one of them is gone or empty, a regeneration would make new passwords while the
stack's data still holds the old ones, so that happens only where the stack has no data yet, or when asked
(--new-secrets); never by surprise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from generator import datastamp, secrets_store, stackdir, statefile, wording
from generator.errors import StackError
from generator.stackfiles import SECRETS_FILE, TUTOR_DATA, TUTOR_DIR

TUTOR_CONFIG = f"{TUTOR_DIR}/config.yml"
# The engine's volume names, or None when no engine answers.
VolumeLister = Callable[[], "set[str] | None"]


def missing(stack_dir: Path) -> list[str]:
    """The secret-holding files of an existing stack that are gone or empty (relative paths).
    A corrupt one is an error here (statefile), before anything is decided."""
    gone = []
    if not secrets_store.load(stack_dir):
        gone.append(str(SECRETS_FILE))
    if not statefile.read_mapping(stack_dir / TUTOR_CONFIG):
        gone.append(TUTOR_CONFIG)
    return gone


def data_found(stack_dir: Path, volumes: VolumeLister) -> tuple[list[str], bool]:
    """Where the stack holds data (tutor/data/, bind-mounted stores, Docker volumes), and whether the
    engine answered (False: the volumes could not be checked)."""
    where: list[str] = []
    if datastamp.bind_has_data(stack_dir / TUTOR_DATA):
        where.append(f"{stack_dir / TUTOR_DATA}/")
    try:
        stack = stackdir.load(stack_dir)
    except (StackError, OSError):
        return where, True  # no compose file to name the stores: tutor/data/ is all there is to see
    for store in datastamp.data_stores(stack):
        inside_listed = store.bind and any(str(store.bind).startswith(w.rstrip("/")) for w in where)
        if store.bind and datastamp.bind_has_data(store.bind) and not inside_listed:
            where.append(str(store.bind))
    if not stack.volumes:
        return where, True
    present = volumes()
    if present is None:
        return where, False
    return where + [f"volume {v}" for v in stack.volumes if v in present], True


def check(stack_dir: Path, new_secrets: bool, retry: str, volumes: VolumeLister | None = None) -> list[str]:
    """Before a regeneration writes anything: refuse to replace secrets the stack's data needs; else the
    lines that say what is made anew ([] when everything is kept). `retry` is the command again, with
    --new-secrets."""
    gone = missing(stack_dir)
    if not gone:
        return []
    from generator import enginefacts

    files = " and ".join(str(stack_dir / name) for name in gone)
    where, checked = data_found(stack_dir, volumes or enginefacts.engine_volumes)
    if where and not new_secrets:
        raise StackError(
            files,
            f"missing or empty, and the stack has data made with the passwords {'it' if len(gone) == 1 else 'they'} held"
            f" ({', '.join(where)}); new ones would lock the stack out of that data",
            f"restore {'it' if len(gone) == 1 else 'them'} from a backup, or make new secrets and delete that data:"
            f" {retry}, then {wording.command('reset', stack_dir, '--data')}",
        )
    what = " and ".join(gone)
    if where:
        return [
            f"new secrets made for {what} (--new-secrets); the data in {', '.join(where)} still has the old passwords:"
            f" delete it before the next start: {wording.command('reset', stack_dir, '--data')}"
        ]
    unchecked = "" if checked else "; no Docker engine answered, so its volumes were not checked"
    return [
        f"new secrets made for {what}: {'it was' if len(gone) == 1 else 'they were'} missing or empty, and the stack has no data in"
        f" {stack_dir / TUTOR_DATA}/{unchecked}"
    ]
