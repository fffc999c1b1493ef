"""Which passwords a stack's data was created with: the data stores of a stack, their fingerprints, and the
stamp `odl-stack up` writes (DATA_STAMP). Doctor reads it to name stale data; lifecycle writes it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.stackdir import Stack
from generator.stackfiles import DATA_STAMP

PASSWORD_VARS = ("MYSQL_ROOT_PASSWORD", "POSTGRES_PASSWORD")


@dataclass(frozen=True)
class DataStore:
    service: str
    password: str  # the password the stack's compose file gives the service now
    volume: str | None  # Docker volume name, or None
    bind: Path | None  # bind-mounted host directory, or None

    @property
    def where(self) -> str:
        return f"volume {self.volume}" if self.volume else str(self.bind)


def fingerprint(project: str, service: str, password: str) -> str:
    return hashlib.sha256(f"{project}\0{service}\0{password}".encode()).hexdigest()[:16]


def data_stores(stack: Stack) -> list[DataStore]:
    """The services whose data keeps the password it was first created with."""
    stores = []
    for service, body in sorted((stack.compose.get("services") or {}).items()):
        env = (body or {}).get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env if "=" in item)
        var = next((v for v in PASSWORD_VARS if v in env), None)
        if not var:
            continue
        for mount in (body or {}).get("volumes") or []:
            source = mount.get("source") if isinstance(mount, dict) else str(mount).split(":")[0]
            if not source:
                continue
            if source.startswith((".", "/")):
                # Named as the stack was (relative stays relative), like every other path in the findings.
                bind = Path(os.path.normpath(stack.path / source)) if source.startswith(".") else Path(source)
                stores.append(DataStore(service, str(env[var]), None, bind))
            else:
                declared = ((stack.compose.get("volumes") or {}).get(source) or {}).get("name")
                stores.append(DataStore(service, str(env[var]), declared or f"{stack.project}_{source}", None))
    return stores


def bind_has_data(path: Path | None) -> bool:
    try:
        return path is not None and path.is_dir() and any(path.iterdir())
    except PermissionError:
        return True  # owned by the container's user: it exists and is not ours to list


def write_data_stamp(stack: Stack, services: Iterable[str] | None = None) -> None:
    """Record that the data of these services (default: all) goes with the current passwords."""
    path = stack.path / DATA_STAMP
    stamp = stack.data_stamp()
    for store in data_stores(stack):
        if services is None or store.service in services:
            stamp[store.service] = fingerprint(stack.project, store.service, store.password)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
