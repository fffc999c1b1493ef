"""Validate the answers before anything is written (same checks as `odl-stack new`)."""

import json
import os
import sys
from pathlib import Path

from generator.errors import StackError
from generator.new import answers_from_cookiecutter, spec_from_answers
from generator.plan import make_plan
from generator.wording import COOKIECUTTER_TRACEBACK_NOTE

# Fix lines name cookiecutter's answers (`subnet=...`) and --overwrite-if-exists, not CLI flags.
os.environ["ODL_STACK_VIA"] = "cookiecutter"

try:
    # tojson escapes every quote, so the answers arrive whole whatever they hold.
    answers = answers_from_cookiecutter(json.loads(r"""{{ cookiecutter | tojson }}"""), Path.cwd().parent)
    make_plan(spec_from_answers(answers, Path.cwd()))
except StackError as exc:
    # cookiecutter then logs its own traceback for any failed hook (cookiecutter/hooks.py
    # run_hook_from_repo_dir, logger.exception); this line is the one that names the fix, the note says so.
    print(f"Error: {exc}", file=sys.stderr)
    print(COOKIECUTTER_TRACEBACK_NOTE, file=sys.stderr)
    sys.exit(2)
