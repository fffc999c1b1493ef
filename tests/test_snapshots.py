"""snapshots: what a snapshot holds (derived from the compose file), what a restore refuses, and that a
restore killed at any point leaves the old data or the new, never a mix.

The helper container's scripts are POSIX sh; here they run on the host with the stores as plain
directories (the engine tier runs the same scripts in the stack's permissions image).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers import checkout_of, make_stack, run_cli

from generator import snapshots, stackdir, templates
from generator.errors import StackError
from generator.snapshots import Store
from generator.stackfiles import RESTORE_JOURNAL, SNAPSHOTS_DIR

TUTOR_BINDS = {
    f"tutor/data/{d}"
    for d in (
        "cms",
        "cms-job",
        "lms",
        "lms-job",
        "meilisearch",
        "mongodb",
        "mysql",
        "mysql-job",
        "openedx-media",
        "openedx-media-private",
        "redis",
    )
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_stack(tmp_path_factory.mktemp("snap"), app="xpro")


@pytest.fixture()
def stack_dir(tmp_path: Path, rendered: Path) -> Path:
    return Path(shutil.copytree(rendered, tmp_path / "stacks" / "xpro"))


def test_a_snapshot_holds_the_named_volumes_and_the_writable_bind_mounted_directories(rendered: Path) -> None:
    found = snapshots.stores(stackdir.load(rendered))
    assert {s.volume for s in found if s.volume} == {"xpro_app-db-data", "xpro_app-static", "xpro_app-media"}
    assert {s.key for s in found if not s.volume} == TUTOR_BINDS  # not ./course, ./secrets, plan.json: read-only
    mysql = next(s for s in found if s.key == "tutor/data/mysql")
    assert "mysql" in mysql.services and mysql.file_key == "bind-tutor-data-mysql"


def test_the_apisix_stack_adds_keycloaks_database(tmp_path: Path) -> None:
    found = snapshots.stores(stackdir.load(make_stack(tmp_path, app="mitxonline", apisix=True)))
    assert "mitxonline-apisix_keycloak-db-data" in {s.volume for s in found}


def test_a_new_volume_in_a_template_is_in_the_snapshot_with_no_other_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = templates.render

    def render(name: str, context: dict) -> str:
        text = real(name, context)
        if name == "compose/app.yml.j2":
            # A new named volume and a new state directory, mounted by the app's celery.
            text = text.replace(
                "app-celery:\n", "app-celery:\n  volumes: [app-beat:/var/beat, ./state/beat:/var/beat-state]\n", 1
            )
        return text

    monkeypatch.setattr(templates, "render", render)
    stack = stackdir.load(make_stack(tmp_path, app="xpro"))
    assert "app-beat" in stack.compose["volumes"]  # declared by compose.py from the mounts
    found = {s.volume or s.key for s in snapshots.stores(stack)}
    assert {"xpro_app-beat", "state/beat"} <= found


def test_the_users_override_file_is_read_too(stack_dir: Path) -> None:
    (stack_dir / "docker-compose.override.yml").write_text("services:\n  lms:\n    volumes: [mine:/mine]\nvolumes:\n  mine: {}\n")
    assert "xpro_mine" in {s.volume for s in snapshots.stores(stackdir.load(stack_dir))}


def test_upgrade_never_touches_snapshots(stack_dir: Path) -> None:
    kept = stack_dir / SNAPSHOTS_DIR / "wired" / snapshots.MANIFEST
    kept.parent.mkdir(parents=True)
    kept.write_text("{}")
    result = run_cli("upgrade", str(stack_dir))
    assert result.returncode == 0, result.stderr
    assert kept.read_text() == "{}"


# ------------------------------------------------------------------ the scripts, on the host


def _store_dirs(root: Path) -> Path:
    return root / "stores"


class LocalRunner:
    """Runs the helper's scripts with sh on the host: store <file_key> is root/stores/<file_key>.
    `die_at`: the script's whole process group is SIGKILLed at that tool call (mv, rm, tar, ...)."""

    TOOLS = ("mv", "rm", "mkdir", "tar", "touch", "chown", "chmod", "rmdir")

    def __init__(self, root: Path, die_at: int | None = None) -> None:
        self.root, self.die_at, self.calls = root, die_at, 0
        self.bin = root / "fault-bin"
        self.count = root / "fault-count"

    def _fault_path(self) -> str:
        self.bin.mkdir(exist_ok=True)
        self.count.write_text("0")
        for tool in self.TOOLS:
            real = shutil.which(tool)
            wrapper = self.bin / tool
            wrapper.write_text(
                f'#!/bin/sh\nn=$(( $(/bin/cat "{self.count}") + 1 )); echo $n > "{self.count}"\n'
                f'if [ "$n" -eq {self.die_at} ]; then kill -9 0; fi\nexec {real} "$@"\n'
            )
            wrapper.chmod(0o755)
        return f"{self.bin}:{os.environ['PATH']}"

    def __call__(self, stack: stackdir.Stack, chosen: Sequence[Store], snapshot: Path, script: str, keys: Sequence[str]) -> None:
        env = {**os.environ, "S": str(_store_dirs(self.root)), "P": str(snapshot)}
        for key in keys:
            (_store_dirs(self.root) / key).mkdir(parents=True, exist_ok=True)
        if self.die_at is not None:
            env["PATH"] = self._fault_path()
        proc = subprocess.run(["sh", "-c", script, "sh", *keys], env=env, start_new_session=True, capture_output=True, text=True)
        if self.die_at is not None:
            self.calls += int(self.count.read_text())
            self.die_at -= int(self.count.read_text())  # the next script counts from 0 again
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, "helper", proc.stdout, proc.stderr)


