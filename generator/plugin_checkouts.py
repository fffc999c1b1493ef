"""Open edX plugin checkouts (`--openedx-plugin-src`): checked here, mounted by Tutor.

A checkout is mounted the way `tutor mounts add PATH` mounts it: Tutor's `MOUNTS` setting with
the checkout's directory name, which Tutor's COMPOSE_MOUNTS filter turns into
`/mnt/<name>` in lms, cms, their workers and jobs (tutor/plugins/openedx.py, MOUNTED_DIRECTORIES
and `_mount_edx_platform_python_requirements_compose`). The stack records each path relative to
the stack directory; nothing here reads more of a checkout than its top-level names, and nothing
ever writes into one.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from generator import wording
from generator.errors import StackError

OPTION = "--openedx-plugin-src"
MOUNT_ROOT = "/mnt"
# What makes a directory an installable Python project (pip install -e accepts either).
PROJECT_FILES = ("pyproject.toml", "setup.py")
# Tutor mounts these over /openedx/edx-platform (tutor/plugins/openedx.py `_mount_edx_platform_compose`).
PLATFORM_NAMES = ("edx-platform", "openedx-platform")
PLATFORM_REFUSAL = (
    "an openedx-platform checkout replaces /openedx/edx-platform, and Tutor then rebuilds its egg-info, node_modules"
    " and static assets in the init job (tutor/templates/jobs/init/mounted-directories.sh), which the published"
    " production image cannot do without rebuilding edx-platform"
)
# Tutor makes every MOUNTS entry absolute (bindmount.parse_implicit_mount). It is given this stand-in
# prefix instead of the real path, which the render then replaces by the path relative to the stack,
# so no generated file holds an absolute host path and the output does not depend on where it is.
PLACEHOLDER_ROOT = "/odl-stack-plugin-src"
# Wheels kept in the thin image for the editable installs (versions.yml python-packages).
BUILD_BACKENDS = ("hatchling", "setuptools", "wheel", "editables")


def mount_name(relative: str) -> str:
    """The directory name Tutor mounts a checkout under (`/mnt/<name>`)."""
    return posixpath.basename(posixpath.normpath(relative))


def mount_names(checkouts: Iterable[str]) -> list[str]:
    return [mount_name(path) for path in checkouts]


def placeholder(index: int, relative: str) -> str:
    """What Tutor is given for checkout `index`: absolute, with the checkout's own name."""
    return f"{PLACEHOLDER_ROOT}/{index}/{mount_name(relative)}"


def check(values: Sequence[str], stack_dir: Path) -> tuple[str, ...]:
    """The checkouts, each a directory with a Python project in it, stored relative to `stack_dir`.
    Refused: a missing path, a directory that is no Python project, an openedx-platform checkout,
    two checkouts with one directory name (both would be /mnt/<name>), a checkout inside the stack."""
    stack = stack_dir.resolve()
    found: dict[str, str] = {}
    relative_paths = []
    for value in values:
        path = Path(value).expanduser().resolve()
        if not path.is_dir():
            what = "is not a directory" if path.exists() else "does not exist"
            raise StackError(
                wording.field(OPTION),
                f"{value} {what}",
                "pass the root of a plugin's checkout (the directory with its pyproject.toml or setup.py)",
            )
        if path.name in PLATFORM_NAMES:
            raise StackError(
                wording.field(OPTION),
                f"{value} is not supported: {PLATFORM_REFUSAL}",
                f"drop {wording.option(OPTION, value)}, and work on edx-platform itself with `tutor dev` (tutor mounts add)",
            )
        if not any((path / name).is_file() for name in PROJECT_FILES):
            raise StackError(
                wording.field(OPTION),
                f"{value} has no pyproject.toml or setup.py, so it is not a Python package checkout",
                "pass the plugin's own directory (in mitodl/open-edx-plugins: src/<plugin>)",
            )
        if path.is_relative_to(stack):
            raise StackError(
                wording.field(OPTION),
                f"{value} is inside the stack directory, which a regeneration rewrites",
                "keep the checkout outside the stack",
            )
        if path.name in found:
            raise StackError(
                wording.field(OPTION),
                f"{value} and {found[path.name]} have the same directory name '{path.name}', and both would be /mnt/{path.name}",
                "pass one of them, or rename one checkout's directory",
            )
        found[path.name] = value
        relative_paths.append(os.path.relpath(path, stack))
    return tuple(relative_paths)


def image_context(checkouts: Sequence[str]) -> dict[str, Any]:
    """What the thin image's templates need: the checkouts by the name Tutor mounts them under, their paths,
    the build backends."""
    return {
        "editable_mounts": mount_names(checkouts),
        "checkout_paths": {mount_name(path): path for path in checkouts},
        "build_backends": list(BUILD_BACKENDS),
    }


def from_text(text: str) -> list[str]:
    """A make variable or cookiecutter answer: paths separated by spaces."""
    return text.split()
