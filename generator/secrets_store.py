"""Generated secrets: made once with `secrets`, kept in the stack, reused.

The store is `secrets/secrets.json` (mode 0600) inside the stack directory.
Reading happens here; writing is left to render, the only stage that writes.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable, Mapping
from pathlib import Path

from generator import statefile
from generator.stackfiles import SECRETS_FILE

_ALNUM = string.ascii_letters + string.digits
# Tutor's config keys that hold secrets (the rest are settings: hosts, image names).
_TUTOR_SECRET = re.compile(r"PASSWORD|SECRET|_KEY|^ID$")


def tutor_secrets(config: Mapping[str, object]) -> dict[str, str]:
    """The secrets among Tutor's config values, by key."""
    return {key: str(value) for key, value in config.items() if _TUTOR_SECRET.search(key)}


def client_id() -> str:
    # Same shape as django-oauth-toolkit's generated client ids.
    return "".join(secrets.choice(_ALNUM) for _ in range(40))


def password() -> str:
    return secrets.token_urlsafe(24)


def token() -> str:
    return secrets.token_hex(20)


def long_secret() -> str:
    return secrets.token_urlsafe(48)


# The kinds an app's extra secrets name (profiles.AppFacts.extra_secrets).
KINDS: dict[str, Callable[[], str]] = {"client_id": client_id, "password": password, "token": token, "long_secret": long_secret}


def load(stack_dir: Path) -> dict[str, str]:
    """Secrets already kept in an existing stack, or {} for a new one (or one whose file is gone or empty)."""
    data = statefile.read_mapping(stack_dir / SECRETS_FILE) or {}
    for name, value in data.items():
        if not isinstance(value, str):
            raise statefile.corrupt(stack_dir / SECRETS_FILE, f"'{name}' is not a string")
    return dict(data)


def fill(existing: Mapping[str, str], wanted: Mapping[str, Callable[[], str]]) -> dict[str, str]:
    """Keep every existing value; generate only the missing ones."""
    result = {name: existing[name] for name in existing}
    for name, make in wanted.items():
        if not result.get(name):
            result[name] = make()
    return dict(sorted(result.items()))