def _fill(root: Path, stack: stackdir.Stack, version: str) -> None:
    for store in snapshots.stores(stack):
        d = _store_dirs(root) / store.file_key
        shutil.rmtree(d, ignore_errors=True)
        (d / "sub").mkdir(parents=True)
        (d / "data").write_text(f"{version} {store.key}")
        (d / "sub" / "nested").write_text(version)
        (d / ".hidden").write_text(version)
        if version == "old":
            (d / "only-old").write_text("x")


def _state(root: Path) -> dict[str, dict[str, str]]:
    out = {}
    for d in sorted(_store_dirs(root).iterdir()):
        out[d.name] = {str(p.relative_to(d)): p.read_text() for p in sorted(d.rglob("*")) if p.is_file()}
    return out


@pytest.fixture()
def taken(stack_dir: Path, tmp_path: Path) -> tuple[stackdir.Stack, Path, dict, dict]:
    """A stack whose stores hold "new" data, snapshot `s1` of it, then "old" data in the stores:
    (stack, data root, state of the snapshot's data, state of the data now)."""
    stack = stackdir.load(stack_dir)
    root = tmp_path / "data"
    _fill(root, stack, "new")
    snapshots.take(stack, lambda _l: None, "s1", runner=LocalRunner(root))
    new = _state(root)
    _fill(root, stack, "old")
    return stack, root, new, _state(root)


def test_snapshot_then_restore_brings_the_data_back(taken: tuple) -> None:
    stack, root, new, old = taken
    lines: list[str] = []
    assert snapshots.restore(stack, lines.append, "s1", confirm=lambda _q: True, runner=LocalRunner(root)) == 0
    assert _state(root) == new != old
    assert not (stack.path / RESTORE_JOURNAL).exists()
    assert any("tutor/data/mysql/" in line for line in lines)  # what will be lost was listed
    manifest = json.loads((stack.path / SNAPSHOTS_DIR / "s1" / snapshots.MANIFEST).read_text())
    assert manifest["layout"] == snapshots.LAYOUT and manifest["images"]["lms"] == "odl-stack/openedx-ol:22.0.3"
    assert all(value not in json.dumps(manifest) for value in stack.secrets.values())  # a hash, never the values


def test_restore_asks_and_a_no_changes_nothing(taken: tuple) -> None:
    stack, root, _new, old = taken
    lines: list[str] = []
    assert snapshots.restore(stack, lines.append, "s1", confirm=lambda _q: False, runner=LocalRunner(root)) == 0
    assert _state(root) == old and "Nothing replaced." in lines


def test_restore_refuses_other_secrets_with_the_fix(taken: tuple) -> None:
    stack, root, _new, old = taken
    stack.secrets["app_db_password"] = "another"
    with pytest.raises(StackError, match="other secrets") as caught:
        snapshots.restore(stack, lambda _l: None, "s1", confirm=lambda _q: True, runner=LocalRunner(root))
    assert "secrets/secrets.json" in str(caught.value)
    assert _state(root) == old


def test_restore_refuses_another_data_layout(taken: tuple) -> None:
    stack, root, _new, old = taken
    manifest_file = stack.path / SNAPSHOTS_DIR / "s1" / snapshots.MANIFEST
    manifest = json.loads(manifest_file.read_text())
    manifest.update(layout=snapshots.LAYOUT + 1, generator_version="9.9")
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(StackError, match=f"data layout {snapshots.LAYOUT + 1}.*odl-stack 9.9"):
        snapshots.restore(stack, lambda _l: None, "s1", confirm=lambda _q: True, runner=LocalRunner(root))
    assert _state(root) == old


