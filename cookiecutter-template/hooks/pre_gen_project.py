"""Validate the answers before anything is written (same checks as `odl-stack new`)."""

import sys

from generator.errors import StackError
from generator.plan import make_plan
from generator.spec import make_spec

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
    print(f"Error: {exc}", file=sys.stderr)
    sys.exit(2)
