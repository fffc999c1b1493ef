"""Validate the answers before anything is written (same checks as `odl-stack new`)."""

import os
import sys

from generator.errors import StackError
from generator.plan import make_plan
from generator.spec import make_spec

# Fix lines name cookiecutter's answers (`subnet=...`) and --overwrite-if-exists, not CLI flags.
os.environ["ODL_STACK_VIA"] = "cookiecutter"

try:
    ports = {k: v for k, v in (("lms", "{{ cookiecutter.lms_port }}"), ("app", "{{ cookiecutter.app_port }}")) if v}
    make_plan(
        make_spec(
            app="{{ cookiecutter.app }}",
            apisix="{{ cookiecutter.apisix }}" == "yes",
            profile="{{ cookiecutter.profile }}",
            name="{{ cookiecutter.name }}",
            subnet="{{ cookiecutter.subnet }}" or None,
            ports=ports,
        )
    )
except StackError as exc:
    # cookiecutter then logs its own traceback for any failed hook (cookiecutter/hooks.py
    # run_hook_from_repo_dir, logger.exception); this line is the one that names the fix.
    print(f"Error: {exc}", file=sys.stderr)
    sys.exit(2)
