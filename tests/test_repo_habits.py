"""The repository's own habits: the pre-commit hooks run what `make test-static` runs."""

from __future__ import annotations

import re

import yaml
from helpers import ROOT


def _static_tier_commands() -> list[str]:
    """The recipe lines of the Makefile's test-static target, $(BIN)/ spelled as .venv/bin/."""
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test-static:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert recipe, "the Makefile has no test-static target"
    return [line.strip().replace("$(BIN)/", ".venv/bin/") for line in recipe.group(1).splitlines()]


def test_pre_commit_runs_the_static_tier() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    # Whole-tree runs, as make runs them: a hook given only the staged files would check less.
    assert all(hook.get("pass_filenames") is False for hook in hooks), hooks
    assert [hook["entry"] for hook in hooks] == _static_tier_commands(), (
        "make .pre-commit-config.yaml's hook entries the recipe lines of `make test-static`, in order"
    )
