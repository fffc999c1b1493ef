"""A stack built from a checkout of the app (--app-src): the app runs as its own compose file runs it
in development (profiles.DevFacts cites the lines), wired as a published-image stack is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers import checkout_of, make_stack, run_cli, tree

from generator.profiles import APPS

APP_CODE = ("app-init", "app-web", "app-celery")


def _services(stack: Path) -> dict:
    return yaml.safe_load((stack / "docker-compose.yml").read_text())["services"]


@pytest.fixture(scope="module", params=sorted(APPS))
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path, dict[str, bytes]]:
    app = request.param
    root = tmp_path_factory.mktemp(f"live-{app}")
    checkout = checkout_of(app, root / "src" / app)
    before = tree(checkout)
    stack = make_stack(root / "stacks", app=app, app_src=str(checkout))
    return app, stack, checkout, before


def test_every_service_running_app_code_mounts_the_checkout_where_the_apps_compose_does(live) -> None:
    app, stack, _checkout, _ = live
    dev = APPS[app].dev
    services = _services(stack)
    assert services["app-init"]["build"] == {"context": f"../../src/{app}", "target": dev.target}
    for name in APP_CODE:
        assert f"../../src/{app}:{dev.mount}" in services[name]["volumes"], name
        assert services[name]["image"] == services["app-init"]["image"], name
        assert services[name]["environment"] == dict(dev.environment), name
    # No absolute host path in any generated file.
    for path in stack.rglob("*"):
        if path.is_file():
            assert str(stack.parent.parent) not in path.read_text(errors="replace"), path


def test_the_dev_server_reloads_and_celery_is_restarted_on_change(live) -> None:
    app, stack, _checkout, _ = live
    dev = APPS[app].dev
    services = _services(stack)
    web, celery = services["app-web"]["command"], services["app-celery"]["command"]
    assert celery[:2] == ["python", "/odl-stack/reload.py"] and "celery" in celery and "-B" in celery
    assert "./app/reload.py:/odl-stack/reload.py:ro" in services["app-celery"]["volumes"]
    if dev.web_reload:  # the dev target has granian[reload]: the app's own reload, as its dev script runs it
        assert web[0] == "granian" and set(dev.web_reload) <= set(web)
    else:  # it has not: the stack's watcher restarts granian
        assert web[:2] == ["python", "/odl-stack/reload.py"] and "granian" in web
    assert (stack / "app/reload.py").read_text().startswith('"""odl-stack\'s watcher')
    # A dependency change is reported with the one command that rebuilds; the README gives it too.
    needs = dict(arg.removeprefix("--dependency=").split("=", 1) for arg in celery if arg.startswith("--dependency="))
    readme = (stack / "README.md").read_text()
    for name in (*dev.python_dependency_files, "Dockerfile"):
        assert needs[name].startswith("docker compose up -d --build") and needs[name] in readme, name
    for name in dev.js_dependency_files:
        assert needs[name].startswith("docker compose restart watch") and needs[name] in readme, name


def test_the_apps_js_dev_servers_run_from_the_checkout_on_their_own_ports(live) -> None:
    app, stack, _checkout, _ = live
    services = _services(stack)
    for frontend in APPS[app].dev.frontends:
        service = services[frontend.service]
        assert service["image"].startswith("docker.io/node:")
        assert service["ports"] == [f"127.0.0.1:{frontend.port}:{frontend.port}"]
        assert service["volumes"] == [f"../../src/{app}:/src"] and service["working_dir"] == "/src"
        assert list(service["command"]) == list(frontend.command)
        assert "ipv4_address" in service["networks"]["odl"]


def test_generation_never_writes_into_the_checkout(live) -> None:
    _app, _stack, checkout, before = live
    assert tree(checkout) == before


def test_two_checkouts_of_one_app_never_share_an_image_tag(tmp_path: Path) -> None:
    tags = set()
    for name, where in (("one", "a"), ("two", "b"), ("three", "b")):
        checkout = checkout_of("xpro", tmp_path / where / "mitxpro")
        stack = make_stack(tmp_path / "stacks", app="xpro", name=name, app_src=str(checkout))
        tags.add(_services(stack)["app-init"]["image"])
    assert len(tags) == 3


def test_the_same_answers_give_the_same_live_stack(tmp_path: Path) -> None:
    checkout = checkout_of("mitxonline", tmp_path / "mitxonline")
    stack = make_stack(tmp_path / "out", app="mitxonline", app_src=str(checkout))
    assert json.loads((stack / "stack.json").read_text())["answers"]["app_src"] == "../../mitxonline"
    before = tree(stack)
    make_stack(tmp_path / "out", app="mitxonline", app_src=str(checkout), force=True)
    assert tree(stack) == before


