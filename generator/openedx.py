"""The Open edX part, rendered by Tutor itself (tutor==22.0.3 used as a library).

Tutor's config file (with the secrets Tutor generates) lives in the stack at
`tutor/config.yml` and is reused on every regeneration. Our changes go in as
patches through Tutor's hooks, registered in a named context and cleared after
each render, so two renders in one process never see each other's patches.

Tutor's own `mfe` plugin (tutor-mfe) is loaded as `tutor[full]` would load it,
so Tutor renders the mfe service, MFE_CONFIG, the *_MICROFRONTEND_URL settings
and the CORS/login-redirect lists. LMS_HOST carries the front's port
(`openedx.odl.local:8000`): every URL Tutor derives from it (CMS_HOST, MFE_HOST,
MEILISEARCH_PUBLIC_URL, MFE_CONFIG) then names the one port Caddy listens on.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

# Only our patches: no pip-installed or ~/.local plugins may change the output.
os.environ.setdefault("TUTOR_IGNORE_ENTRYPOINT_PLUGINS", "1")
os.environ.setdefault("TUTOR_IGNORE_DICT_PLUGINS", "1")

import tutor.commands.compose  # noqa: F401  registers the iter_mounts template variable
import tutor.commands.jobs as tutor_jobs  # registers the core init tasks on CORE_READY
import yaml
from tutor import bindmount, hooks, plugins
from tutor import config as tutor_config
from tutor import env as tutor_env
from tutor.plugins import openedx as tutor_openedx
from tutormfe.hooks import MFE_APPS  # filters only; the plugin itself is loaded by Tutor

from generator import plugin_checkouts, templates
from generator.plan import StackPlan
from generator.stackfiles import TUTOR_COMPOSE_DIR

HOOKS_CONTEXT = "odl-stack"
PATCH_NAMES = (
    "openedx-lms-common-settings",
    "openedx-lms-production-settings",
    "openedx-cms-production-settings",
    "uwsgi-config",
    "caddyfile-global",
    "mfe-caddyfile",
    # Tutor's own slots for plugin mounts in its `permissions` one-shot (setowners.sh).
    "local-docker-compose-permissions-volumes",
    "local-docker-compose-permissions-command",
)
MFE_PLUGIN = "mfe"
# The runbook keeps edx-platform's own login/register pages (ENABLE_AUTHN_MICROFRONTEND = False);
# tutor-mfe would switch them to the authn MFE, so that MFE is left out through its own filter.
LEFT_OUT_MFES = ("authn",)
_core_ready = False
# The LMS's cookie names as edx-platform sets them (Django's session/CSRF defaults, kept by
# openedx/envs/common.py; EDXMKTG_* and JWT_AUTH in lms/envs/common.py). A browser keeps cookies
# per host, not per host and port, so a second LMS on the same hostname (moved with --lms-port)
# must name its cookies apart or each sign-in overwrites the other's session.
LMS_COOKIE_SETTINGS = {
    "SESSION_COOKIE_NAME": "sessionid",
    "CSRF_COOKIE_NAME": "csrftoken",
    "EDXMKTG_LOGGED_IN_COOKIE_NAME": "edxloggedin",
    "EDXMKTG_USER_INFO_COOKIE_NAME": "edx-user-info",
}
LMS_JWT_COOKIES = {
    "JWT_AUTH_COOKIE_HEADER_PAYLOAD": "edx-jwt-cookie-header-payload",
    "JWT_AUTH_COOKIE_SIGNATURE": "edx-jwt-cookie-signature",
}


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
    # The mfe plugin is loaded once per process too, as Tutor loads an installed plugin:
    # every stack enables it, and importing it twice would not register its hooks again.
    global _core_ready
    if not _core_ready:
        hooks.Actions.CORE_READY.do()
        (entrypoint,) = metadata.entry_points(group="tutor.plugin.v1", name=MFE_PLUGIN)
        plugins.v1.discover_package(entrypoint)  # type: ignore[arg-type]  # Tutor types it as importlib_metadata's, the same API
        plugins.load(MFE_PLUGIN)
        _core_ready = True


def _clear_caches() -> None:
    """Patch and MFE lookups are cached until a plugin load; ours change them per render."""
    from tutormfe import plugin as mfe_plugin  # imported by plugins.load, inside its context

    plugins._env_patches.cache_clear()  # type: ignore[attr-defined]  # an lru_cache Tutor types as a plain callable
    mfe_plugin.get_mfes.cache_clear()
    # Tutor caches which directories a mount maps to; MOUNTED_DIRECTORIES changes per render.
    bindmount.parse_implicit_mount.cache_clear()
    bindmount.parse_explicit_mount.cache_clear()


def _mount_checkouts(checkouts: tuple[str, ...]) -> list[str]:
    """Tutor's MOUNTS for the plugin checkouts, as `tutor mounts add` would set them. A checkout whose name
    none of Tutor's MOUNTED_DIRECTORIES patterns matches (ol-social-auth) gets its own item, so Tutor's
    COMPOSE_MOUNTS filter mounts it at /mnt/<name> like the rest. Call inside our hooks context."""
    for name in plugin_checkouts.mount_names(checkouts):
        if not tutor_openedx.is_directory_mounted("openedx", name):
            hooks.Filters.MOUNTED_DIRECTORIES.add_item(("openedx", re.escape(name) + "$"))
    return [plugin_checkouts.placeholder(index, path) for index, path in enumerate(checkouts)]


def _relative_mounts(local: Path, checkouts: tuple[str, ...]) -> None:
    """Tutor wrote the placeholders of `_mount_checkouts` into its compose files; each becomes the checkout's
    path relative to those files (the stack's checkouts are recorded relative to the stack)."""
    up = posixpath.relpath(".", TUTOR_COMPOSE_DIR)
    for path in sorted(local.glob("docker-compose*.yml")):
        text = path.read_text()
        for index, checkout in enumerate(checkouts):
            text = text.replace(f"{plugin_checkouts.placeholder(index, checkout)}:", f"{posixpath.join(up, checkout)}:")
        path.write_text(text)


# Tutor's LMS init task (tutor 22.0.3 templates/jobs/init/lms.sh:34) registers a second Studio SSO client,
# cms-sso-dev, for `tutor dev`'s Studio on port 8001 by appending ":8001" to CMS_HOST. Our CMS_HOST carries
# the front's port (see the module docstring), which made that redirect "studio...:8000:8001/": two ports.
# The dev client gets Studio's bare hostname, as Tutor means it; the client Studio signs in with here is
# cms-sso (lms.sh:26, CMS_HOST with our port), which is unchanged.
STUDIO_DEV_REDIRECT = ("://{{ CMS_HOST }}:8001/", "://{{ CMS_HOST.rsplit(':', 1)[0] }}:8001/")


def _studio_dev_redirect(tasks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    old, new = STUDIO_DEV_REDIRECT
    if not any(service == "lms" and old in script for service, script in tasks):
        # Another Tutor: its template moved; fail here rather than render two ports again.
        raise AssertionError(f"Tutor's lms init task no longer contains {old!r}; review STUDIO_DEV_REDIRECT")
    return [(service, script.replace(old, new) if service == "lms" else script) for service, script in tasks]


def _leave_out_mfes(apps: dict[str, Any]) -> dict[str, Any]:
    for name in LEFT_OUT_MFES:
        apps.pop(name, None)
    return apps


def tutor_settings(plan: StackPlan) -> dict[str, Any]:
    """The Tutor config keys we set (everything else is Tutor's default)."""
    images = plan.images
    return {
        "PLUGINS": [MFE_PLUGIN],
        "LMS_HOST": plan.front_host,
        # Tutor's default is contact@LMS_HOST, which now carries a port.
        "CONTACT_EMAIL": f"contact@{plan.era.lms_hostname}",
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
        "DOCKER_IMAGE_CADDY": images["caddy"],
        "MFE_DOCKER_IMAGE": images["mfe"],
        **mail_settings(plan),
    }


def mail_settings(plan: StackPlan) -> dict[str, Any]:
    """Open edX mails through the stack's Mailpit, by Tutor's own SMTP_* keys (lms.env.yml and
    cms.env.yml render them as EMAIL_HOST/EMAIL_PORT/EMAIL_USE_TLS; common_all.py EMAIL_USE_SSL),
    the values tutor-contrib-mailpit 0.1.4 sets (its plugin.py CONFIG_OVERRIDES). That plugin is
    not used: it adds Mailpit to `tutor dev` only (patch local-docker-compose-dev-services) and
    publishes its ports on every interface. RUN_SMTP off drops Tutor's exim relay, which would
    deliver onward (Tutor's local/docker-compose.yml renders `smtp` only `{% if RUN_SMTP %}`)."""
    mail = plan.bootstrap["mail"]
    return {
        "RUN_SMTP": False,
        "SMTP_HOST": mail["smtp_host"],
        "SMTP_PORT": mail["smtp_port"],
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_USE_TLS": False,
        "SMTP_USE_SSL": False,
    }


def lms_cookie_names(plan: StackPlan) -> dict[str, dict[str, str]]:
    """Cookie names of an LMS moved off its profile's port: Tutor's names + "-<port>" ({} when
    the LMS is on the usual port, which keeps Tutor's names)."""
    port = plan.ports["lms"]
    if port == plan.era.lms_port:
        return {}
    return {
        "settings": {name: f"{value}-{port}" for name, value in LMS_COOKIE_SETTINGS.items()},
        "jwt_auth": {name: f"{value}-{port}" for name, value in LMS_JWT_COOKIES.items()},
    }


def patches(context: dict[str, Any]) -> dict[str, str]:
    rendered = {name: templates.render(f"tutor-patches/{name}", context) for name in PATCH_NAMES}
    return {name: text for name, text in rendered.items() if text.strip()}


def render(plan: StackPlan, kept_config: dict[str, Any], tutor_root: Path, template_context: dict[str, Any]) -> OpenedxRender:
    """Render Tutor's env into `tutor_root` and return the parts we assemble.

    `kept_config` is the stack's existing tutor/config.yml ({} for a new stack):
    its generated secrets are kept, the keys we own are set again from the plan.
    Our patches render from `template_context` (context.template_context).
    """
    _ensure_core_ready()
    context = hooks.Contexts.app(HOOKS_CONTEXT)
    try:
        with context.enter():
            for name, text in patches(template_context).items():
                hooks.Filters.ENV_PATCHES.add_item((name, text))
            MFE_APPS.add()(_leave_out_mfes)
            mounts = _mount_checkouts(plan.spec.openedx_plugin_src)
            # After Tutor's own items (added at the default priority on CORE_READY).
            hooks.Filters.CLI_DO_INIT_TASKS.add(priority=hooks.priorities.LOW)(_studio_dev_redirect)
        _clear_caches()

        base = dict(kept_config)
        base.update(tutor_settings(plan))
        tutor_config.update_with_base(base)  # adds only missing generated secrets...
        tutor_config.render_full(base)  # ...as values, as Tutor's own load_minimal does
        full = dict(base)
        tutor_config.update_with_defaults(full)
        tutor_config.render_full(full)
        # Rendered, never kept in config.yml: the stack records its checkouts in stack.json.
        if mounts:
            full["MOUNTS"] = mounts
        tutor_env.save(str(tutor_root), full)

        local = tutor_root / "env" / "local"
        _relative_mounts(local, plan.spec.openedx_plugin_src)
        # The thin image installs the checkouts by name (context.py); Tutor must mount exactly those.
        mounted = sorted(tutor_openedx.iter_mounted_directories(mounts, "openedx"))
        if mounted != sorted(plugin_checkouts.mount_names(plan.spec.openedx_plugin_src)):
            raise RuntimeError(f"Tutor mounts {mounted}, not the plugin checkouts {list(plan.spec.openedx_plugin_src)}")
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
        _clear_caches()
    return OpenedxRender(
        config=full, base_config=base, compose=compose, jobs=jobs, init_tasks=init_tasks, demo_course_task=demo_course_task
    )


def _demo_course_task(config: dict[str, Any]) -> tuple[str, str]:
    """Tutor's own importdemocourse job with its defaults (the openedx-demo-course repository at
    OPENEDX_COMMON_VERSION), rendered as `tutor local do importdemocourse` would run it."""
    command = tutor_jobs.importdemocourse
    # Options without a default (--version) are None, as click passes them.
    defaults = {p.name: p.default if isinstance(p.default, str) else None for p in command.params if p.name}
    assert command.callback is not None  # a function decorated with @click.command
    ((service, script),) = list(command.callback(**defaults))
    return service, tutor_env.render_str(config, script)
