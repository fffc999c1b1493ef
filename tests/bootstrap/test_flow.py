"""The whole bootstrap through its entry point, with a fake Docker client whose LMS and app-web
"containers" run the real side scripts in the test venvs (real Django, real DOT)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bootstrap_helpers import APP_SESSION_COOKIES, PROJECTS, course_on_fake_lms, side_env, stack_plan
from fake_lms import FakeLMS
from fake_mailpit import FakeMailpit
from fakedocker import DjangoContainer, FakeClient, FakeContainer

from generator.bootstrap import probes
from generator.bootstrap.__main__ import main
from generator.bootstrap.probes import Answer
from generator.bootstrap.sides import LAUNCHER


class Stack:
    def __init__(self, tmp: Path, dbs: dict[str, Path], app: str = "mitxonline", **answers: Any) -> None:
        self.plan = stack_plan(app, tmp, **answers)
        # The learner step's LMS calls (from the app "container" and the service-worker account
        # read) go to a fake LMS on loopback.
        app_db = dbs["app-mitxonline" if app == "mitxonline" else "app"]
        cc = (self.plan.secret("courses_client_id"), self.plan.secret("courses_client_secret")) if app == "mitxonline" else None
        self.fake = FakeLMS(app_db, self.plan.secret("service_worker_token"), cc, app_cookie=APP_SESSION_COOKIES[app]).__enter__()
        learner = self.plan.data["app"]["learner"]
        learner["lms_url"] = self.fake.url
        # Both sides' mail goes to files that a fake of Mailpit's API reads.
        self.mail_dir = tmp / "mail"
        self.inbox = FakeMailpit(self.mail_dir, self.plan.data["mail"]["url"])
        app_env = {
            "ODL_TEST_LMS_URL": self.fake.url,
            "ODL_TEST_APP_URL": self.fake.url,
            "ODL_TEST_SERVICE_WORKER_TOKEN": self.plan.secret("service_worker_token"),
            "ODL_TEST_MAIL_DIR": str(self.mail_dir),
        }
        course_on_fake_lms(self.plan.data, self.fake)
        if cc:
            learner["client_credentials"]["token_url"] = self.fake.url + "/oauth2/access_token"
            app_env.update(ODL_TEST_CC_ID=cc[0], ODL_TEST_CC_SECRET=cc[1])
        self.dir = tmp / "stack"
        (self.dir / "secrets").mkdir(parents=True)
        (self.dir / "plan.json").write_text(json.dumps(self.plan.data))
        (self.dir / "secrets" / "secrets.json").write_text(json.dumps(self.plan.secrets))
        project = self.plan.project
        ox, ap = self.plan.openedx, self.plan.app
        self.lms = DjangoContainer(
            f"{project}-lms-1",
            project,
            "lms",
            root=tmp / "lms-fs",
            project_dir=PROJECTS["lms"],
            env=lambda extra: side_env("lms", dbs["lms"], {"ODL_TEST_MAIL_DIR": str(self.mail_dir), **extra}),
        )
        self.app = DjangoContainer(
            f"{project}-app-web-1",
            project,
            "app-web",
            root=tmp / "app-fs",
            project_dir=PROJECTS["app"],
            env=lambda extra: side_env("app", app_db, {**app_env, **extra}, app=app),
        )
        self.lms.probe_answers = {url: "HTTP 200" for url in ap["checks"].values()}
        self.app.probe_answers = {ox["heartbeat_url"]: "HTTP 200"}
        self.client = FakeClient([self.lms, self.app])
        front = ox["front"]
        self.http: dict[str, Answer] = {
            ox["heartbeat_url"]: Answer(200),
            ap["health_url"]: Answer(200),
            front["studio_heartbeat_url"]: Answer(200),
            front["learning_mfe_url"] + "/": Answer(200),
        }
        self.client_made = 0
        self.course_imported = True

    def get(self, url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> Answer:
        sw = self.plan.openedx["service_worker"]
        if url == self.plan.openedx["api_check_url"]:
            if (headers or {}).get("Authorization") == "Bearer " + self.plan.secret(sw["token_secret"]):
                return Answer(200, body=json.dumps({"username": sw["username"]}).encode())
            return Answer(401, body=b'{"detail": "Invalid token"}')
        course = self.plan.data["course"]
        if url == course["api_url"] and self.course_imported:
            return Answer(200, body=json.dumps({"id": course["key"], "name": course["display_name"]}).encode())
        lms = self.plan.openedx["url"]
        if url.startswith((lms + "/api/user/v1/accounts/", lms + "/api/enrollment/v1/enrollments")):
            return probes.get(self.fake.url + url[len(self.plan.openedx["url"]) :], headers, timeout)
        return self.http.get(url, Answer(None, error="URLError: connection refused"))

    def close(self) -> None:
        self.fake.__exit__(None, None, None)

    def factory(self) -> Any:
        self.client_made += 1
        return self.client

    def run(self, *args: str, environ: dict[str, str] | None = None) -> tuple[int, str]:
        out = io.StringIO()
        env = {"ODL_COMPOSE_PROJECT": self.plan.project} if environ is None else environ
        code = main(
            [*args, "--plan", str(self.dir / "plan.json"), "--stack", str(self.dir)], self.factory, env, out, self.get, self.inbox
        )
        text = out.getvalue()
        for name, value in self.plan.secrets.items():
            assert value not in text, f"secret {name} printed"
        return code, text


@pytest.fixture
def stack(tmp_path: Path, dbs: dict[str, Path]) -> Iterator[Stack]:
    made = Stack(tmp_path, dbs)
    yield made
    made.close()


def _manage_calls(container: FakeContainer) -> list[dict[str, Any]]:
    return [c for c in container.calls if c.get("cmd", [])[-3:-1] == ["shell", "-c"]]


def test_run_wires_both_sides_with_two_django_launches_then_rerun_writes_nothing(stack: Stack) -> None:
    code, text = stack.run("run")
    assert code == 0, text
    assert "Django launches: 2 (app 1, lms 1)" in text
    assert "12 created, 1 updated, 1 unchanged (changes written)" in text  # edx-oauth-app: made by the app's migration
    assert "✗" not in text and "All 24 checks passed." in text, text
    assert (
        "  ✓ Open edX's password-reset mail (edx-platform's send_password_reset_email_for_user) to edx@example.org arrives in the inbox http://mail.mitxonline.odl.local:8015 (read through its API, then deleted)"
        in text
    )
    assert (
        "  ✓ MIT app's password-reset mail (the app's mail.api, template password_reset) to testlearner@mitxonline.odl.local arrives"
        in text
    )
    assert stack.inbox.messages() == [], "the checklist leaves its mail in the inbox"
    key = stack.plan.data["course"]["key"]
    assert f"  created   app course run {key} (create_courseware, then create_product, then sync_courserun)" in text
    assert f"  created   app enrollment of testlearner in {key} (by courses.api.create_run_enrollments)" in text
    assert f"  ✓ Enrollment of 'testlearner' in {key} exists in the MIT app and in Open edX" in text
    assert stack.fake.enrollments == {("testlearner", key): {"mode": "audit", "is_active": True}}
    assert "Course steps in the app's process (run, product, sync, enrollment): " in text
    assert (
        "  ✓ A fresh session through http://openedx.odl.local:8000/auth/login/ol-oauth2/?auth_entry=login as 'testlearner' ends on the LMS dashboard"
        in text
    )
    assert "Credentials: secrets/credentials.txt in the stack directory" in text
    for container, workdir, manage in (
        (stack.lms, "/openedx/edx-platform", ["./manage.py", "lms"]),
        (stack.app, "/src", ["./manage.py"]),
    ):
        (call,) = _manage_calls(container)
        # Fixed launcher, data only as a file path in the environment: no value in the command.
        assert call["cmd"] == [*manage, "shell", "-c", LAUNCHER] and call["workdir"] == workdir
        assert set(call["environment"]) == {"ODL_BOOTSTRAP_SCRIPT", "ODL_BOOTSTRAP_DATA"}
        assert container.leftovers() == [], "temp files with secrets left in the container"

    code, text = stack.run("run")
    assert code == 0, text
    assert "0 created, 0 updated, 14 unchanged (nothing written)" in text
    assert "Django launches: 2 (app 1, lms 1)" in text


def test_a_failed_optional_init_step_is_a_warning_not_a_failure(stack: Stack) -> None:
    project = stack.plan.project
    init = FakeContainer(f"{project}-app-init-1", project, "app-init", status="exited")
    init.log = b"Migrations applied.\nodl-stack: optional step failed: ./manage.py configure_wagtail\n"
    stack.client.containers.items.append(init)
    code, text = stack.run("run")
    assert code == 0, text
    assert (
        "  ⚠ MIT app optional init step `./manage.py configure_wagtail`: failed in 'app-init' (see its log); the app runs without it"
        in text
    )
    assert "All 24 checks passed. 1 ⚠ above: optional, the stack works without." in text


def test_verify_alone_reports_missing_records_and_exits_1(stack: Stack) -> None:
    code, text = stack.run("verify")
    assert code == 1
    assert "✗ Open edX OAuth app 'mitxonline-oauth-app' matches the MIT app's OPENEDX_API_CLIENT_ID/SECRET: missing" in text
    assert (
        "  ✓ Service-worker token accepted by http://openedx.odl.local:8000/api/user/v1/me" in text
    )  # the Bearer header was right
    assert "Django launches: 2" in text and "created" not in text
    assert stack.run("run")[0] == 0
    code, text = stack.run("verify")
    assert code == 0 and "All 24 checks passed." in text


def test_missing_course_fails_its_line_and_names_the_import_log(stack: Stack) -> None:
    stack.course_imported = False
    stack.fake.courses.clear()
    code, text = stack.run("run")
    assert code == 1
    course = stack.plan.data["course"]
    assert f"✗ Course {course['key']} exists in Open edX ({course['api_url']})" in text
    assert "docker compose logs openedx-course-import" in text
    # The app's sync found nothing on the LMS: the run the app made is not the LMS's course.
    assert (
        f"✗ MIT app course run {course['key']} made by the app's own create_courseware: after sync_courserun --run {course['key']} the run has title 'odl-stack Demo Course', start None and enrollment end None"
        in text
    )
    assert stack.fake.enrollments == {}


def test_an_enrollment_the_lms_lost_is_made_again_by_the_apps_function(stack: Stack) -> None:
    assert stack.run("run")[0] == 0
    key = stack.plan.data["course"]["key"]
    stack.fake.enrollments.clear()  # e.g. the LMS's database was reset
    code, text = stack.run("run")
    assert code == 0, text
    assert (
        f"  updated   app enrollment of testlearner in {key} (by courses.api.create_run_enrollments) (missing on the LMS)" in text
    )
    assert stack.fake.enrollments == {("testlearner", key): {"mode": "audit", "is_active": True}}
    assert "0 created, 0 updated, 14 unchanged" in stack.run("run")[1]


def test_a_run_deleted_in_the_app_comes_back_by_create_courseware_courserun(stack: Stack, dbs: dict[str, Path]) -> None:
    """The course stays, its run goes (e.g. deleted in the admin): `create_courseware course`
    would exit -1 for the existing course (create_courseware.py:100-106); the `courserun` type
    (:477) makes just the run, and the learner is enrolled again."""
    assert stack.run("run")[0] == 0
    key = stack.plan.data["course"]["key"]
    subprocess.run(
        [
            "./manage.py",
            "shell",
            "-c",
            f"from courses.models import CourseRun; CourseRun.objects.filter(courseware_id={key!r}).delete()",
        ],
        cwd=PROJECTS["app"],
        env=side_env("app", dbs["app-mitxonline"], app="mitxonline"),
        check=True,
        capture_output=True,
    )
    code, text = stack.run("run")
    assert code == 0 and "✗" not in text, text
    assert f"  created   app course run {key} (create_courseware, then create_product, then sync_courserun)" in text
    assert f"  created   app enrollment of testlearner in {key} (by courses.api.create_run_enrollments)" in text
    assert "0 created, 0 updated, 14 unchanged" in stack.run("run")[1]


def test_the_course_line_is_the_learning_mfes_course_home_api_in_the_learners_session(stack: Stack) -> None:
    """Not the LMS page /courses/<key>/ (course_about redirects to a static catalog MFE page on the
    real LMS): CourseHomeMetadataView in the learner's session must say enrolled, access granted."""
    course = stack.plan.data["app"]["course"]
    line = f"The learning MFE's course home API {course['home_api_url']} answers for 'testlearner': enrolled, access granted"
    code, text = stack.run("run")
    assert code == 0 and f"✓ {line}" in text, text
    stack.fake.enrollments[("testlearner", course["key"])]["is_active"] = False  # e.g. unenrolled on the LMS
    code, text = stack.run("verify")
    assert code == 1
    assert (
        f"✗ {line}: is_enrolled is False; course_access.has_access is False; course_access.error_code 'enrollment_required'"
    ) in text, text


