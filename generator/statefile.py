"""Reading a stack's state files back (stack.json, plan.json, secrets/secrets.json, tutor/config.yml).

A file that is not what the generator wrote (truncated, a list, a wrong type) is one error naming the file
and the fix, never a traceback; a missing or empty file is None, for the caller to decide what that means.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from generator import wording
from generator.errors import StackError
from generator.stackfiles import SECRETS_FILE, TUTOR_DIR

# What each file is, for a user fixing one by hand.
_WHAT = {
    "stack.json": 'the JSON object {"generator_version": ..., "answers": {...}} the generator wrote',
    "secrets.json": "a JSON object of secret names to values",
    "config.yml": "Tutor's YAML mapping of settings to values",
}
# Files a regeneration can make anew when they are gone (with the checks of generator/kept.py).
_RENEWABLE = ("secrets.json", "config.yml")


def corrupt(path: Path, problem: str) -> StackError:
    fix = f"restore it from a backup, or correct it by hand ({_WHAT.get(path.name, 'as the generator wrote it')})"
    if path.name == "plan.json":
        fix = f"regenerate it: {wording.command('upgrade', path.parent)}"
    elif path.name in _RENEWABLE:
        fix = (
            f"restore it from a backup ({_WHAT[path.name]}); without one, delete it and run {wording.command('upgrade', path.parents[1] if path.parent.name in (SECRETS_FILE.parent.name, TUTOR_DIR) else path.parent)}:"
            " it makes new secrets where the stack has no data, and says what to do where it has"
        )
    return StackError(str(path), problem, fix)


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true/false",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def read_mapping(path: Path) -> dict[str, Any] | None:
    """The mapping a JSON (.json) or YAML file holds; None when the file is missing or empty."""
    if not path.is_file():
        return None
    text = path.read_text()
    if not text.strip():
        return None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise corrupt(path, f"is not valid JSON ({exc.msg}: line {exc.lineno}, column {exc.colno}; truncated?)") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise corrupt(path, f"is not valid YAML ({getattr(exc, 'problem', None) or 'unreadable'}{where}; truncated?)") from exc
    if data is None:
        return None
    if not isinstance(data, dict):
        raise corrupt(path, f"holds {_type_name(data)}, not a mapping")
    return data


def check_types(path: Path, data: dict[str, Any], types: dict[str, tuple[type, ...]], within: str = "") -> None:
    """Each key present in `data` has one of its allowed types (a hand edit or another tool's file may not)."""
    for key, allowed in types.items():
        if key in data and not isinstance(data[key], allowed):
            wanted = " or ".join(dict.fromkeys(_type_name(t()) if t is not type(None) else "null" for t in allowed))
            raise corrupt(path, f"'{within}{key}' is {_type_name(data[key])} ({json.dumps(data[key])[:40]}), not {wanted}")
