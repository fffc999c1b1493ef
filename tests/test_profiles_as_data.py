"""App and era differences are data, and every template renders from one context.

profiles.py promises that the code never branches on an app's name: whatever differs between
xPro and MITx Online, or between the Tutor and the devstack era, is a field of AppFacts or
EraFacts that the code reads. These tests read every module and template of the generator and
fail where one compares something with an app's or an era's name; and they render stacks to see
that every template gets the one context context.template_context builds.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import jinja2
import pytest
from helpers import ROOT, checkout_of, make_stack

from generator import secrets_store, templates
from generator.profiles import APPS, ERAS

NAMES = frozenset(APPS) | frozenset(ERAS)
FIX = (
    "make the difference a field of AppFacts or EraFacts in generator/profiles.py, "
    "set it for each app or era there, and read the field instead of the name"
)
PYTHON_FILES = sorted((ROOT / "generator").rglob("*.py")) + sorted((ROOT / "cookiecutter-template" / "hooks").glob("*.py"))
TEMPLATE_DIR = ROOT / "generator" / "templates"
TEMPLATES = sorted(p for p in TEMPLATE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts) + sorted(
    (ROOT / "generator" / "bootstrap").glob("*.j2")
)
# Rendered only for a stack behind the gateway.
APISIX_TEMPLATES = {"compose/apisix.yml.j2", "keycloak/realm.json.j2", "apisix/config.yaml.j2", "apisix/apisix.yaml.j2"}
# Rendered only for a stack with Open edX plugin checkouts (--openedx-plugin-src).
PLUGIN_TEMPLATES = {"images/editable-mounts.sh.j2"}
LIVE_TEMPLATES = {"app/reload.py"}  # only in a stack built from a checkout (--app-src)


def _names_in(node: ast.expr) -> list[str]:
    """App or era names a compared operand spells out: "xpro", or ("xpro", "mitxonline") after `in`."""
    elements = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return [e.value for e in elements if isinstance(e, ast.Constant) and e.value in NAMES]


def python_branches(source: str) -> list[tuple[int, str]]:
    """(line, name) of every comparison or match case against an app's or an era's name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            found += [(node.lineno, name) for operand in (node.left, *node.comparators) for name in _names_in(operand)]
        elif isinstance(node, ast.MatchValue):
            found += [(node.lineno, name) for name in _names_in(node.value)]
    return found


_LEXER = jinja2.Environment()


def template_branches(source: str) -> list[tuple[int, str]]:
    """(line, name) of every app or era name written as a string inside a Jinja tag or expression
    (`{% if app.name == "xpro" %}`, `{{ 'a' if era.name == 'tutor' }}`); plain text is not read."""
    return [
        (line, value.strip("'\"")) for line, kind, value in _LEXER.lex(source) if kind == "string" and value.strip("'\"") in NAMES
    ]


def test_the_readers_find_a_branch_on_a_name() -> None:
    # Guards the readers themselves: each way of branching is found, reading a name is not.
    assert python_branches('if spec.app == "xpro":\n    pass') == [(1, "xpro")]
    assert python_branches('x = 1 if "devstack" != profile else 2') == [(1, "devstack")]
    assert python_branches('if app in ("mitxonline", "other"):\n    pass') == [(1, "mitxonline")]
    assert python_branches('match era:\n    case "tutor":\n        pass') == [(2, "tutor")]
    assert python_branches("name = APPS[spec.app].title\nif spec.apisix:\n    pass") == []
    assert template_branches('A\n{%- if app.name == "xpro" %}\nB\n{%- endif %}') == [(2, "xpro")]
    assert template_branches("{{ 'x' if era.name != 'devstack' else 'y' }}") == [(1, "devstack")]
    assert template_branches("{% if app.name in ['mitxonline'] %}{% endif %}") == [(1, "mitxonline")]
    assert template_branches("# mitxpro/settings.py, the xpro app\n{{ app.name }}") == []


def test_no_code_branches_on_an_app_or_era_name() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} compares with '{name}'"
        for path in PYTHON_FILES
        for line, name in python_branches(path.read_text())
    ]
    assert not found, "Code branches on an app's or an era's name:\n  " + "\n  ".join(found) + f"\nFix: {FIX}."


def test_no_template_branches_on_an_app_or_era_name() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} names '{name}'"
        for path in TEMPLATES
        if path.suffix != ".py"  # a Python file under templates/ is read as code above
        for line, name in template_branches(path.read_text())
    ]
    assert not found, "Templates branch on an app's or an era's name:\n  " + "\n  ".join(found) + f"\nFix: {FIX}."


def test_every_app_secret_has_a_kind_the_store_makes() -> None:
    for app in APPS.values():
        for name, kind in app.extra_secrets:
            assert kind in secrets_store.KINDS, (
                f"{app.name}: extra secret {name} has kind '{kind}'; use one of {sorted(secrets_store.KINDS)}"
            )


@pytest.fixture()
def rendered_contexts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """(template, context) of every render, read from templates.render and templates.render_string."""
    seen: list[tuple[str, dict[str, Any]]] = []
    render, render_string = templates.render, templates.render_string

    def spy_render(name: str, context: dict[str, Any]) -> str:
        seen.append((name, context))
        return render(name, context)

    def spy_render_string(text: str, context: dict[str, Any]) -> str:
        seen.append((text, context))
        return render_string(text, context)

    monkeypatch.setattr(templates, "render", spy_render)
    monkeypatch.setattr(templates, "render_string", spy_render_string)
    return seen


@pytest.mark.parametrize(
    "answers",
    [
        {"app": "xpro"},
        {"app": "mitxonline", "apisix": True, "profile": "devstack"},
        {"app": "xpro", "openedx_plugin_src": ["ol_social_auth"]},
        {"app": "mitxonline", "app_src": "checkout"},
    ],
    ids=["xpro", "mitxonline-apisix-devstack", "xpro-plugin-checkout", "mitxonline-live"],
)
def test_every_template_renders_from_the_one_context(
    tmp_path: Path, rendered_contexts: list[tuple[str, dict[str, Any]]], answers: dict[str, Any]
) -> None:
    for name in answers.get("openedx_plugin_src", []):
        (tmp_path / "checkouts" / name).mkdir(parents=True)
        (tmp_path / "checkouts" / name / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    answers = {**answers, "openedx_plugin_src": [str(tmp_path / "checkouts" / n) for n in answers.get("openedx_plugin_src", [])]}
    if answers.get("app_src"):
        answers = {**answers, "app_src": str(checkout_of(answers["app"], tmp_path / answers["app_src"]))}
    make_stack(tmp_path / "out", **answers)
    contexts = {id(context) for _template, context in rendered_contexts}
    assert len(contexts) == 1, "every template of a stack must render from the one context.template_context(plan)"
    rendered = {name for name, _context in rendered_contexts}
    expected = {str(p.relative_to(TEMPLATE_DIR)) for p in TEMPLATES if p.is_relative_to(TEMPLATE_DIR)}
    if not answers.get("apisix"):
        expected -= APISIX_TEMPLATES
    if not answers["openedx_plugin_src"]:
        expected -= PLUGIN_TEMPLATES
    if not answers.get("app_src"):
        expected -= LIVE_TEMPLATES
    assert expected <= rendered, f"templates not rendered: {sorted(expected - rendered)}"
