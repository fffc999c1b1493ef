"""Every fix line names a command and options that exist.

Read from the source: each fix (StackError's third argument, doctor's fail/warn fix, EngineUnreachable's fix,
and every wording.command/option/field call, which is how fix lines name commands and options) is checked against
click's own parameters, so renaming an option without its fix lines fails here."""

from __future__ import annotations

import ast
import re

import click
from helpers import ROOT

from generator.cli import cli
from generator.ports import PORTS

# Run inside the containers; their messages name no odl-stack option.
IN_CONTAINER = {"lms_side.py", "app_side.py", "side_common.py"}
SOURCES = sorted(p for p in (ROOT / "generator").rglob("*.py") if p.name not in IN_CONTAINER)
COMMANDS: dict[str, click.Command] = dict(cli.commands)
OPTIONS = {
    name: {opt for param in command.params for opt in param.opts if opt.startswith("--")} for name, command in COMMANDS.items()
}
ANY_OPTION = set().union(*OPTIONS.values())
# Options of other programs a fix line may name, each with the program it belongs to.
FOREIGN = {"--overwrite-if-exists": "cookiecutter"}
OPTION_WORD = re.compile(r"(?<![\w-])--[a-z][a-z-]*[a-z]")
# Callables whose argument at this position (or keyword `fix`) is a fix line.
FIX_ARGUMENT = {"StackError": 2, "fail": 2, "warn": 2, "EngineUnreachable": 1}


def _called(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def _fix_expressions(tree: ast.AST) -> list[ast.expr]:
    """Each fix argument, with a plain variable followed to what the enclosing function assigns it."""
    found: list[ast.expr] = []
    for func in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] + [tree]:
        assigned = {
            t.id: n.value for n in ast.walk(func) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
        }
        for call in (n for n in ast.walk(func) if isinstance(n, ast.Call) and _called(n) in FIX_ARGUMENT):
            position = FIX_ARGUMENT[_called(call)]
            fix = (
                call.args[position]
                if len(call.args) > position
                else next((k.value for k in call.keywords if k.arg == "fix"), None)
            )
            if isinstance(fix, ast.Name) and fix.id in assigned:
                fix = assigned[fix.id]
            if fix is not None:
                found.append(fix)
    return found


def _option_words(node: ast.AST) -> set[str]:
    """Option-like words in the literal text of a fix line (not in what it formats in)."""
    words: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            words.update(OPTION_WORD.findall(sub.value))
    return words


def _wording_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and getattr(node.func.value, "id", "") == "wording"
            ):
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


def test_the_walk_finds_the_fix_lines() -> None:
    fixes = [f for path in SOURCES for f in _fix_expressions(ast.parse(path.read_text()))]
    assert len(fixes) > 50
    assert {"--subnet", "--force", "--data"} <= set().union(*map(_option_words, fixes)) | {
        c.args[0].value for _, c in _wording_calls() if c.func.attr in ("option", "field") and isinstance(c.args[0], ast.Constant)
    } | {a.value for _, c in _wording_calls() if c.func.attr == "command" for a in c.args[2:] if isinstance(a, ast.Constant)}


def test_every_option_a_fix_line_names_exists() -> None:
    wrong = []
    for path in SOURCES:
        for fix in _fix_expressions(ast.parse(path.read_text())):
            for word in _option_words(fix) - ANY_OPTION - set(FOREIGN):
                wrong.append(f"{path.relative_to(ROOT)}:{fix.lineno}: {word}")
    assert wrong == []


def test_every_command_and_option_wording_names_exists() -> None:
    wrong = []
    for where, call in _wording_calls():
        kind = call.func.attr
        first = call.args[0] if call.args else None
        if not isinstance(first, ast.Constant):
            continue  # a name computed at run time (e.g. an option of generator/ports.py): checked below
        if kind == "command":
            if first.value not in COMMANDS:
                wrong.append(f"{where}: no command '{first.value}'")
                continue
            for arg in call.args[2:]:
                name = arg.elts[0] if isinstance(arg, ast.Tuple) else arg
                if isinstance(name, ast.Constant) and name.value not in OPTIONS[first.value]:
                    wrong.append(f"{where}: '{first.value}' has no option {name.value}")
        elif kind in ("option", "field") and first.value.startswith("--") and first.value not in ANY_OPTION:
            wrong.append(f"{where}: no option {first.value}")
    assert wrong == []


def test_the_port_options_of_the_ports_table_exist_on_new_and_upgrade() -> None:
    options = [port.option for port in PORTS if port.option]
    assert options == ["--lms-port", "--app-port"]
    for option in options:
        assert option in OPTIONS["new"] and option in OPTIONS["upgrade"], option


def test_a_renamed_option_would_be_caught() -> None:
    # The check itself: --apisix-port was once named by a fix line and exists on no command.
    assert "--apisix-port" not in ANY_OPTION and OPTION_WORD.findall("pass --apisix-port 9081") == ["--apisix-port"]