def test_a_snapshot_name_is_checked_and_never_overwritten(taken: tuple) -> None:
    stack, root, _new, _old = taken
    with pytest.raises(StackError, match="exists"):
        snapshots.take(stack, lambda _l: None, "s1", runner=LocalRunner(root))
    with pytest.raises(StackError, match="not a snapshot name"):
        snapshots.take(stack, lambda _l: None, "../x", runner=LocalRunner(root))


@pytest.fixture()
def few_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three stores (two volumes, one directory) keep the kill loop short; the scripts treat each alike."""
    real = snapshots.stores
    monkeypatch.setattr(
        snapshots, "stores", lambda stack: [s for s in real(stack) if s.key in ("app-db-data", "app-media", "tutor/data/mysql")]
    )


def test_a_restore_killed_at_every_step_leaves_the_old_data_or_the_new(few_stores: None, taken: tuple) -> None:
    stack, root, new, old = taken
    outcomes = set()
    die_at = 1
    while True:
        _fill(root, stack, "old")
        runner = LocalRunner(root, die_at=die_at)
        try:
            snapshots.restore(stack, lambda _l: None, "s1", confirm=lambda _q: True, runner=runner)
            finished = True
        except subprocess.CalledProcessError:
            finished = False
        # Then the next command recovers (`up`, `snapshot` and `restore` all begin with it).
        snapshots.recover(stack, lambda _l: None, LocalRunner(root))
        state = _state(root)
        assert state in (old, new), f"killed at tool call {die_at}: a mix"
        assert not (stack.path / RESTORE_JOURNAL).exists()
        outcomes.add("new" if state == new else "old")
        if finished:
            break
        die_at += 1
    assert outcomes == {"old", "new"} and die_at > 20  # killed while staging and while swapping


def test_cli_restore_of_a_missing_snapshot_names_the_ones_there(stack_dir: Path) -> None:
    result = run_cli("restore", str(stack_dir), "nope", "--yes")
    assert result.returncode == 2
    assert "no snapshot nope" in result.stderr and "snapshots" in result.stderr


def test_cli_snapshots_lists_name_time_size_version_and_images(taken: tuple) -> None:
    stack, _root, _new, _old = taken
    result = run_cli("snapshots", str(stack.path))
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.strip().startswith("s1 "))
    assert "as the stack's now" in row and "KiB" in row or " B " in row
    assert "odl-stack/openedx-ol:22.0.3" in result.stdout


def test_make_restore_needs_a_name() -> None:
    result = subprocess.run(
        ["make", "-s", "restore", "STACK=xpro"], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1]
    )
    assert result.returncode == 2 and "NAME is required" in result.stderr


# ------------------------------------------------------------------ init one-shots skip what is done


def _once(tmp_path: Path, image: str, script: str) -> subprocess.CompletedProcess[str]:
    from generator import compose

    text = compose.once("openedx-init-4-lms", image, script, data_dir=str(tmp_path)).replace("$$", "$")
    return subprocess.run(["sh", "-e", "-c", text], capture_output=True, text=True)


def test_an_init_one_shot_runs_once_per_image_and_script_on_its_data(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    script = f"echo x >> {ran}"
    assert _once(tmp_path, "img:1", script).returncode == 0 and ran.read_text() == "x\n"
    second = _once(tmp_path, "img:1", script)
    assert second.returncode == 0 and "skipped" in second.stdout and ran.read_text() == "x\n"  # recorded as done
    assert _once(tmp_path, "img:2", script).returncode == 0 and ran.read_text() == "x\nx\n"  # another image: again
    shutil.rmtree(tmp_path / ".odl-init")  # the data gone (reset --data): again
    assert _once(tmp_path, "img:2", script).returncode == 0 and ran.read_text() == "x\nx\nx\n"


def test_a_failed_init_records_nothing(tmp_path: Path) -> None:
    assert _once(tmp_path, "img:1", "exit 3").returncode == 3
    assert not (tmp_path / ".odl-init").exists()
    assert _once(tmp_path, "img:1", "echo early; exit\necho never").returncode == 0  # Tutor's scripts `exit` early
    assert (tmp_path / ".odl-init" / "openedx-init-4-lms").exists()


def test_from_a_checkout_the_apps_init_always_runs(tmp_path: Path) -> None:
    src = checkout_of("xpro", tmp_path / "src")  # what --app-src accepts as a checkout of the app
    stack = stackdir.load(make_stack(tmp_path / "out", app="xpro", app_src=str(src)))
    assert ".odl-init" not in " ".join(stack.compose["services"]["app-init"]["command"])
    assert ".odl-init" in " ".join(stack.compose["services"]["openedx-init-4-lms"]["command"])
