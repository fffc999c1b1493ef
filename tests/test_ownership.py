"""Mounts the images' own users can use (issue 14): Tutor's `permissions` one-shot gives the
MIT app's volumes to the app image's user before app-init, every service that mounts a path it
chowns waits for it, and bind-mounted files stay readable whatever the generating user's umask.
The engine tier (tests/engine/test_engine_ownership.py) shows the same on a real engine."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml
from helpers import make_stack

from generator import course
from generator.profiles import APPS

DONE = {"condition": "service_completed_successfully"}


def _services(stack: Path) -> dict:
    return yaml.safe_load((stack / "docker-compose.yml").read_text())["services"]


@pytest.mark.parametrize("name", ["xpro", "mitxonline", "mitxonline-apisix"])
def test_permissions_one_shot_owns_the_app_volumes_before_app_init(stacks: dict[str, Path], name: str) -> None:
    stack, services = stacks[name], _services(stacks[name])
    uid = APPS[name.split("-")[0]].image_uid
    app_mounts = {v.split(":")[0] for v in services["app-init"]["volumes"]}
    app_mounts |= {v.split(":")[0] for s in ("app-web", "app-celery") for v in services[s].get("volumes", [])}
    assert app_mounts == {"app-static", "app-media"}
    mounted = {v.split(":")[0]: v.split(":")[1] for v in services["permissions"]["volumes"]}
    script = (stack / "tutor/env/apps/permissions/setowners.sh").read_text()
    assert f"setowner {uid} {mounted['app-static']} {mounted['app-media']}" in script
    assert services["app-init"]["depends_on"]["permissions"] == DONE
    # The app containers keep the image's user: nothing in the stack overrides it.
    assert all("user" not in services[s] for s in ("app-init", "app-web", "app-celery"))


def test_every_service_mounting_a_chowned_path_waits_for_the_one_shot(stacks: dict[str, Path]) -> None:
    services = _services(stacks["mitxonline"])
    chowned = {v.split(":")[0] for v in services["permissions"]["volumes"] if ":/mounts/" in v}
    waiting = {name for name, s in services.items() if (s.get("depends_on") or {}).get("permissions") == DONE}
    mounting = {
        name
        for name, s in services.items()
        if name != "permissions" and "profiles" not in s and chowned & {v.split(":")[0] for v in s.get("volumes", [])}
    }
    # app-web and app-nginx mount app volumes too; they start after app-init, which waits.
    # The course import one-shot starts after Tutor's last init job, which waits.
    assert mounting - waiting == {"app-web", "app-nginx", course.SERVICE}
    assert services[course.SERVICE]["depends_on"].keys() & waiting
    # Tutor itself starts mysql without waiting and its other datastores on service_started.
    assert {"mysql", "mongodb", "meilisearch", "redis"} <= waiting


def test_bind_mounted_files_are_readable_by_other_users_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        stack = make_stack(tmp_path, app="mitxonline", apisix=True)
    finally:
        os.umask(old)
    checked = 0
    for name, service in _services(stack).items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            # secrets/ is mounted into the bootstrap only, which runs as root.
            if not source.startswith("./") or source.startswith(("./secrets", "./tutor/data")):
                continue
            for path in [stack / source, *((stack / source).rglob("*"))]:
                mode = path.stat().st_mode
                wanted = stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0)
                assert mode & wanted == wanted, f"{name} mounts {source}: {path} is {oct(mode & 0o777)}"
                checked += 1
    assert checked > 20, checked
