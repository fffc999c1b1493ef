#!/usr/bin/env python
"""STAND-IN of edx-platform's manage.py: `./manage.py lms|cms [--settings=X] <command> ...`.
The first argument is the service variant, as upstream. DJANGO_SETTINGS_MODULE from the
environment wins (the stack sets lms.envs.tutor.production, i.e. Tutor's rendered settings,
which build on this stand-in's lms/envs/production.py)."""

import os
import sys

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("lms", "cms"):
        sys.exit("usage: ./manage.py lms|cms [--settings=SETTINGS] <command> [args...]")
    variant = sys.argv.pop(1)
    os.environ["SERVICE_VARIANT"] = variant
    for i, arg in enumerate(list(sys.argv[1:]), start=1):
        if arg.startswith("--settings="):  # upstream: relative to <variant>.envs
            os.environ["DJANGO_SETTINGS_MODULE"] = f"{variant}.envs.{arg.split('=', 1)[1]}"
            del sys.argv[i]
            break
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{variant}.envs.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0]] + sys.argv[1:])
