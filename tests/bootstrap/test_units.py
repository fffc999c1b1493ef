"""Unit tests: waiting/backoff, masking, engine guards, checklist rendering, packaging."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from bootstrap_helpers import stack_plan
from fakedocker import FakeClient, FakeContainer

from generator.bootstrap import plan as planmod
from generator.bootstrap.engine import Engine, EngineError
from generator.bootstrap.probes import Answer, probe_from
from generator.bootstrap.report import Reporter, render_checklist
from generator.bootstrap.verify import Check, token_check
from generator.bootstrap.waiting import Dependency, WaitTimeout, human, wait_for

BOOTSTRAP_SRC = Path(__file__).resolve().parents[2] / "generator" / "bootstrap"


class Clock:
    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_announces_once_backs_off_and_reports_the_wait() -> None:
    clock, said = Clock(), []
    answers = iter(["HTTP 502"] * 6 + [None])
    dep = Dependency("LMS answering /heartbeat", "lms", 600, lambda: next(answers))
    waited = wait_for(dep, said.append, clock, clock.sleep)
    assert clock.sleeps == [1, 2, 4, 8, 15, 15]  # doubling, capped
    assert waited == 45
    assert said == [
        "waiting for LMS answering /heartbeat (service 'lms', up to 10m): HTTP 502",
        "ready after 45s: LMS answering /heartbeat",
    ]


def test_wait_timeout_names_service_and_last_error_and_never_oversleeps() -> None:
    clock, said = Clock(), []
    errors = iter(f"error {i}" for i in range(100))
    dep = Dependency("app answering /health", "app-web", 20, lambda: next(errors))
    with pytest.raises(WaitTimeout) as info:
        wait_for(dep, said.append, clock, clock.sleep)
    assert clock.sleeps == [1, 2, 4, 8, 5] and clock.now == 20
    assert str(info.value) == "timed out after 20s waiting for app answering /health (service 'app-web'); last error: error 5"
    assert len(said) == 1  # announced once


def test_ready_dependency_does_not_sleep() -> None:
    clock, said = Clock(), []
    assert wait_for(Dependency("x", "s", 5, lambda: None), said.append, clock, clock.sleep) == 0
    assert clock.sleeps == [] and said == ["ready: x"]


def test_human_durations() -> None:
    assert [human(s) for s in (0, 59, 119, 120, 1800, 905)] == ["0s", "59s", "119s", "2m", "30m", "15m05s"]


def test_masker_hides_every_secret_longest_first() -> None:
    mask = planmod.Masker.of({"a": "abcdef", "b": "abcdefghij", "short": "ab", "x": "token-123456"})
    assert mask("abcdefghij abcdef token-123456 ab") == "**** **** **** ab"


def test_reporter_masks_what_it_prints(capsys: pytest.CaptureFixture[str]) -> None:
    plan = stack_plan("xpro")
    Reporter(plan.masker()).say("token=" + plan.secret("service_worker_token"))
    assert capsys.readouterr().out == "token=****\n"


def test_side_data_resolves_secrets_and_puts_the_lms_site_first() -> None:
    plan = stack_plan("mitxonline")
    plan.data["openedx"]["provider"]["sites"] = ["example.com", "openedx.odl.local:8000"]
    data = planmod.lms_data(plan, "run")
    assert data["provider"]["sites"] == ["openedx.odl.local:8000", "example.com"]
    assert data["provider"]["key"] == plan.secret("app_client_id") == planmod.app_data(plan, "run")["oauth_app"]["client_id"]
    assert data["oauth_app"]["client_secret"] == plan.secret("openedx_client_secret")
    assert planmod.app_data(plan, "verify")["superuser"] == {
        "username": "admin",
        "email": "admin@mitxonline.odl.local",
        "name": "Admin User",
        "password": plan.secret("app_superuser_password"),
    }


def test_missing_secret_is_a_plan_error_naming_it(tmp_path: Path) -> None:
    plan = stack_plan("xpro")
    del plan.secrets["app_client_secret"]
    with pytest.raises(planmod.PlanError, match="secret 'app_client_secret' is named by the plan but missing"):
        planmod.app_data(plan, "run")


def test_load_rejects_an_unknown_schema(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(json.dumps({"schema": 99}))
    with pytest.raises(planmod.PlanError, match="schema 99 is not supported"):
        planmod.load(tmp_path / "plan.json", tmp_path)


def test_engine_only_returns_running_containers_of_its_project_and_service() -> None:
    mine = FakeContainer("p-lms-1", "p", "lms")
    stopped = FakeContainer("p-lms-2", "p", "lms", status="exited")
    others = [FakeContainer("q-lms-1", "q", "lms"), FakeContainer("p-cms-1", "p", "cms")]
    client = FakeClient([*others, stopped, mine], honour_filters=False)
    engine = Engine(client, "p")
    assert engine.container("lms") is mine
    assert client.containers.list_calls[0]["filters"] == {
        "label": ["com.docker.compose.project=p", "com.docker.compose.service=lms"]
    }
    assert engine.container("app-web") is None
    with pytest.raises(EngineError, match="no container for service 'app-web' in compose project 'p'"):
        engine.exec("app-web", ["true"])
    assert all(c.calls == [] for c in others)
    with pytest.raises(EngineError):
        Engine(client, "")


def test_engine_describes_a_stopped_service() -> None:
    engine = Engine(FakeClient([FakeContainer("p-lms-1", "p", "lms", status="exited")]), "p")
    assert engine.describe("lms") == "container p-lms-1 is exited"


def test_probe_passes_the_url_as_argv_and_reads_the_status() -> None:
    lms = FakeContainer("p-lms-1", "p", "lms", probe_answers={"http://app:1/x": "HTTP 404"})
    engine = Engine(FakeClient([lms]), "p")
    assert probe_from(engine, "lms", "http://app:1/x") == Answer(404)
    assert lms.calls[0]["cmd"][-1] == "http://app:1/x" and "http://app:1/x" not in lms.calls[0]["cmd"][2]
    assert probe_from(engine, "lms", "http://nowhere/").error.startswith("URLError")


def test_token_check_wants_the_service_worker() -> None:
    plan = stack_plan("xpro")
    check = token_check(plan, lambda url, headers=None: Answer(200, body=b'{"username": "edx"}'))
    assert check == Check(
        "Service-worker token accepted by http://openedx.odl.local:8000/api/user/v1/me",
        False,
        "answered for user 'edx', want 'mitserviceworker'",
    )
    assert not token_check(plan, lambda url, headers=None: Answer(None, error="URLError: refused")).ok


def test_checklist_rendering() -> None:
    lines = render_checklist([Check("LMS reachable", True), Check("Provider enabled", False, "newest row is disabled")])
    assert lines == ["  ✓ LMS reachable", "  ✗ Provider enabled: newest row is disabled"]


def _copy_as_stack_package(tmp_path: Path) -> Path:
    # What render does: every top-level .py of generator/bootstrap into bootstrap/odl_bootstrap/.
    package = tmp_path / "bootstrap" / "odl_bootstrap"
    package.mkdir(parents=True)
    for source in BOOTSTRAP_SRC.glob("*.py"):
        shutil.copy(source, package / source.name)
    return package.parent


def test_copied_package_runs_on_its_own(tmp_path: Path) -> None:
    """Self-contained: no import of `generator`, runnable as `python -m odl_bootstrap`."""
    context = _copy_as_stack_package(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "odl_bootstrap", "verify", "--plan", str(tmp_path / "missing.json"), "--stack", str(tmp_path)],
        cwd=context,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2, proc.stderr
    assert "plan file" in proc.stdout and "not found" in proc.stdout
    for source in BOOTSTRAP_SRC.glob("*.py"):
        text = source.read_text()
        assert "import generator" not in text and "from generator" not in text, source.name


def _entrypoint(python_image: str = "docker.io/python:3.12-slim") -> tuple[str, list[str]]:
    # The names of the stack's one template context (generator/context.py) that the Dockerfile reads.
    text = jinja2.Template((BOOTSTRAP_SRC / "Dockerfile.j2").read_text()).render(
        images={"python": python_image}, packages={"docker": "7.1.0"}
    )
    line = next(ln for ln in text.splitlines() if ln.startswith("ENTRYPOINT "))
    return text, json.loads(line[len("ENTRYPOINT ") :])


@pytest.mark.parametrize(
    "args, executed",
    [
        (
            ["python", "-m", "odl_bootstrap", "run", "--plan", "/stack/plan.json"],
            "python -m odl_bootstrap run --plan /stack/plan.json",
        ),
        (["verify"], "python -m odl_bootstrap verify"),
        (["run"], "python -m odl_bootstrap run"),
    ],
    ids=["full-command", "verify", "run"],
)
def test_dockerfile_entrypoint_accepts_full_command_or_subcommand(tmp_path: Path, args: list[str], executed: str) -> None:
    text, entry = _entrypoint()
    assert text.startswith("FROM docker.io/python:3.12-slim\n") and "python3 -m venv" in text and "docker==7.1.0" in text
    # Run the entrypoint's shell script with a `python` that only echoes its argv.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "python").write_text('#!/bin/sh\necho "python $*"\n')
    (fake_bin / "python").chmod(0o755)
    proc = subprocess.run([*entry, *args], capture_output=True, text=True, env={"PATH": f"{fake_bin}:/usr/bin:/bin"})
    assert proc.stdout.strip() == executed, proc.stderr


def test_the_result_prefix_copied_into_the_side_scripts_is_the_one_sides_parses() -> None:
    """side_common.py runs inside the containers and imports nothing of ours, so it carries its own copy
    of the prefix that marks its result line; the two must stay one value."""
    import ast

    from generator.bootstrap import sides

    tree = ast.parse((BOOTSTRAP_SRC / "side_common.py").read_text())
    copied = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [getattr(t, "id", None) for t in node.targets] == ["RESULT_PREFIX"]
        and isinstance(node.value, ast.Constant)
    ]
    assert copied == [sides.RESULT_PREFIX] == ["ODL_BOOTSTRAP_RESULT="]


def test_the_app_user_is_made_by_the_apps_user_manager_in_one_call() -> None:
    """The learner is made by the app's UserManager.create_user with its name as an extra field
    (mitxonline users/models.py:210, mitxpro users/models.py:102), not by a copy of MITx Online's
    create_user command body (create, then name and flags set and saved again)."""
    import ast

    tree = ast.parse((BOOTSTRAP_SRC / "app_side.py").read_text())
    (function,) = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "_ensure_app_user"]
    calls = [node for node in ast.walk(function) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)]
    (create,) = [c for c in calls if c.func.attr == "create_user"]
    assert isinstance(create.func.value, ast.Attribute) and create.func.value.attr == "objects"
    assert [k.arg for k in create.keywords] == ["name"]
    assert not [c for c in calls if c.func.attr == "save"], "the user is saved again after the app's create_user"
    flags = {
        t.attr
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        for t in ast.walk(node)
        if isinstance(t, ast.Attribute)
    }
    assert not flags & {"is_staff", "is_superuser", "name"}
