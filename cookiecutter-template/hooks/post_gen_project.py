"""Write the stack with the generator itself: one template source for both ways in."""

import json
import os
import sys
from pathlib import Path

from generator.errors import StackError
from generator.new import answers_from_cookiecutter, generate
from generator.stackfiles import STACK_FILE
from generator.wording import COOKIECUTTER_TRACEBACK_NOTE

# Fix lines name cookiecutter's answers (`subnet=...`) and --overwrite-if-exists, not CLI flags.
os.environ["ODL_STACK_VIA"] = "cookiecutter"

stack_dir = Path.cwd()
out = stack_dir.parent
(stack_dir / ".odl-stack-pending").unlink()

try:
    # tojson escapes every quote, so the answers arrive whole whatever they hold.
    answers = answers_from_cookiecutter(json.loads(r"""{{ cookiecutter | tojson }}"""), out)
    # Only --overwrite-if-exists gets here with a stack in place: regenerate it, keeping secrets.
    generate(answers, out, force=(stack_dir / STACK_FILE).exists())
except StackError as exc:
    print(f"Error: {exc}", file=sys.stderr)
    print(COOKIECUTTER_TRACEBACK_NOTE, file=sys.stderr)
    sys.exit(2)
