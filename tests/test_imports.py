"""The module graph runs one way: cli -> upgrade -> new -> lifecycle -> doctor (its package: diagnosis -> formatting
-> checks) -> stackdir -> leaf modules (enginefacts, dockercli, ...).

Read from the source (every import, module-level or inside a function), so a late import cannot hide a cycle;
and run, so reading a stack back is seen not to load Tutor."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from helpers import ROOT, make_stack

PACKAGE = ROOT / "generator"
# Operating a stack, from the top down: each may import those after it, never those before it.
LAYERS = ("cli", "upgrade", "new", "lifecycle", "doctor", "doctor.diagnosis", "doctor.formatting", "doctor.checks", "stackdir")
# Leaf modules: they import nothing of odl-stack's but these.
LEAVES = {"stackfiles": set(), "errors": set(), "dockercli": {"errors"}, "enginefacts": {"dockercli"}, "ports": set()}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__") or "__init__"


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The odl-stack modules `name` imports, by name relative to the package (e.g. "bootstrap.plan")."""
    package = name.rsplit(".", 1)[0] if "." in name else ""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name.removeprefix("generator.") for alias in node.names if alias.name.startswith("generator.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative, inside generator.bootstrap
                base = ".".join(filter(None, [package, node.module]))
            elif node.module == "generator":
                base = ""
            elif node.module and node.module.startswith("generator."):
                base = node.module.removeprefix("generator.")
            else:
                continue
            # `from generator import wording` names a module; `from generator.plan import make_plan` a name in one.
            targets = [f"{base}.{a.name}".strip(".") for a in node.names if f"{base}.{a.name}".strip(".") in MODULES] or [base]
        else:
            continue
        found.update(t for t in targets if t and t in MODULES and t != name)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def test_the_graph_is_read_from_the_imports() -> None:
    # Guards the reader itself: a module-level, a function-level and a relative import.
    assert {"stackdir", "stackfiles"} <= GRAPH["datastamp"]
    assert "lifecycle" in GRAPH["cli"]  # imported inside the commands
    assert "bootstrap.engine" in GRAPH["bootstrap.sides"]


def test_no_two_modules_import_each_other() -> None:
    pairs = sorted({tuple(sorted((a, b))) for a, targets in GRAPH.items() for b in targets if a in GRAPH[b]})
    assert pairs == []


def test_the_operating_modules_import_only_downwards() -> None:
    upward = [(low, high) for i, high in enumerate(LAYERS) for low in LAYERS[i + 1 :] if high in GRAPH[low]]
    assert upward == []


def test_answers_become_a_spec_in_new_only() -> None:
    """The CLI, both cookiecutter hooks and upgrade hand their answers to new.spec_from_answers."""
    hooks = sorted((ROOT / "cookiecutter-template" / "hooks").glob("*.py"))
    callers = [p for p in list(MODULES.values()) + hooks if "make_spec(" in p.read_text() and p.name not in ("spec.py", "new.py")]
    assert callers == []
    assert all("from generator.new import" in hook.read_text() for hook in hooks) and len(hooks) == 2
    assert "new" in GRAPH["cli"] and "new" in GRAPH["upgrade"]


def test_leaf_modules_import_nothing_above_them() -> None:
    assert {name: GRAPH[name] - allowed for name, allowed in LEAVES.items()} == {name: set() for name in LEAVES}


def test_new_reads_the_engine_without_doctor() -> None:
    """new picks a free subnet from the engine's networks through the leaf, not through doctor."""
    assert "enginefacts" in GRAPH["new"]
    assert [m for m in GRAPH["new"] if m.split(".")[0] == "doctor"] == []
    assert "enginefacts" in GRAPH["doctor.diagnosis"]


def test_the_data_stamp_lives_outside_doctor() -> None:
    """doctor reads the stamp (stale data) and lifecycle writes it: neither owns it."""
    assert "write_data_stamp" in (PACKAGE / "datastamp.py").read_text()
    assert not any("DATA_STAMP" in p.read_text() for p in (PACKAGE / "doctor").glob("*.py"))
    assert "datastamp" in GRAPH["doctor.checks"] and "datastamp" in GRAPH["lifecycle"]


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('tutor', 'tutormfe')))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return list(ast.literal_eval(proc.stdout.strip().splitlines()[-1]))


def test_reading_a_stack_back_does_not_load_tutor() -> None:
    assert _loaded_after("import generator.stackdir") == []
    assert _loaded_after("import generator.doctor, generator.enginefacts, generator.lifecycle, generator.upgrade") == []


def test_odl_stack_status_does_not_load_tutor(tmp_path: Path) -> None:
    stack = make_stack(tmp_path)
    # The engine is unreachable here (conftest points DOCKER_HOST nowhere): status fails after reading the stack.
    run_status = (
        "import sys\nfrom generator.cli import main\n"
        f"sys.argv = ['odl-stack', 'status', {str(stack)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert _loaded_after(run_status) == []
    # ...and the probe can see Tutor when it is loaded.
    assert "tutor" in _loaded_after("import generator.render")
