"""FORCE never changes the kind of a stack (profile, gateway) unasked; asked with --change-kind, it says
what changes, removes what is no longer generated, and ports the generator picked follow the new kind."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import make_stack, run_cli, tree


def _answers(stack: Path) -> dict:
    return json.loads((stack / "stack.json").read_text())["answers"]


def test_a_change_of_profile_or_gateway_is_refused_with_the_way_forward(tmp_path: Path) -> None:
    make_stack(tmp_path, app="xpro")
    make_stack(tmp_path, app="mitxonline", apisix=True, name="mo")
    before = tree(tmp_path)
    for args, field, says in (
        (["--app", "xpro", "--profile", "devstack", "--name", "xpro"], "--profile", "profile tutor -> devstack"),
        (["--app", "mitxonline", "--name", "mo"], "--apisix", "apisix/ and keycloak/ and their ports are removed"),
        (["--app", "mitxonline", "--name", "mo", "--profile", "devstack", "--apisix"], "--profile", "mitxpro-oauth2"),
    ):
        result = run_cli("new", *args, "--out", str(tmp_path), "--force")
        assert result.returncode == 2, result.stderr
        message = result.stderr.strip()
        assert message.count("\n") == 0 and message.startswith(f"Error: {field}: "), message
        assert says in message and "Fix: start a new stack beside it: " in message and "add --change-kind" in message, message
        assert tree(tmp_path) == before, "a refused change of kind wrote files"
    gateway = run_cli("new", "--app", "mitxonline", "--name", "mo", "--out", str(tmp_path), "--force")
    assert "leave unused: Keycloak's database (volume mo_keycloak-db-data" in gateway.stderr, gateway.stderr


def test_turning_the_gateway_off_removes_its_files_and_ports(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, app="mitxonline", apisix=True, name="mo")
    (stack / "keycloak" / "mine.txt").write_text("a user's file stays\n")
    result = run_cli("new", "--app", "mitxonline", "--name", "mo", "--out", str(tmp_path), "--force", "--change-kind")
    assert result.returncode == 0, result.stderr
    assert "changing the kind of stack (asked with --change-kind): APISIX off" in result.stdout
    assert "removed  apisix/config.yaml" in result.stdout and "removed  keycloak/import/ol-local-realm.json" in result.stdout
    assert not (stack / "apisix").exists() and not (stack / "keycloak" / "import").exists()
    assert (stack / "keycloak" / "mine.txt").read_text() == "a user's file stays\n"
    compose = (stack / "docker-compose.yml").read_text()
    assert "9080" not in compose and "7080" not in compose and "keycloak" not in compose
    assert _answers(stack)["apisix"] is False
    # Same answers again: nothing changes.
    before = tree(tmp_path)
    again = run_cli("new", "--app", "mitxonline", "--name", "mo", "--out", str(tmp_path), "--force")
    assert again.returncode == 0 and "no file changed" in again.stdout, again.stdout + again.stderr
    assert tree(tmp_path) == before


def test_picked_ports_are_recorded_as_picked_and_follow_the_profile(tmp_path: Path) -> None:
    make_stack(tmp_path, app="xpro")  # LMS 8000
    make_stack(tmp_path, app="xpro", profile="devstack")  # LMS 18000
    second = make_stack(tmp_path, app="xpro", profile="devstack", name="xpro2")
    answers = _answers(second)
    assert answers["ports"] == {} and answers["picked_ports"] == {"app": 8054, "lms": 18001, "mail": 8056}, answers
    # Regenerated as it is, the picked ports stay (nothing moves by surprise) and stay picked.
    before = tree(tmp_path)
    same = run_cli("new", "--app", "xpro", "--profile", "devstack", "--name", "xpro2", "--out", str(tmp_path), "--force")
    assert same.returncode == 0 and "no file changed" in same.stdout, same.stdout + same.stderr
    assert tree(tmp_path) == before
    # Back to the tutor profile: the ports follow it (8000 is xpro's, so 8001), not the devstack's 18001.
    back = run_cli("new", "--app", "xpro", "--name", "xpro2", "--out", str(tmp_path), "--force", "--change-kind")
    assert back.returncode == 0, back.stderr
    answers = _answers(second)
    assert answers["profile"] == "tutor" and answers["ports"] == {} and answers["picked_ports"]["lms"] == 8001, answers
    assert "- 127.0.0.1:8001:8001\n" in (second / "docker-compose.yml").read_text()


def test_a_port_the_user_gives_is_chosen_not_picked(tmp_path: Path) -> None:
    make_stack(tmp_path, app="xpro")
    second = make_stack(tmp_path, app="xpro", name="xpro2", lms_port=8100)
    answers = _answers(second)
    assert answers["ports"] == {"lms": 8100} and answers["picked_ports"] == {"app": 8054, "mail": 8056}, answers
