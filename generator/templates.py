"""Our Jinja templates (generator/templates/): one source for CLI and cookiecutter."""

from __future__ import annotations

from typing import Any

import jinja2

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("generator", "templates"),
    undefined=jinja2.StrictUndefined,  # a missing value is a bug, never an empty string
    keep_trailing_newline=True,
    autoescape=False,
)


def render(name: str, context: dict[str, Any]) -> str:
    return _env.get_template(name).render(**context)


def render_string(text: str, context: dict[str, Any]) -> str:
    """Render a template kept outside templates/ (the bootstrap package's Dockerfile)."""
    return _env.from_string(text).render(**context)
