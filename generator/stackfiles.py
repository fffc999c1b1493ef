"""The names of a stack directory's files: a leaf module, so that reading a stack back (stackdir, doctor,
lifecycle) needs no part of the generator that renders one (render, openedx, and so Tutor)."""

from __future__ import annotations

from pathlib import Path

# Written by the generator.
COMPOSE_FILE = "docker-compose.yml"
STACK_FILE = "stack.json"  # the generator's version and the answers, what `upgrade` regenerates from
PLAN_FILE = "plan.json"  # the bootstrap's plan
SECRETS_FILE = Path("secrets") / "secrets.json"
CREDENTIALS_FILE = "secrets/credentials.txt"
TUTOR_DIR = "tutor"  # Tutor's project root: config.yml and env/
# The user's, never written by the generator; Compose reads it after docker-compose.yml.
OVERRIDE_FILE = "docker-compose.override.yml"
# Written by `odl-stack up` (never by the generator): which passwords the data
# of this stack was created with, as fingerprints.
DATA_STAMP = ".odl-stack/data.json"
# Tutor's bind-mounted data; mysql is the part that keeps passwords.
TUTOR_DATA = "tutor/data"
# Snapshots of the stack's data (`odl-stack snapshot`); the generator never writes or removes them.
SNAPSHOTS_DIR = "snapshots"
# Written by `odl-stack restore` while it swaps data in: what to finish or undo after a kill.
RESTORE_JOURNAL = ".odl-stack/restore.json"
