"""Write the stack with the generator itself: one template source for both ways in."""

import os
import sys
from pathlib import Path

from generator.cli import generate
from generator.errors import StackError
from generator.stackfiles import STACK_FILE

# Fix lines name cookiecutter's answers (`subnet=...`) and --overwrite-if-exists, not CLI flags.
os.environ["ODL_STACK_VIA"] = "cookiecutter"

stack_dir = Path.cwd()
out = stack_dir.parent
(stack_dir / ".odl-stack-pending").unlink()


def _from_out(value: str) -> str:
    # Relative answers are read from the output directory, not from this hook's cwd.
    return str(out / value) if value and not os.path.isabs(value) else value


answers = {
    "app": "{{ cookiecutter.app }}",
    "apisix": "{{ cookiecutter.apisix }}" == "yes",
    "profile": "{{ cookiecutter.profile }}",
    "name": "{{ cookiecutter.name }}",
    "subnet": "{{ cookiecutter.subnet }}",
    "lms_port": "{{ cookiecutter.lms_port }}",
    "app_port": "{{ cookiecutter.app_port }}",
    "app_src": _from_out("{{ cookiecutter.app_src }}"),
    "images_file": _from_out("{{ cookiecutter.images_file }}"),
}
try:
    # Only --overwrite-if-exists gets here with a stack in place: regenerate it, keeping secrets.
    generate(answers, str(out), force=(stack_dir / STACK_FILE).exists())
except StackError as exc:
    print(f"Error: {exc}", file=sys.stderr)
    sys.exit(2)
