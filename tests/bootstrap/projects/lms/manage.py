#!/usr/bin/env python
"""Test LMS project: called like edx-platform's `./manage.py lms <command>` (the `lms` is dropped)."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[2] / "standins")]
# Last: only the LMS stand-in's `openedx` package (its password reset) is imported from there.
sys.path.append(str(HERE.parents[2] / "standins" / "images" / "lms-standin" / "edx-platform"))

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms_test_settings")
    argv = list(sys.argv)
    if len(argv) > 1 and argv[1] == "lms":
        del argv[1]
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
