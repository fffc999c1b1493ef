"""--openedx-plugin-src: checkouts mounted by Tutor's own MOUNTS, installed editable, reloaded; the refusals."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import compose_binary, make_stack, run_cli, tree
from test_cli_errors import assert_refused

from generator.new import answers_from_cookiecutter, spec_from_answers

OPENEDX_CODE_SERVICES = ("lms", "cms", "lms-worker", "cms-worker")


def _checkout(root: Path, name: str, marker: str = "pyproject.toml") -> Path:
    path = root / name
    (path / name.replace("-", "_")).mkdir(parents=True)
    (path / marker).write_text(
        "[project]\nname = 'x'\n" if marker == "pyproject.toml" else "from setuptools import setup\nsetup()\n"
    )
    return path


@pytest.fixture(scope="module")
def plugin_stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plugins")
    social = _checkout(root / "open-edx-plugins" / "src", "ol_social_auth")
    companion = _checkout(root, "openedx-companion-auth", "setup.py")
    return make_stack(root / "stacks", app="xpro", openedx_plugin_src=[str(social), str(companion)])


def _services(stack: Path) -> dict:
    return yaml.safe_load((stack / "docker-compose.yml").read_text())["services"]


def test_each_checkout_is_mounted_in_lms_cms_and_their_workers(plugin_stack: Path) -> None:
    services = _services(plugin_stack)
    for name in OPENEDX_CODE_SERVICES + ("lms-job", "cms-job"):
        volumes = services[name]["volumes"]
        # Tutor's own mount lines (`- host:/mnt/<name>:z`), with the host path relative to the stack.
        assert "../../open-edx-plugins/src/ol_social_auth:/mnt/ol_social_auth:z" in volumes, (name, volumes)
        assert "../../openedx-companion-auth:/mnt/openedx-companion-auth:z" in volumes, (name, volumes)
    for name in ("mysql", "caddy", "app-web"):
        assert not any("/mnt/" in v for v in services[name].get("volumes", [])), name


def test_the_stack_records_relative_paths_and_no_absolute_host_path(plugin_stack: Path) -> None:
    answers = json.loads((plugin_stack / "stack.json").read_text())["answers"]
    assert answers["openedx_plugin_src"] == ["../../open-edx-plugins/src/ol_social_auth", "../../openedx-companion-auth"]
    root = str(plugin_stack.parent.parent)
    for relative, data in tree(plugin_stack).items():
        text = data.decode(errors="replace")
        assert root not in text and "/odl-stack-plugin-src" not in text, relative
    assert "MOUNTS" not in yaml.safe_load((plugin_stack / "tutor/config.yml").read_text())


def test_the_thin_image_installs_the_mounts_editable_at_start(plugin_stack: Path) -> None:
    dockerfile = (plugin_stack / "images/openedx/Dockerfile").read_text()
    assert 'ENTRYPOINT ["sh", "/openedx/odl-editable-mounts.sh"]' in dockerfile
    assert 'CMD ["uwsgi", "/openedx/uwsgi.ini"]' in dockerfile  # Tutor's image CMD, restated
    assert "hatchling==" in dockerfile and "ENV PIP_NO_INDEX=1" in dockerfile
    script = (plugin_stack / "images/openedx/editable-mounts.sh").read_text()
    assert "--no-deps --editable /mnt/ol_social_auth" in script and "--no-deps --editable /mnt/openedx-companion-auth" in script
    assert script.rstrip().endswith('exec "$@"')
    services = _services(plugin_stack)
    images = {services[name]["image"] for name in OPENEDX_CODE_SERVICES}
    assert len(images) == 1 and images.pop().startswith("odl-stack/openedx-ol:22.0.3-src-")


def test_uwsgi_reloads_on_change(plugin_stack: Path) -> None:
    ini = (plugin_stack / "tutor/env/apps/openedx/uwsgi.ini").read_text()
    assert "\npy-autoreload = 2\n" in ini


def test_compose_accepts_the_plugin_stack(plugin_stack: Path) -> None:
    result = subprocess.run([str(compose_binary()), "config", "-q"], cwd=plugin_stack, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_same_checkouts_twice_give_byte_identical_stacks(tmp_path: Path) -> None:
    social = _checkout(tmp_path, "ol_social_auth")
    stack = make_stack(tmp_path / "out", openedx_plugin_src=[str(social)])
    first = tree(stack)
    make_stack(tmp_path / "out", openedx_plugin_src=[str(social)], force=True)
    assert tree(stack) == first


def test_a_stack_without_checkouts_has_none_of_it(tmp_path: Path) -> None:
    stack = make_stack(tmp_path / "out")
    assert "openedx_plugin_src" not in json.loads((stack / "stack.json").read_text())["answers"]
    assert "py-autoreload" not in (stack / "tutor/env/apps/openedx/uwsgi.ini").read_text()
    assert not (stack / "images/openedx/editable-mounts.sh").exists()


def test_generation_never_writes_into_the_checkout(tmp_path: Path) -> None:
    social = _checkout(tmp_path, "ol_social_auth")
    before = tree(social)
    make_stack(tmp_path / "out", openedx_plugin_src=[str(social)])
    assert tree(social) == before


def test_upgrade_and_cookiecutter_mean_the_same_checkouts(tmp_path: Path) -> None:
    social = _checkout(tmp_path / "plugins", "ol_social_auth")
    stack = make_stack(tmp_path / "out", openedx_plugin_src=[str(social)])
    recorded = json.loads((stack / "stack.json").read_text())["answers"]
    spec = spec_from_answers(recorded)
    assert spec.openedx_plugin_src == ("../../plugins/ol_social_auth",)
    values = {"app": "xpro", "apisix": "no", "openedx_plugin_src": "../plugins/ol_social_auth"}
    assert (
        spec_from_answers(answers_from_cookiecutter(values, tmp_path / "out"), stack).openedx_plugin_src
        == spec.openedx_plugin_src
    )
    result = run_cli("upgrade", str(stack))
    assert result.returncode == 0, result.stderr
    assert "no file changed" in result.stdout


def test_make_passes_each_checkout(tmp_path: Path) -> None:
    from test_make_passthrough import ROOT

    out = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "stack", "APP=xpro", "OPENEDX_PLUGIN_SRC=../a ../b c"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--openedx-plugin-src '../a' --openedx-plugin-src '../b' --openedx-plugin-src 'c'" in out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "missing", "does not exist"),
        (lambda root: (root / "notes").mkdir() or root / "notes", "not a Python package checkout"),
        (lambda root: _checkout(root, "edx-platform", "setup.py"), "not supported"),
    ],
    ids=["missing", "not-a-package", "openedx-platform"],
)
def test_bad_checkouts_are_refused(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    before = tree(tmp_path)
    result = run_cli("new", "--app", "xpro", "--openedx-plugin-src", str(path), "--out", str(tmp_path / "out"))
    assert_refused(result, "--openedx-plugin-src", tmp_path, before)
    assert message in result.stderr


def test_two_checkouts_with_one_name_are_refused(tmp_path: Path) -> None:
    one, two = _checkout(tmp_path / "a", "ol_social_auth"), _checkout(tmp_path / "b", "ol_social_auth")
    before = tree(tmp_path)
    result = run_cli(
        "new", "--app", "xpro", "--openedx-plugin-src", str(one), "--openedx-plugin-src", str(two), "--out", str(tmp_path / "out")
    )
    assert_refused(result, "--openedx-plugin-src", tmp_path, before)
    assert "same directory name 'ol_social_auth'" in result.stderr


def test_make_names_its_variable_in_the_refusal(tmp_path: Path) -> None:
    from test_make_passthrough import ROOT

    result = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT),
            "stack",
            "APP=xpro",
            f"OUT={tmp_path / 'out'}",
            f"OPENEDX_PLUGIN_SRC={tmp_path / 'gone'}",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("Error: OPENEDX_PLUGIN_SRC") and not (tmp_path / "out").exists(), result.stderr


def test_compose_watch_restarts_the_workers_on_a_change(plugin_stack: Path) -> None:
    from generator.doctor import checks

    services = _services(plugin_stack)
    for name in ("lms-worker", "cms-worker"):
        rules = services[name]["develop"]["watch"]
        assert [(r["path"], r["action"]) for r in rules] == [
            ("../../open-edx-plugins/src/ol_social_auth", "restart"),
            ("../../openedx-companion-auth", "restart"),
        ]
    assert "develop" not in services["lms"] and "develop" not in services["cms"]  # uWSGI reloads these itself
    features = checks.compose_features(yaml.safe_load((plugin_stack / "docker-compose.yml").read_text()))
    assert features["develop.watch restart"] == (2, 32, 0)
    finding = checks.check_compose_version("Docker Compose version v2.24.0", features)
    assert finding.failed and "older than 2.32.0" in finding.message and "develop.watch restart" in finding.message


def test_doctor_fails_when_a_checkout_is_gone(tmp_path: Path) -> None:
    import shutil

    from generator import stackdir
    from generator.doctor import checks

    social = _checkout(tmp_path, "ol_social_auth")
    stack = make_stack(tmp_path / "out", openedx_plugin_src=[str(social)])
    loaded = stackdir.load(stack)
    (found,) = checks.check_plugin_checkouts(loaded.path, loaded.answers["openedx_plugin_src"])
    assert not found.failed, found
    shutil.rmtree(social)
    (found,) = checks.check_plugin_checkouts(loaded.path, loaded.answers["openedx_plugin_src"])
    assert found.failed and "../../ol_social_auth" in found.message and found.fix, found


def test_the_stack_readme_names_the_checkouts_and_what_reloads(plugin_stack: Path) -> None:
    readme = (plugin_stack / "README.md").read_text()
    assert "## Open edX plugins from checkouts" in readme and "`../../openedx-companion-auth`" in readme
    assert "py-autoreload" in readme and "docker compose restart lms-worker cms-worker" in readme


def test_stacks_with_checkouts_never_share_a_thin_image_tag() -> None:
    from generator.plan import make_plan
    from generator.spec import make_spec

    def tag(**answers) -> str:
        return make_plan(make_spec("xpro", **answers)).images["openedx"]

    published = tag()
    tags = {
        tag(openedx_plugin_src=("../a/ol_social_auth",)),
        tag(openedx_plugin_src=("../b/ol_social_auth",)),
        tag(name="other", openedx_plugin_src=("../a/ol_social_auth",)),
    }
    assert published == "odl-stack/openedx-ol:22.0.3" and len(tags) == 3 and published not in tags