def test_a_published_image_stack_has_none_of_it(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, app="mitxonline")
    services = _services(stack)
    assert "watch" not in services and "refine" not in services and not (stack / "app/reload.py").exists()
    assert all("/src" not in " ".join(services[name].get("volumes", [])).replace("/src/staticfiles", "") for name in APP_CODE)


def _refused(result, tmp_path: Path, before: dict[str, bytes], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert message.count("\n") == 0 and message.startswith("Error: --app-src") and "Fix:" in message, message
    for word in words:
        assert word in message, message
    assert tree(tmp_path) == before


def test_a_missing_checkout_is_refused(tmp_path: Path) -> None:
    result = run_cli("new", "--app", "mitxonline", "--app-src", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    _refused(result, tmp_path, {}, "does not exist", "git clone https://github.com/mitodl/mitxonline")


def test_a_checkout_of_another_app_is_refused(tmp_path: Path) -> None:
    checkout_of("mitxonline", tmp_path / "mitxonline")
    before = tree(tmp_path)
    result = run_cli("new", "--app", "xpro", "--app-src", str(tmp_path / "mitxonline"), "--out", str(tmp_path / "out"))
    _refused(result, tmp_path, before, "is not a checkout of mitodl/mitxpro", "mitxpro/wsgi.py")


def test_a_checkout_without_the_development_target_is_refused(tmp_path: Path) -> None:
    checkout = checkout_of("xpro", tmp_path / "mitxpro")
    (checkout / "Dockerfile").write_text("FROM scratch AS base\nFROM base AS production\n")
    before = tree(tmp_path)
    result = run_cli("new", "--app", "xpro", "--app-src", str(checkout), "--out", str(tmp_path / "out"))
    _refused(result, tmp_path, before, "has no `dev` target", "git pull")


def test_through_make_the_error_names_the_make_variable(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "ODL_STACK_VIA": "make"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "new",
            "--app",
            "xpro",
            "--app-src",
            str(tmp_path / "x"),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 2 and result.stderr.startswith("Error: APP_SRC:"), result.stderr


def test_cookiecutters_app_src_answer_gives_the_same_live_stack(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from helpers import ROOT

    checkout = checkout_of("xpro", tmp_path / "src" / "mitxpro")
    cli_stack = make_stack(tmp_path / "cli", app="xpro", app_src=str(checkout))
    shutil.copytree(cli_stack, tmp_path / "cc" / "xpro")  # the same secrets; cookiecutter regenerates
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "--overwrite-if-exists",
            "-o",
            str(tmp_path / "cc"),
            str(ROOT / "cookiecutter-template"),
            "app=xpro",
            "app_src=../src/mitxpro",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path / "cc" / "xpro") == tree(cli_stack)


def test_the_watcher_restarts_its_command_on_a_python_change_and_reports_a_dependency_change(tmp_path: Path) -> None:
    """app/reload.py as the containers run it: the child runs the new code after an edit; a changed
    lock file is reported with its command and restarts nothing."""
    import subprocess
    import sys
    import time

    from generator.compose import RELOADER_FILE

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "task.py").write_text("VALUE = 'v0'\n")
    (tmp_path / "uv.lock").write_text("v0\n")
    out = tmp_path / "seen.txt"
    child = f"import pkg.task, time; open({str(out)!r}, 'a').write(pkg.task.VALUE + '\\n'); time.sleep(60)"
    watcher = Path(__file__).resolve().parent.parent / "generator/templates" / RELOADER_FILE
    proc = subprocess.Popen(
        [
            sys.executable,
            str(watcher),
            "--root",
            str(tmp_path),
            "--dependency=uv.lock=docker compose up -d --build",
            "--",
            sys.executable,
            "-c",
            child,
        ],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        # As the app images run (ol-python-base PYTHONDONTWRITEBYTECODE=1): an edit within the second
        # of the last one, of the same size, would otherwise load a stale .pyc.
        env={"ODL_RELOAD_INTERVAL": "0.1", "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )

    def wait_for(expected: list[str]) -> None:
        deadline, seen = time.monotonic() + 20, []
        while time.monotonic() < deadline:
            seen = out.read_text().split() if out.exists() else []
            if seen == expected:
                return
            time.sleep(0.05)
        raise AssertionError(f"the child wrote {seen}, not {expected}")

    try:
        wait_for(["v0"])
        (tmp_path / "pkg" / "task.py").write_text("VALUE = 'v1'\n")
        wait_for(["v0", "v1"])
        (tmp_path / "uv.lock").write_text("v1\n")
        time.sleep(1)  # a report must come, and no restart: the child's lines stay two
        wait_for(["v0", "v1"])
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "changed: pkg/task.py; restarting" in err, err
    assert "uv.lock changed: a restart does not pick that up. Run, in the stack directory: docker compose up -d --build" in err, (
        err
    )
