"""STAND-IN of edx-codejail's codejail.jail_code: Tutor's rendered settings call
configure("python", "nonexistingpythonbinary", user=None) to disable code jail."""

COMMANDS = {}


def configure(command, bin_path, user=None, **kwargs):
    COMMANDS[command] = {"cmdline_start": [bin_path], "user": user}