def test_xpro_makes_the_run_with_seed_data_syncs_it_and_enrolls_through_the_audit_fallback(
    tmp_path: Path, dbs: dict[str, Path]
) -> None:
    stack = Stack(tmp_path, dbs, "xpro")
    try:
        code, text = stack.run("run")
        key = stack.plan.data["course"]["key"]
        assert code == 0, text
        assert f"  created   app course run {key} (seed_data, then sync_courseruns)" in text
        assert "✗" not in text and "All 23 checks passed." in text  # no client_credentials line for xPro
        # xPro asks for no-id-professional first; the LMS offers only audit (courseware/api.py:623-690).
        assert [c for c in stack.fake.calls if c.startswith("POST /api/enrollment")] == [
            "POST /api/enrollment/v1/enrollment no-id-professional",
            "POST /api/enrollment/v1/enrollment audit",
        ]
        code, text = stack.run("run")
        assert code == 0 and "0 created, 0 updated, 13 unchanged (nothing written)" in text, text
    finally:
        stack.close()


XPRO_ROW_NOT_ENROLLED = """
from courses.models import CourseRunEnrollment
print("ROWS=%d" % CourseRunEnrollment.all_objects.filter(active=True).update(edx_enrolled=False))
"""


def test_xpro_course_step_on_xpros_rules_converges(tmp_path: Path, dbs: dict[str, Path]) -> None:
    """Issue 23 A on xPro's own rules (the stand-in as xPro: no is_self_paced, no enrollment_mode,
    CourseRun.save() refusing a past start with no enrollment end, create_run_enrollments leaving
    an active row's edx_enrolled alone): the run is made, synced with the LMS's dates (the
    enrollment end far ahead is what lets xPro save it), the learner enrolled; an active row the
    app thinks not enrolled in Open edX is mended in one run, and the next writes nothing."""
    stack = Stack(tmp_path, dbs, "xpro")
    try:
        code, text = stack.run("run")
        key = stack.plan.data["course"]["key"]
        assert code == 0 and "✗" not in text, text
        assert "course step failed" not in text and "AttributeError" not in text
        out = subprocess.run(
            ["./manage.py", "shell", "-c", XPRO_ROW_NOT_ENROLLED],
            cwd=PROJECTS["app"],
            env=side_env("app", dbs["app"], app="xpro"),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "ROWS=1" in out, out
        code, text = stack.run("run")
        assert code == 0 and "✗" not in text, text
        assert (
            f"  updated   app enrollment of testlearner in {key} (by courses.api.create_run_enrollments) (active, enrolled in Open edX)"
            in text
        )
        code, text = stack.run("run")
        assert code == 0 and "0 created, 0 updated, 13 unchanged (nothing written)" in text, text
        assert "All 23 checks passed." in text
    finally:
        stack.close()


def test_unreachable_discovery_url_fails_its_line_with_the_reason(stack: Stack) -> None:
    stack.lms.probe_answers = {}
    code, text = stack.run("run")
    assert code == 1
    assert (
        "  ✗ MIT app discovery URL http://mitxonline.odl.local:8013/.well-known/openid-configuration reachable from 'lms': URLError: [Errno -2] Name or service not known"
        in text
    )
    assert "1 of 24 checks failed" in text


def test_studio_and_learning_mfe_lines_fail_when_the_front_does_not_serve_them(stack: Stack) -> None:
    del stack.http[stack.plan.openedx["front"]["learning_mfe_url"] + "/"]
    stack.http[stack.plan.openedx["front"]["studio_heartbeat_url"]] = Answer(502)
    code, text = stack.run("run")
    assert code == 1 and "2 of 24 checks failed" in text
    assert "  ✗ Studio reachable at http://studio.openedx.odl.local:8000: answered HTTP 502" in text
    assert "  ✗ learning MFE reachable at http://apps.openedx.odl.local:8000/learning: URLError: connection refused" in text


def test_refuses_a_plan_of_another_compose_project(stack: Stack) -> None:
    code, text = stack.run("run", environ={"ODL_COMPOSE_PROJECT": "someone-else"})
    assert code == 2 and "refusing to run" in text and stack.client_made == 0


def test_containers_of_other_projects_are_never_used(stack: Stack) -> None:
    stack.plan.data["timeouts"] = {"lms": 0, "app": 0, "keycloak": 0}
    (stack.dir / "plan.json").write_text(json.dumps(stack.plan.data))
    stranger = FakeContainer("other-lms-1", "other", "lms")
    stack.client = FakeClient([stranger], honour_filters=False)  # even if a filter were ignored
    code, text = stack.run("run")
    assert code == 3
    assert (
        "timed out after 0s waiting for Open edX LMS answering http://openedx.odl.local:8000/heartbeat (service 'lms'); last error: no container for service 'lms'"
        in text
    )
    assert stranger.calls == []


def test_side_failure_exits_4_with_masked_output(stack: Stack) -> None:
    secret = stack.plan.secret("openedx_client_secret")
    stack.lms.fail_with = (1, f"Traceback ...\nIntegrityError: duplicate client_secret {secret}\n")
    code, text = stack.run("run")
    assert code == 4
    assert "lms side failed in service 'lms' (exit 1)" in text and "IntegrityError: duplicate client_secret ****" in text
    assert stack.lms.leftovers() == []
    # The app's process, started alongside, got `stop`: it never called the LMS.
    assert stack.fake.calls == [] and stack.app.leftovers() == []


class _TimedCalls(list):  # type: ignore[type-arg]
    """The fake LMS's call log, noting when each call came."""

    def __init__(self) -> None:
        super().__init__()
        self.at: list[float] = []

    def append(self, item: Any) -> None:
        self.at.append(time.monotonic())
        super().append(item)


def _without_times(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith(("Seconds: ", "Course steps in the app's process"))]


def test_both_sides_run_at_once_the_app_calls_the_lms_after_its_side_and_the_output_keeps_its_order(stack: Stack) -> None:
    """The two Django processes start together. The app's learner and course steps reach the
    LMS only once the LMS side's process has ended, and the output is the same line for line
    whichever side's process ends first."""
    stack.fake.calls = calls = _TimedCalls()
    stack.lms.delay = 2.0
    code, text = stack.run("run")
    assert code == 0, text
    (lms_ended,) = stack.lms.finished
    assert calls and min(calls.at) > lms_ended, "the app side called the LMS before the LMS side had finished"
    waited = re.search(r"waiting for the lms side ([\d.]+)", text)
    assert waited and float(waited.group(1)) > 0.3, f"the app side did not run alongside the LMS side:\n{text}"

    outputs = []
    for lms_delay, app_delay in ((2.0, 0.0), (0.0, 2.0)):
        stack.lms.delay, stack.app.delay = lms_delay, app_delay
        code, text = stack.run("run")
        assert code == 0 and "0 created, 0 updated, 14 unchanged (nothing written)" in text, text
        outputs.append(_without_times(text))
    assert outputs[0] == outputs[1]


def test_interrupt_exits_130_and_removes_the_temp_files(stack: Stack) -> None:
    stack.app.interrupt = True
    code, text = stack.run("run")
    assert code == 130 and "interrupted" in text
    # The launch's own `finally` removes its directory (the checklist's probes, started once
    # the LMS side was done, may come after it).
    commands = [c.get("cmd", []) for c in stack.app.calls]
    launched = max(i for i, c in enumerate(commands) if c[-3:-1] == ["shell", "-c"])
    assert ["rm", "-rf"] in [c[:2] for c in commands[launched:]] and stack.app.leftovers() == []
    stack.app.interrupt = False
    assert stack.run("run")[0] == 0  # and the re-run converges


def test_missing_plan_exits_2(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["run", "--plan", str(tmp_path / "nope.json"), "--stack", str(tmp_path)], lambda: None, {}, out) == 2
    assert "plan file" in out.getvalue() and "not found" in out.getvalue()


def test_apisix_stack_hands_keycloak_to_its_reconciler(
    tmp_path: Path, dbs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.bootstrap import keycloak

    stack = Stack(tmp_path, dbs, "mitxonline", apisix=True)
    seen: dict[str, Any] = {}

    def fake_run(kc: dict, secrets: dict, *, timeout: float, exec_in: dict, log: Any) -> tuple[list[str], list[Any]]:
        seen.update(kc=kc, timeout=timeout, services=sorted(exec_in), log=log)
        log("Waiting for Keycloak: ...")
        return ["client apisix: secret"], [
            keycloak.Check("Keycloak client apisix", True, "as planned"),
            keycloak.Check("APISIX pass-through route", False, "HTTP 502"),
        ]

    monkeypatch.setattr(keycloak, "run", fake_run)
    code, text = stack.run("run")
    assert seen["kc"] == stack.plan.keycloak and seen["timeout"] == 600 and seen["services"] == ["apisix", "lms"]
    assert "  updated   keycloak: client apisix: secret" in text
    assert "  ✓ Keycloak client apisix" in text and "  ✗ APISIX pass-through route: HTTP 502" in text
    stack.close()
    assert code == 1 and "1 of 26 checks failed" in text
