"""The stack's own course: OLX that parses, whose key is the plan's, imported by a CMS one-shot."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from generator import course

CHILD_TAGS = {"course": "chapter", "chapter": "sequential", "sequential": "vertical", "vertical": "problem"}


def _plan_course(stack: Path) -> dict:
    return json.loads((stack / "plan.json").read_text())["course"]


@pytest.mark.parametrize("name", ["xpro", "mitxonline", "xpro-devstack", "mitxonline-apisix"])
def test_olx_parses_and_its_key_is_the_plans(stacks: dict[str, Path], name: str) -> None:
    stack = stacks[name]
    planned = _plan_course(stack)
    root = stack / course.STACK_DIR / course.SOURCE_DIR
    top = ET.parse(root / "course.xml").getroot()
    assert f"course-v1:{top.get('org')}+{top.get('course')}+{top.get('url_name')}" == planned["key"]
    # Follow the url_names down the tree exactly as OLX's file layout names them.
    tag, url_name = "course", top.get("url_name")
    seen = []
    while True:
        element = ET.parse(root / tag / f"{url_name}.xml").getroot()
        assert element.tag == tag and element.get("display_name")
        seen.append(tag)
        if tag not in CHILD_TAGS:
            break
        (child,) = list(element)
        assert child.tag == CHILD_TAGS[tag]
        tag, url_name = child.tag, child.get("url_name")
    assert seen == ["course", "chapter", "sequential", "vertical", "problem"]
    run = ET.parse(root / "course" / f"{planned['run']}.xml").getroot()
    assert run.get("self_paced") == "true" and run.get("start") == planned["start"] < "2026"
    policy = json.loads((root / "policies" / planned["run"] / "policy.json").read_text())
    assert policy[f"course/{planned['run']}"]["self_paced"] is True
    json.loads((root / "policies" / planned["run"] / "grading_policy.json").read_text())


def test_course_api_and_page_urls_point_at_the_stacks_lms(stacks: dict[str, Path]) -> None:
    for name, lms in (("xpro", "http://openedx.odl.local:8000"), ("xpro-devstack", "http://edx.odl.local:18000")):
        planned = _plan_course(stacks[name])
        assert planned["api_url"] == f"{lms}/api/courses/v1/courses/{planned['key']}/"
        assert planned["lms_url"] == f"{lms}/courses/{planned['key']}/"
        assert planned["home_api_url"] == f"{lms}/api/course_home/course_metadata/{planned['key']}"


def test_a_cms_one_shot_imports_the_course_before_the_bootstrap(stacks: dict[str, Path]) -> None:
    services = yaml.safe_load((stacks["mitxonline"] / "docker-compose.yml").read_text())["services"]
    job = services[course.SERVICE]
    # Built from Tutor's own cms-job: the thin image, CMS settings, Tutor's mounts.
    assert job["image"] == services["cms"]["image"] and job["environment"]["SERVICE_VARIANT"] == "cms"
    assert set(services["cms-job"]["volumes"]) < set(job["volumes"])
    assert f"./{course.STACK_DIR}:{course.MOUNT}:ro" in job["volumes"]
    assert job["restart"] == "no" and "profiles" not in job
    # Inside the stamp that skips an import this data records as done (compose.once).
    assert f"(\npython ./manage.py cms shell < {course.MOUNT}/{course.IMPORT_SCRIPT}\n)\n" in job["command"][-1]
    assert "/openedx/data/.odl-init/openedx-course-import" in job["command"][-1]
    assert job["environment"]["ODL_COURSE_KEY"] == _plan_course(stacks["mitxonline"])["key"]
    last_init = [name for name in services if name.startswith("openedx-init-")][-1]
    assert job["depends_on"][last_init] == {"condition": "service_completed_successfully"}
    assert services["bootstrap"]["depends_on"][course.SERVICE] == {"condition": "service_completed_successfully"}


def test_import_script_calls_edx_platforms_import_command_and_formats_no_values(stacks: dict[str, Path]) -> None:
    script = (stacks["xpro"] / course.STACK_DIR / course.IMPORT_SCRIPT).read_text()
    compile(script, course.IMPORT_SCRIPT, "exec")
    assert 'call_command("import", os.environ["ODL_COURSE_DATA_DIR"], os.environ["ODL_COURSE_SOURCE_DIR"])' in script
    assert "has_course(key)" in script and course.KEY not in script


def _standin_olx():
    import importlib.util

    from helpers import ROOT

    path = ROOT / "tests/standins/images/lms-standin/edx-platform/courses_standin/olx.py"
    spec = importlib.util.spec_from_file_location("standin_olx", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_lms_standin_import_reads_the_generated_olx(stacks: dict[str, Path]) -> None:
    olx = _standin_olx()
    planned = _plan_course(stacks["xpro"])
    read = olx.read_course(stacks["xpro"] / course.STACK_DIR / course.SOURCE_DIR)
    assert read.key == planned["key"] and read.self_paced and read.start == planned["start"]
    assert [b["category"] for b in read.blocks] == ["chapter", "sequential", "vertical", "problem"]


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda root: (root / "course.xml").write_text("<course org='edX' course='DemoX'"), "not well-formed XML"),
        (lambda root: (root / "course.xml").write_text("<course org='edX' course='DemoX'/>"), "without a 'url_name'"),
        (lambda root: (root / "problem" / "odl_problem.xml").unlink(), "no such file"),
    ],
    ids=["malformed-course-xml", "no-url-name", "missing-child"],
)
def test_lms_standin_import_refuses_a_broken_course(stacks: dict[str, Path], tmp_path: Path, breakage, message: str) -> None:
    import shutil

    olx = _standin_olx()
    root = tmp_path / "olx"
    shutil.copytree(stacks["xpro"] / course.STACK_DIR / course.SOURCE_DIR, root)
    breakage(root)
    with pytest.raises(olx.OLXError, match=message):
        olx.read_course(root)


def test_tutors_full_demo_course_is_offered_on_demand_only(stacks: dict[str, Path]) -> None:
    services = yaml.safe_load((stacks["xpro"] / "docker-compose.yml").read_text())["services"]
    demo = services[course.DEMO_SERVICE]
    assert demo["profiles"] == [course.DEMO_PROFILE] and demo["image"] == services["cms"]["image"]
    script = demo["command"][-1]
    # Tutor's own importdemocourse, rendered with the stack's config (OPENEDX_COMMON_VERSION).
    assert "git clone https://github.com/openedx/openedx-demo-course --branch release/verawood.1" in script
    assert 'python ./manage.py cms import ../data "$$course_root"' in script
    readme = (stacks["xpro"] / "README.md").read_text()
    assert f"docker compose run --rm {course.DEMO_SERVICE}" in readme


@pytest.mark.parametrize(
    "name, create, sync",
    [
        # mitxonline configure_instance.py:234-277 (create_courseware, sync_courserun, create_product).
        (
            "mitxonline",
            [
                "create_courseware",
                "course",
                "course-v1:edX+DemoX",
                "odl-stack Demo Course",
                "--live",
                "--self-paced",
                "--create-run",
                "Demo_Course",
            ],
            ["sync_courserun", "--run", "course-v1:edX+DemoX+Demo_Course"],
        ),
        # xPro: seed_data (its only command that makes a run), then sync_courseruns --run.
        ("xpro", ["seed_data"], ["sync_courseruns", "--run", "course-v1:edX+DemoX+Demo_Course"]),
        ("xpro-devstack", ["seed_data"], ["sync_courseruns", "--run", "course-v1:edX+DemoX+Demo_Course"]),
    ],
)
def test_the_app_makes_the_same_run_with_its_own_commands(stacks: dict[str, Path], name: str, create: list, sync: list) -> None:
    plan = json.loads((stacks[name] / "plan.json").read_text())
    app_course, lms_course = plan["app"]["course"], plan["course"]
    assert app_course["key"] == lms_course["key"] and app_course["display_name"] == lms_course["display_name"]
    assert app_course["create"] == create and app_course["sync"] == sync
    assert app_course["product"] == (["create_product", lms_course["key"], "999"] if name == "mitxonline" else [])
    assert app_course["enroll"] == ["courses.api", "create_run_enrollments"]
    # The learning MFE's course home API, on the stack's own LMS (the devstack profile's too).
    assert app_course["home_api_url"] == f"{plan['openedx']['url']}/api/course_home/course_metadata/{lms_course['key']}"
    assert app_course["start"] == lms_course["start"]
