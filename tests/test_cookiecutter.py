"""`cookiecutter cookiecutter-template` writes the same stack as `odl-stack new`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import ROOT, make_stack, masked, stack_secrets, tree

TEMPLATE = ROOT / "cookiecutter-template"


def cookiecutter(out: Path, *answers: str, overwrite: bool = False) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(out), str(TEMPLATE), *answers]
    if overwrite:
        args.insert(3, "--overwrite-if-exists")
    return subprocess.run(args, capture_output=True, text=True)


def test_same_answers_same_stack_byte_for_byte(tmp_path: Path) -> None:
    cli_stack = make_stack(tmp_path / "cli", app="mitxonline")
    # Give cookiecutter the same secrets by starting from a copy, then let it regenerate.
    shutil.copytree(cli_stack, tmp_path / "cc" / "mitxonline")
    result = cookiecutter(tmp_path / "cc", "app=mitxonline", overwrite=True)
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path / "cc" / "mitxonline") == tree(cli_stack)


def test_fresh_cookiecutter_stack_matches_the_cli_up_to_secrets(tmp_path: Path) -> None:
    result = cookiecutter(tmp_path / "cc", "app=xpro")
    assert result.returncode == 0, result.stderr
    cc_stack = tmp_path / "cc" / "xpro"
    cli_stack = make_stack(tmp_path / "cli", app="xpro")
    cc_tree, cli_tree = tree(cc_stack), tree(cli_stack)
    assert sorted(cc_tree) == sorted(cli_tree)
    cc_secrets, cli_secrets = stack_secrets(cc_stack), stack_secrets(cli_stack)
    for relative in ("docker-compose.yml", "app.env", "plan.json", "stack.json", "app/nginx.conf", "images/openedx/Dockerfile"):
        assert masked(cc_tree[relative].decode(), cc_secrets) == masked(cli_tree[relative].decode(), cli_secrets), relative


def test_bad_answer_is_refused_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "cc"
    result = cookiecutter(out, "app=xpro", "subnet=8.8.8.0/24")
    assert result.returncode != 0
    assert "Error: subnet: 8.8.8.0/24 is not a private network. Fix:" in result.stderr
    assert not (out / "xpro").exists()


def test_one_template_source() -> None:
    # The template carries no compose/env templates of its own: its hooks call the generator.
    files = [p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if p.is_file()]
    assert sorted(map(str, files)) == [
        "cookiecutter.json",
        "hooks/post_gen_project.py",
        "hooks/pre_gen_project.py",
        "{{cookiecutter.name}}/.odl-stack-pending",
    ]


def test_the_readme_command_writes_into_stacks() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "    .venv/bin/cookiecutter cookiecutter-template -o stacks\n" in readme
    assert "--overwrite-if-exists" in readme and "--replay" in readme
    prompts = json.loads((TEMPLATE / "cookiecutter.json").read_text())["__prompts__"]
    assert "--overwrite-if-exists" in prompts["name"]


def test_refusals_are_in_cookiecutter_words_and_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "cc"
    assert cookiecutter(out, "app=mitxonline").returncode == 0
    before = tree(out)
    changed_app = cookiecutter(out, "app=xpro", "name=mitxonline", overwrite=True)
    assert changed_app.returncode != 0
    assert (
        "Error: app: "
        f"{out}/mitxonline is a MITx Online stack; regenerating it never changes its app. "
        "Fix: start a new stack beside it: cookiecutter cookiecutter-template -o stacks app=xpro name=xpro "
        "(or keep app=mitxonline to regenerate this one)\n"
    ) in changed_app.stderr
    clash = cookiecutter(out, "app=mitxonline", "name=second", "subnet=172.28.13.0/24")
    assert clash.returncode != 0
    assert "Error: subnet: 172.28.13.0/24 overlaps 172.28.13.0/24 of stack 'mitxonline'" in clash.stderr
    assert "Fix: pass subnet=172.28.14.0/24 (or another range nothing uses)" in clash.stderr
    assert "--subnet" not in clash.stderr and "--force" not in changed_app.stderr
    assert tree(out) == before


def test_replay_repeats_the_last_answers(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}  # cookiecutter keeps its replay file under ~/.cookiecutter_replay
    first = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(tmp_path / "a"),
            str(TEMPLATE),
            "app=mitxonline",
            "profile=devstack",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert first.returncode == 0, first.stderr
    again = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--replay", "-o", str(tmp_path / "b"), str(TEMPLATE)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert again.returncode == 0, again.stderr
    a, b = (
        json.loads((tmp_path / "a/mitxonline-devstack/stack.json").read_text()),
        json.loads((tmp_path / "b/mitxonline-devstack/stack.json").read_text()),
    )
    assert a == b and a["answers"]["profile"] == "devstack"


def test_plugin_checkouts_as_an_answer_give_the_cli_stack(tmp_path: Path) -> None:
    for name in ("ol_social_auth", "openedx-companion-auth"):
        (tmp_path / "plugins" / name).mkdir(parents=True)
        (tmp_path / "plugins" / name / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    result = cookiecutter(
        tmp_path / "cc", "app=xpro", "openedx_plugin_src=../plugins/ol_social_auth ../plugins/openedx-companion-auth"
    )
    assert result.returncode == 0, result.stderr
    cli_stack = make_stack(
        tmp_path / "cli",
        app="xpro",
        openedx_plugin_src=[str(tmp_path / "plugins/ol_social_auth"), str(tmp_path / "plugins/openedx-companion-auth")],
    )
    cc_stack = tmp_path / "cc" / "xpro"
    cc_tree, cli_tree = tree(cc_stack), tree(cli_stack)
    for relative in ("docker-compose.yml", "stack.json", "images/openedx/Dockerfile", "images/openedx/editable-mounts.sh"):
        assert masked(cc_tree[relative].decode(), stack_secrets(cc_stack)) == masked(
            cli_tree[relative].decode(), stack_secrets(cli_stack)
        ), relative
    missing = cookiecutter(tmp_path / "cc2", "app=xpro", "openedx_plugin_src=../plugins/gone")
    assert (
        missing.returncode != 0 and "Error: openedx_plugin_src: " in missing.stderr and not (tmp_path / "cc2" / "xpro").exists()
    )
