#!/usr/bin/env python
"""manage.py of the MIT app stand-in (settings module: mitxpro.settings or main.settings,
as in the real apps)."""

import os
import sys

if __name__ == "__main__":
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".standin-module")) as f:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", f.read().strip() + ".settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
