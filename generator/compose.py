"""Assemble the stack's one compose file.

Tutor renders the Open edX services (with our patches); our templates render
the MIT app, APISIX/Keycloak and the bootstrap. This module joins them and
adds what Tutor's files don't carry: the pinned network with a static address
per long-running service, host aliases, published ports and start order.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable
from typing import Any

import yaml

from generator import course, secrets_store, templates
from generator.openedx import OpenedxRender
from generator.plan import NETWORK_NAME, OPENEDX_FRONT, StackPlan
from generator.profiles import OPTIONAL_STEP_FAILED
from generator.stackfiles import TUTOR_COMPOSE_DIR, TUTOR_DATA

OPENEDX_IMAGE_SERVICES = ("lms", "cms", "lms-worker", "cms-worker")
# Celery has no autoreload: with plugin checkouts, `docker compose watch` restarts these on a change
# (Compose's `restart` watch action; uWSGI reloads the LMS and Studio itself).
OPENEDX_WORKERS = ("lms-worker", "cms-worker")
WATCH_IGNORED = ["**/__pycache__/", "*.egg-info/", ".git/"]
# Where an init one-shot records that it ran to the end, inside the data it wrote beside (tutor/data/,
# the app's media volume): deleted with that data by `reset --data`, brought back with it by `restore`.
INIT_STAMP_DIR = ".odl-init"
# Tutor's jobs mount their service's tutor/data/<job> here.
OPENEDX_JOB_DATA = "/openedx/data"
APP_STAMP_DATA = "/var/media"


def _stamp(name: str, image: str, script: str, data_dir: str, extra: str, secrets: Iterable[str] = ()) -> tuple[str, str, str]:
    """(key, stamp file, the line that skips): the key is the image reference and the script (and
    `extra`, e.g. the course's files), so another image or another script runs it again. Secrets in the
    script are left out of it (same answers, same files; data made with other secrets is deleted with
    its stamps, or refused by restore)."""
    for value in sorted(secrets, key=len, reverse=True):
        script = script.replace(value, "<secret>")
    key = hashlib.sha256("\0".join([image, script, extra]).encode()).hexdigest()[:16]
    stamp = f"{data_dir}/{INIT_STAMP_DIR}/{name}"
    skip = (
        f'if [ "$(cat {stamp} 2>/dev/null)" = {key} ]; then echo "odl-stack: {name} already ran to the end on this data'
        f' at this image (stamp {key} in {stamp}): skipped"; exit 0; fi'
    )
    return key, stamp, skip


def once(
    name: str, image: str, script: str, data_dir: str = OPENEDX_JOB_DATA, extra: str = "", secrets: Iterable[str] = ()
) -> str:
    """A one-shot's shell script that skips `script` when the data records it already succeeded at this
    image, and records it after it succeeds. `$` escaped for Compose."""
    key, stamp, skip = _stamp(name, image, script, data_dir, extra, secrets)
    text = f"{skip}\n(\n{script}\n)\nmkdir -p {data_dir}/{INIT_STAMP_DIR} && echo {key} > {stamp}\n"
    return text.replace("$", "$$")


def once_line(name: str, image: str, script: str, data_dir: str = APP_STAMP_DATA) -> str:
    """`once` on one line (the app's init is a folded YAML scalar)."""
    key, stamp, skip = _stamp(name, image, script, data_dir, "")
    return f"{skip}; ( {script} ) && mkdir -p {data_dir}/{INIT_STAMP_DIR} && echo {key} > {stamp}".replace("$", "$$")


def _rebase_volume(volume: str) -> str:
    source, sep, rest = volume.partition(":")
    if not source.startswith("."):
        return volume
    path = posixpath.normpath(posixpath.join(TUTOR_COMPOSE_DIR, source))
    # A plugin checkout is outside the stack (`../...`); everything else Tutor mounts is inside it.
    return (path if path.startswith("../") else "./" + path) + sep + rest


def _depends_dict(depends: Any) -> dict[str, dict[str, str]]:
    if not depends:
        return {}
    if isinstance(depends, dict):
        return dict(depends)
    return {name: {"condition": "service_started"} for name in depends}


def _tutor_service(definition: dict[str, Any]) -> dict[str, Any]:
    service = dict(definition)
    if "volumes" in service:
        service["volumes"] = [_rebase_volume(v) for v in service["volumes"]]
    if "depends_on" in service:
        service["depends_on"] = _depends_dict(service["depends_on"])
    return service


def _wait_for_permissions(services: dict[str, Any]) -> None:
    """Tutor starts its datastores beside its `permissions` one-shot (`service_started`; mysql
    without even that), so on a fresh stack they race its chown and crash-loop until it is done.
    Each Tutor service that mounts a path the one-shot chowns waits for it to finish instead."""
    owned = {v.split(":")[0] for v in services["permissions"]["volumes"] if v.split(":")[1].startswith("/mounts/")}
    for name, service in services.items():
        if name != "permissions" and owned & {v.split(":")[0] for v in service.get("volumes", [])}:
            service.setdefault("depends_on", {})["permissions"] = {"condition": "service_completed_successfully"}


def init_services(render: OpenedxRender) -> dict[str, dict[str, Any]]:
    """Tutor's `do init` tasks as a chain of one-shot services, in Tutor's order."""
    services: dict[str, dict[str, Any]] = {}
    previous = None
    secrets = [v for v in secrets_store.tutor_secrets(render.config).values() if v]
    for index, (job, script) in enumerate(render.init_tasks, start=1):
        service = _tutor_service(render.jobs[f"{job}-job"])
        depends = service.get("depends_on", {})
        if previous:
            depends[previous] = {"condition": "service_completed_successfully"}
        if job != "mysql":
            depends["permissions"] = {"condition": "service_completed_successfully"}
        service["depends_on"] = depends
        name = f"openedx-init-{index}-{job}"
        # `$` would be read by Compose as interpolation; the scripts mean shell variables. Each job
        # skips what its data records as done; Tutor's mysql job has no data directory, so it gets one
        # (its wait for MySQL sleeps 10 s a try, and its users and grants live in MySQL's data).
        if not any(str(v).split(":")[1] == OPENEDX_JOB_DATA for v in service.get("volumes", [])):
            service["volumes"] = [*service.get("volumes", []), f"./{TUTOR_DATA}/{job}-job:{OPENEDX_JOB_DATA}:z"]
        service["command"] = ["sh", "-e", "-c", once(name, str(service["image"]), script, secrets=secrets)]
        service["restart"] = "no"
        services[name] = service
        previous = name
    return services


def course_import_service(plan: StackPlan, render: OpenedxRender, after: str, files: dict[str, str]) -> dict[str, Any]:
    """The stack's course, imported by a CMS one-shot built from Tutor's own `cms-job`
    (its image, settings and mounts), after Tutor's init chain, like Tutor's init jobs."""
    facts = plan.bootstrap["course"]
    service = _tutor_service(render.jobs["cms-job"])
    service["depends_on"] = {**service.get("depends_on", {}), after: {"condition": "service_completed_successfully"}}
    service["volumes"] = [*service.get("volumes", []), f"./{course.STACK_DIR}:{course.MOUNT}:ro"]
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    service["environment"] = {**environment, **course.environment(facts)}
    shell, flags, _c, script = course.command()
    digest = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
    service["command"] = [shell, flags, "-c", once(course.SERVICE, str(service["image"]), script, extra=digest)]
    service["restart"] = "no"
    return service


def demo_course_service(render: OpenedxRender) -> dict[str, Any]:
    """Tutor's `do importdemocourse` as a one-shot that only runs when asked for (it downloads)."""
    job, script = render.demo_course_task
    service = _tutor_service(render.jobs[f"{job}-job"])
    service["command"] = ["sh", "-e", "-c", script.replace("$", "$$")]
    service["profiles"] = [course.DEMO_PROFILE]
    service["restart"] = "no"
    return service


def _our_services(template: str, context: dict[str, Any]) -> dict[str, Any]:
    return yaml.safe_load(templates.render(template, context)) or {}


def init_script(plan: StackPlan) -> str:
    """The app's init steps: required ones chained with `&&`, then optional ones that never stop it;
    from published images, skipped when the data records them done at this image (from a checkout the
    code changes under the same image, so they always run)."""
    required = " && ".join(" ".join(cmd) for cmd in plan.app.init_commands)
    optional = [
        f"{{ {' '.join(cmd)} || echo '{OPTIONAL_STEP_FAILED} {' '.join(cmd)}'; }}" for cmd in plan.app.optional_init_commands
    ]
    script = " && ".join([required, *optional])
    return script if plan.spec.app_src else once_line("app-init", app_image_ref(plan), script)


def app_image_ref(plan: StackPlan) -> str:
    """The app's image: the published one, or for a checkout the image the stack builds from it,
    tagged per stack and checkout (two checkouts of one app never share a tag; no host path in it)."""
    if plan.spec.app_src:
        key = hashlib.sha256(f"{plan.project}\0{plan.spec.app_src}".encode()).hexdigest()[:12]
        return f"odl-stack/{plan.app.image}:dev-{key}"
    return plan.images[plan.app.image]


# The stack's watcher (app/reload.py in a stack built from a checkout), as mounted in the app's containers.
RELOADER = "/odl-stack/reload.py"
RELOADER_FILE = "app/reload.py"


def live(plan: StackPlan) -> dict[str, Any] | None:
    """How the app's code runs in a stack built from a checkout (None: the published image).

    As the app's own compose file runs it in development (profiles.DevFacts cites the lines): its
    development target, the checkout mounted where that file mounts it, the dev server with reload,
    Celery (and, where the dev target cannot reload, the server) restarted by the stack's watcher.
    """
    dev = plan.app.dev
    if not plan.spec.app_src or dev is None:
        return None
    source = plan.spec.app_src
    # Changes a restart cannot pick up: reported, with the command that does.
    needs = [(f, rebuild_command(plan)) for f in (*dev.python_dependency_files, "Dockerfile")]
    if dev.frontends:
        needs += [(f, js_restart_command(plan)) for f in dev.js_dependency_files]
    watcher = ["python", RELOADER, "--root", dev.mount, *[f"--dependency={f}={cmd}" for f, cmd in needs], "--"]
    granian = ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", str(plan.app.web_port), "--workers", "2"]
    web = [*granian, *dev.web_reload, plan.app.wsgi] if dev.web_reload else [*watcher, *granian, plan.app.wsgi]
    celery = [
        "celery",
        "-A",
        plan.app.celery_app,
        "worker",
        *(["-Q", plan.app.celery_queues] if plan.app.celery_queues else []),
        "-B",
        "-l",
        "INFO",
    ]
    return {
        "target": dev.target,
        "mount": f"{source}:{dev.mount}",
        "web_command": web,
        "web_volumes": [f"{source}:{dev.mount}", *([] if dev.web_reload else [f"./{RELOADER_FILE}:{RELOADER}:ro"])],
        "volumes": [f"{source}:{dev.mount}", f"./{RELOADER_FILE}:{RELOADER}:ro"],
        "celery_command": [*watcher, *celery],
        "rebuild": rebuild_command(plan),
        "js_restart": js_restart_command(plan),
    }


def rebuild_command(plan: StackPlan) -> str:
    """The one command that rebuilds the app's image from the checkout and restarts what runs it."""
    return "docker compose up -d --build --force-recreate app-init app-web app-celery"


def js_restart_command(plan: StackPlan) -> str:
    """The frontends install the JS dependencies when they start (the apps' own scripts do)."""
    from generator.plan import dev_frontends

    return "docker compose restart " + " ".join(f.service for f in dev_frontends(plan.spec))


def assemble(plan: StackPlan, render: OpenedxRender, context: dict[str, Any]) -> dict[str, Any]:
    """The compose file: Tutor's services as Tutor rendered them, then ours, rendered from `context`."""
    services: dict[str, Any] = {}
    for name, definition in render.compose.items():
        services[name] = _tutor_service(definition)
    _wait_for_permissions(services)
    inits = init_services(render)
    last_init = list(inits)[-1]
    services["lms"]["depends_on"][last_init] = {"condition": "service_completed_successfully"}
    # One service builds the thin image; Compose then knows not to pull it for the others.
    services["lms"]["build"] = {"context": "./images/openedx"}
    # Tutor's Caddy is the one front of the LMS, Studio, the MFEs and Meilisearch (as in
    # `tutor local`), on the LMS URL's port: Tutor's site addresses carry that port (LMS_HOST
    # is host:port), so Tutor's `:80` suffix is emptied and the port is published as is.
    front = services[OPENEDX_FRONT]
    front["ports"] = [f"127.0.0.1:{plan.ports['lms']}:{plan.ports['lms']}"]
    front["environment"] = {**front.get("environment", {}), "default_site_port": ""}
    for name in OPENEDX_IMAGE_SERVICES:
        services[name]["env_file"] = ["secrets/openedx.env"]
    for name in OPENEDX_WORKERS if plan.spec.openedx_plugin_src else ():
        watch = [{"path": path, "action": "restart", "ignore": WATCH_IGNORED} for path in plan.spec.openedx_plugin_src]
        services[name]["develop"] = {"watch": watch}
    services.update(inits)
    services[course.SERVICE] = course_import_service(plan, render, last_init, course.files(context))
    services[course.DEMO_SERVICE] = demo_course_service(render)
    # Tutor's job services stay usable (`docker compose run --rm lms-job ...`) but don't start on `up`.
    for name, definition in render.jobs.items():
        services[name] = {**_tutor_service(definition), "profiles": ["jobs"]}

    services.update(_our_services("compose/mail.yml.j2", context))
    services.update(_our_services("compose/app.yml.j2", context))
    if plan.spec.apisix:
        services.update(_our_services("compose/apisix.yml.j2", context))
    services.update(_our_services("compose/bootstrap.yml.j2", context))

    aliases: dict[str, list[str]] = {}
    for hostname, service in plan.hostnames.items():
        aliases.setdefault(service, []).append(hostname)
    for name, service in services.items():
        if "profiles" in service:
            attachment: dict[str, Any] = {}
        elif name in plan.addresses:
            attachment = {"ipv4_address": plan.addresses[name]}
            if name in aliases:
                attachment["aliases"] = sorted(aliases[name])
        else:
            attachment = {}  # one-shots take a dynamic address from ip_range
        service["networks"] = {NETWORK_NAME: attachment or None}
    # An image this stack builds is published nowhere: no service of it may try to pull it (Compose
    # would print "pull access denied" for each, then build it anyway). With `never`, Compose still
    # builds a missing image of a service that has `build:`, and the others wait for it.
    built = {service["image"] for service in services.values() if service.get("build") and service.get("image")}
    for service in services.values():
        if service.get("image") in built:
            service["pull_policy"] = "never"

    return {
        "name": plan.project,
        "services": services,
        "networks": {
            NETWORK_NAME: {
                "driver": "bridge",
                "ipam": {
                    "config": [
                        {"subnet": plan.network.subnet, "gateway": plan.network.gateway, "ip_range": plan.network.ip_range}
                    ]
                },
            }
        },
        "volumes": named_volumes(services),
    }


def named_volumes(services: dict[str, Any]) -> dict[str, None]:
    """Every named volume a service mounts, declared once (sorted): a template that mounts a
    new one needs no other change, and snapshots find it here too."""
    found: dict[str, None] = {}
    for service in services.values():
        for mount in service.get("volumes") or []:
            source = mount.get("source", "") if isinstance(mount, dict) else str(mount).split(":")[0]
            if ":" in str(mount) or isinstance(mount, dict):
                if source and not source.startswith((".", "/", "$")):
                    found[source] = None
    return dict(sorted(found.items()))


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump(compose: dict[str, Any]) -> str:
    header = "# Generated by odl-stack; regenerate rather than edit. Your additions: docker-compose.override.yml\n"
    return header + yaml.dump(compose, Dumper=_Dumper, sort_keys=False, width=1000, default_flow_style=False)
