"""The Open edX part, rendered by Tutor itself (tutor==22.0.3 used as a library).

Tutor's config file (with the secrets Tutor generates) lives in the stack at
`tutor/config.yml` and is reused on every regeneration. Our changes go in as
patches through Tutor's hooks, registered in a named context and cleared after
each render, so two renders in one process never see each other's patches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Only our patches: no pip-installed or ~/.local plugins may change the output.
os.environ.setdefault("TUTOR_IGNORE_ENTRYPOINT_PLUGINS", "1")
os.environ.setdefault("TUTOR_IGNORE_DICT_PLUGINS", "1")

import yaml  # noqa: E402
from tutor import config as tutor_config  # noqa: E402
from tutor import env as tutor_env  # noqa: E402
from tutor import hooks, plugins  # noqa: E402
import tutor.commands.compose  # noqa: E402,F401  registers the iter_mounts template variable
import tutor.commands.jobs as tutor_jobs  # noqa: E402  registers the core init tasks on CORE_READY

from generator import templates  # noqa: E402
from generator.plan import StackPlan  # noqa: E402

TUTOR_DIR = "tutor"
HOOKS_CONTEXT = "odl-stack"
PATCH_NAMES = (
    "openedx-lms-common-settings",
    "openedx-lms-production-settings",
    "uwsgi-config",
    # Tutor's own slots for plugin mounts in its `permissions` one-shot (setowners.sh).
    "local-docker-compose-permissions-volumes",
    "local-docker-compose-permissions-command",
)
TUTOR_LMS_PORT = 8000  # uwsgi's own port in Tutor's image
_core_ready = False


@dataclass(frozen=True)
class OpenedxRender:
    """What the compose assembly needs from Tutor's render."""

    config: dict[str, Any]  # Tutor's full config (with secrets): for tutor/config.yml
    base_config: dict[str, Any]  # the part Tutor keeps in config.yml
    compose: dict[str, Any]  # services of local + prod compose files, as Tutor rendered them
    jobs: dict[str, Any]  # services of the jobs compose file
    init_tasks: list[tuple[str, str]]  # (job service, rendered script), in `do init` order
    demo_course_task: tuple[str, str]  # Tutor's `do importdemocourse` (clones from GitHub), rendered


def _ensure_core_ready() -> None:
    # CORE_READY adds Tutor's init tasks to a filter; doing it twice would add them twice.
    global _core_ready
    if not _core_ready:
        hooks.Actions.CORE_READY.do()
        _core_ready = True


def tutor_settings(plan: StackPlan) -> dict[str, Any]:
    """The Tutor config keys we set (everything else is Tutor's default)."""
    images = plan.images
    return {
        "PLUGINS": [],
        "LMS_HOST": plan.era.lms_hostname,
        "ENABLE_HTTPS": False,
        "ENABLE_WEB_PROXY": False,
        # Pinned: otherwise env/dev/* would depend on the uid running the generator.
        "HOST_USER_ID": 1000,
        "DOCKER_IMAGE_OPENEDX": images["openedx"],
        "DOCKER_IMAGE_PERMISSIONS": images["permissions"],
        "DOCKER_IMAGE_MYSQL": images["mysql"],
        "DOCKER_IMAGE_MONGODB": images["mongodb"],
        "DOCKER_IMAGE_MEILISEARCH": images["meilisearch"],
        "DOCKER_IMAGE_REDIS": images["redis"],
        "DOCKER_IMAGE_SMTP": images["smtp"],
    }


def patches(plan: StackPlan) -> dict[str, str]:
    context = {
        "era": plan.era,
        "urls": plan.urls,
        "site_domain": plan.bootstrap["openedx"]["site_domain"],
        "app_host_port": plan.urls["app"].split("://", 1)[1],
        "lms_port": plan.ports["lms"],
        "tutor_lms_port": TUTOR_LMS_PORT,
        "app_uid": plan.app.image_uid,
    }
    rendered = {name: templates.render(f"tutor-patches/{name}", context) for name in PATCH_NAMES}
    return {name: text for name, text in rendered.items() if text.strip()}


def render(plan: StackPlan, kept_config: dict[str, Any], tutor_root: Path) -> OpenedxRender:
    """Render Tutor's env into `tutor_root` and return the parts we assemble.

    `kept_config` is the stack's existing tutor/config.yml ({} for a new stack):
    its generated secrets are kept, the keys we own are set again from the plan.
    """
    _ensure_core_ready()
    context = hooks.Contexts.app(HOOKS_CONTEXT)
    try:
        with context.enter():
            for name, text in patches(plan).items():
                hooks.Filters.ENV_PATCHES.add_item((name, text))
        plugins._env_patches.cache_clear()  # patch lookup is cached until a plugin load

        base = dict(kept_config)
        base.update(tutor_settings(plan))
        tutor_config.update_with_base(base)  # adds only missing generated secrets...
        tutor_config.render_full(base)  # ...as values, as Tutor's own load_minimal does
        full = dict(base)
        tutor_config.update_with_defaults(full)
        tutor_config.render_full(full)
        tutor_env.save(str(tutor_root), full)

        local = tutor_root / "env" / "local"
        compose: dict[str, Any] = {}
        for name in ("docker-compose.yml", "docker-compose.prod.yml"):
            compose.update(yaml.safe_load((local / name).read_text())["services"])
        jobs = yaml.safe_load((local / "docker-compose.jobs.yml").read_text())["services"]
        init_tasks = [
            (service, tutor_env.render_str(full, script)) for service, script in hooks.Filters.CLI_DO_INIT_TASKS.iterate()
        ]
        demo_course_task = _demo_course_task(full)
    finally:
        hooks.clear_all(context=context.name)
        plugins._env_patches.cache_clear()
    return OpenedxRender(
        config=full, base_config=base, compose=compose, jobs=jobs, init_tasks=init_tasks, demo_course_task=demo_course_task
    )


def _demo_course_task(config: dict[str, Any]) -> tuple[str, str]:
    """Tutor's own importdemocourse job with its defaults (the openedx-demo-course repository at
    OPENEDX_COMMON_VERSION), rendered as `tutor local do importdemocourse` would run it."""
    command = tutor_jobs.importdemocourse
    # Options without a default (--version) are None, as click passes them.
    defaults = {p.name: p.default if isinstance(p.default, str) else None for p in command.params if p.name}
    ((service, script),) = list(command.callback(**defaults))
    return service, tutor_env.render_str(config, script)
