"""`make stack` passes every option of `odl-stack new` through; none is dropped silently."""

import subprocess
from pathlib import Path

import click

from generator.cli import cli

ROOT = Path(__file__).resolve().parent.parent
# Make variable per option; a new CLI option without a Makefile variable fails this test.
VARIABLES = {
    "--app": "APP=xpro",
    "--apisix": "APISIX=1",
    "--profile": "PROFILE=tutor",
    "--name": "NAME=n",
    "--subnet": "SUBNET=10.9.0.0/24",
    "--out": "OUT=o",
    "--app-src": "APP_SRC=../src",
    "--images": "IMAGES=i.yml",
    "--lms-port": "LMS_PORT=8100",
    "--app-port": "APP_PORT=8200",
    "--ip": "IP=lms=10.9.0.5",
    "--force": "FORCE=1",
    "--new-secrets": "NEW_SECRETS=1",
    "--openedx-plugin-src": "OPENEDX_PLUGIN_SRC=../plugin",
    "--change-kind": "CHANGE_KIND=1",
}


def test_make_stack_passes_every_new_option() -> None:
    new = cli.commands["new"]
    options = {o for p in new.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")}
    assert options - {"--help"} <= set(VARIABLES), f"no Makefile variable for {options - set(VARIABLES)}"
    out = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "stack", *VARIABLES.values()], capture_output=True, text=True, check=True
    ).stdout
    words = out.split()
    for option in VARIABLES:
        assert option in words, f"make stack dropped {option}"


def test_every_new_option_is_passed_by_make_or_refused() -> None:
    """Each option of `odl-stack new` has its variable in wording.MAKE_VARS (so fix lines name it) and
    in the Makefile's `stack` recipe (so it reaches the CLI); an option make cannot pass would have to
    be refused there with a clear error, and there is none."""
    import re

    from generator import wording

    new = cli.commands["new"]
    options = sorted(o for p in new.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--") and o != "--help")
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nstack:", 1)[1].split("\n\n", 1)[0]
    for option in options:
        assert option in wording.MAKE_VARS, f"{option} has no make variable in wording.MAKE_VARS"
        variable = wording.MAKE_VARS[option].split("=")[0]
        assert re.search(rf"\$\({variable}\)", recipe) and re.search(rf",{option}[\s)]|\s{option}\s", recipe), (
            f"make stack does not pass {variable} as {option}"
        )
        assert variable in makefile.split("\nhelp:", 1)[1].split("\n\n", 1)[0], f"make help does not name {variable}"
