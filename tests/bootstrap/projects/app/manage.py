#!/usr/bin/env python
"""Test MIT-app project: called like the apps' `./manage.py <command>`."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app_test_settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
