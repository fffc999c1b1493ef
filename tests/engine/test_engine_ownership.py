"""Image layout and writable mounts on the real engine: the MIT app stand-ins have the published images' file layout,
and the stack works with it only because of the ownership step.

- Each app stand-in is checked against the layout its upstream Dockerfile gives (user, uid,
  WORKDIR, who owns /src, its files, /opt/venv and /var/media, no /src/staticfiles, port, CMD).
- On a fresh stack, app-init run WITHOUT Tutor's `permissions` one-shot fails with the
  permission error (a new app-static volume is root's, 0755); brought up as generated (the
  one-shot first) on the same, still root-owned volume, it succeeds, the app containers run
  as the image's uid, and nginx's unprivileged workers serve what collectstatic wrote.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from harness import IMAGES_FILE, PROJECT_PREFIX, Stack, generate, record, run

from generator.profiles import APPS

# From the apps' Dockerfiles (cited in tests/standins/images/mitapp-standin/Dockerfile).
LAYOUT = {
    "xpro": {"port": "8053", "wsgi": "mitxpro.wsgi:application", "project_owner": "mitodl"},
    "mitxonline": {"port": "8013", "wsgi": "main.wsgi:application", "project_owner": "root"},
}


@pytest.mark.parametrize("app", list(LAYOUT))
def test_app_standin_has_the_published_image_layout(engine: None, app: str) -> None:
    image = yaml.safe_load(IMAGES_FILE.read_text())[APPS[app].image]
    config = json.loads(run(["docker", "image", "inspect", image], check=True).stdout)[0]["Config"]
    want = LAYOUT[app]
    assert config["User"] == "mitodl" and config["WorkingDir"] == "/src"
    assert list(config["ExposedPorts"]) == [f"{want['port']}/tcp"]
    assert config["Cmd"][:2] == ["sh", "-c"]
    assert f"--port ${{PORT:-{want['port']}}}" in config["Cmd"][2] and config["Cmd"][2].endswith(want["wsgi"])
    assert any(e.startswith("PATH=/opt/venv/bin:") for e in config["Env"])
    probe = (
        "id -u; stat -c '%U %n' /src /src/manage.py /src/.standin-module /opt/venv /var/media; "
        "test -e /src/staticfiles && echo 'staticfiles present' || echo 'staticfiles absent'"
    )
    proc = run(["docker", "run", "--rm", "--entrypoint", "sh", image, "-c", probe], check=True, timeout=120)
    owner = want["project_owner"]
    assert proc.stdout.split("\n")[:-1] == [
        str(APPS[app].image_uid),
        "mitodl /src",
        f"{owner} /src/manage.py",
        f"{owner} /src/.standin-module",
        "mitodl /opt/venv",
        "mitodl /var/media",
        "staticfiles absent",
    ], proc.stdout


@pytest.fixture(params=list(LAYOUT))
def fresh_stack(request: pytest.FixtureRequest, engine: None, stacks_dir: Path) -> Iterator[Stack]:
    app = request.param
    stack = Stack(generate(app, stacks_dir / f"own-{app}", f"{PROJECT_PREFIX}own-{app}"))
    try:
        yield stack
    finally:
        stack.down()


def test_app_init_needs_the_ownership_step_and_the_app_runs_as_its_user(fresh_stack: Stack) -> None:
    stack, t0 = fresh_stack, time.monotonic()
    uid = str(APPS[stack.plan["app_name"]].image_uid)

    # Without the one-shot (--no-deps): the volume is new, so root's, and collectstatic fails.
    modes = stack.compose(
        "run",
        "--rm",
        "--no-deps",
        "--entrypoint",
        "stat",
        "app-init",
        "-c",
        "%u %a %n",
        "/src/staticfiles",
        "/var/media",
        check=True,
    ).stdout.split("\n")
    assert modes[:2] == ["0 755 /src/staticfiles", f"{uid} 755 /var/media"], modes
    failed = stack.compose("run", "--rm", "--no-deps", "app-init", timeout=300)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "PermissionError" in output and "Permission denied: '/src/staticfiles" in output, output[-3000:]
    record("ownership: app-init without the permissions one-shot fails", time.monotonic() - t0)

    # As generated: the one-shot first, on that same root-owned volume; then the app starts.
    t0 = time.monotonic()
    stack.compose("up", "-d", "app-nginx", "app-celery", check=True, timeout=600)
    assert stack.wait_exit("permissions") == 0, stack.logs("permissions")
    assert stack.wait_exit("app-init") == 0, stack.logs("app-init")
    assert f"/mounts/app-static changing UID from 0 to {uid}" in stack.logs("permissions")
    record("ownership: permissions one-shot, app-init, app-web, app-celery, app-nginx up", time.monotonic() - t0)

    for service in ("app-web", "app-celery"):
        assert stack.exec(service, "id", "-u").stdout.strip() == uid, service
    assert stack.exec("app-web", "touch", "/var/media/written-by-the-app").returncode == 0
    owners = stack.compose(
        "run",
        "--rm",
        "--no-deps",
        "--entrypoint",
        "stat",
        "app-init",
        "-c",
        "%u",
        "/src/staticfiles",
        "/src/staticfiles/admin",
        "/var/media",
        check=True,
    )
    assert owners.stdout.split() == [uid, uid, uid], owners.stdout
    # nginx's workers (not root, not the app's uid) read what collectstatic wrote.
    assert "nginx" in stack.exec("app-nginx", "ps", "-o", "user=", "-C", "nginx").stdout.split()
    port = urlsplit(stack.plan["app"]["url"]).port
    deadline = time.monotonic() + 60
    while (status := stack.http_status_from("app-nginx", f"http://127.0.0.1:{port}/static/admin/css/base.css")) != "200":
        assert time.monotonic() < deadline, status
        time.sleep(2)
