"""new.spec_from_answers: the one conversion of answers into a spec, whichever way they came in."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.new import answers_from_cookiecutter, spec_from_answers

CLI_ANSWERS = {
    "xpro": {"app": "xpro"},
    "mitxonline-apisix-devstack": {
        "app": "mitxonline",
        "apisix": True,
        "profile": "devstack",
        "lms_port": 8100,
        "subnet": "10.9.8.0/24",
        "addresses": {"lms": "10.9.8.40"},
    },
}


@pytest.mark.parametrize("answers", CLI_ANSWERS.values(), ids=CLI_ANSWERS.keys())
def test_a_recorded_spec_converts_back_to_itself(answers: dict) -> None:
    # upgrade reads back what a stack recorded (spec.answers()): it must mean the same stack.
    spec = spec_from_answers(answers)
    assert spec_from_answers(spec.answers()) == spec


def test_cookiecutter_answers_mean_what_the_same_cli_options_mean(tmp_path: Path) -> None:
    values = {
        "app": "mitxonline",
        "apisix": "yes",
        "profile": "tutor",
        "name": "",
        "subnet": "",
        "lms_port": "8100",
        "app_port": "",
        "app_src": "",
        "images_file": "",
        "_template": "cookiecutter-template",
    }
    assert spec_from_answers(answers_from_cookiecutter(values, tmp_path)) == spec_from_answers(
        {"app": "mitxonline", "apisix": True, "lms_port": 8100}
    )


def test_relative_cookiecutter_paths_are_read_from_the_output_directory(tmp_path: Path) -> None:
    (tmp_path / "mirror.yml").write_text("python: my-mirror/python:3.12\n")
    answers = answers_from_cookiecutter({"app": "xpro", "apisix": "no", "images_file": "mirror.yml"}, tmp_path)
    assert spec_from_answers(answers).images == {"python": "my-mirror/python:3.12"}


def test_kept_answers_fill_only_what_is_not_given() -> None:
    kept = {"subnet": "10.1.2.0/24", "ports": {"lms": 8100, "app": 8200}}
    spec = spec_from_answers({"app": "xpro", "app_port": 8300}, kept=kept)
    assert spec.subnet == "10.1.2.0/24" and spec.ports == {"lms": 8100, "app": 8300}
