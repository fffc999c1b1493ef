#!/usr/bin/env python
"""Test MIT-app project: called like the apps' `./manage.py <command>`; its apps are the engine
tier's app stand-in modules."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[2] / "standins" / "images" / "mitapp-standin" / "src")]

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app_test_settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
