"""The learner step (issue 10) on REAL Django 5.2 + DOT 3.1 (app side) and Django 4.2 + DOT 1.7.1
+ social-auth-app-django (LMS side), with the app's Open edX functions as test doubles of
mitxonline's openedx.api talking to a fake LMS (tests/bootstrap/fake_lms.py).

Proves: the learner is made by the app's own functions, a re-run is `unchanged` and calls nothing
that writes, each half-made state is repaired through the app's repair function (or made whole
first), a missing app function is ONE ✗ naming it and the image, and the checklist's step-7
lines read what the runs made.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from conftest import DjangoSide, stack_plan
from fake_lms import FakeLMS
from generator.bootstrap import plan as planmod
from generator.bootstrap.probes import get
from generator.bootstrap.verify import learner_checks, record_checks

LABEL = "app learner testlearner (Open edX sync by openedx.api)"


@pytest.fixture
def plan() -> planmod.Plan:
    return stack_plan("mitxonline")


@pytest.fixture
def fake(plan: planmod.Plan, app: DjangoSide) -> Iterator[FakeLMS]:
    cc = (plan.secret("courses_client_id"), plan.secret("courses_client_secret"))
    with FakeLMS(app.db, plan.secret("service_worker_token"), cc) as lms:
        app.env = {"ODL_TEST_LMS_URL": lms.url, "ODL_TEST_CC_ID": cc[0], "ODL_TEST_CC_SECRET": cc[1]}
        yield lms


def _point_at(plan: planmod.Plan, fake: FakeLMS) -> planmod.Plan:
    """The plan as the fake LMS's stack would have it (LMS URL on loopback)."""
    data = json.loads(json.dumps(plan.data))
    data["openedx"]["url"] = fake.url
    data["app"]["learner"]["lms_url"] = fake.url
    data["app"]["learner"]["client_credentials"]["token_url"] = fake.url + "/oauth2/access_token"
    return planmod.Plan(data=data, secrets=plan.secrets, stack_dir=plan.stack_dir)


def _run(app: DjangoSide, plan: planmod.Plan, mode: str = "run") -> dict[str, Any]:
    return app.run(planmod.app_data(plan, mode))


def _learner_step(result: dict[str, Any]) -> dict[str, Any]:
    return [s for s in result["steps"] if s["step"] == LABEL][0]


def _failed(plan: planmod.Plan, result: dict[str, Any]) -> list:
    checks = learner_checks(plan, result["facts"], result["failures"], get)
    assert len(checks) == 6  # user, synced, api auth, LMS user + link, login, client_credentials
    return [c for c in checks if not c.ok]


def test_the_learner_is_made_by_the_apps_code_then_a_rerun_changes_nothing(app: DjangoSide, plan: planmod.Plan, fake: FakeLMS) -> None:
    plan = _point_at(plan, fake)
    first = _run(app, plan)
    assert first["failures"] == {}
    assert _learner_step(first)["result"] == "created"
    assert "POST /user_api/v1/account/registration/ " in fake.calls
    assert _failed(plan, first) == []
    assert first["facts"]["learner"]["login"]["path"] == "/dashboard"

    fake.calls.clear()
    again = _run(app, plan)
    assert _learner_step(again) == {"step": LABEL, "result": "unchanged", "changed": []}
    assert not [c for c in fake.calls if c.startswith("POST /user_api") or c.endswith("authorization_code")]
    assert _failed(plan, again) == []
    verify = _run(app, plan, "verify")
    assert _failed(plan, verify) == []


HALF_MADE = {
    "open edx user not synced": ("from openedx.models import OpenEdxUser; OpenEdxUser.objects.update(has_been_synced=False)", ["open edx user"]),
    "open edx user row gone": ("from openedx.models import OpenEdxUser; OpenEdxUser.objects.all().delete()", ["open edx user"]),
    "api auth missing": ("from openedx.models import OpenEdxApiAuth; OpenEdxApiAuth.objects.all().delete()", ["api auth missing"]),
    "api auth expired": (
        "from datetime import timedelta; from django.utils import timezone; from openedx.models import OpenEdxApiAuth; "
        "OpenEdxApiAuth.objects.update(access_token_expires_on=timezone.now() - timedelta(hours=1))",
        ["api auth expired"],
    ),
    "token dance killed half-way": (
        "from openedx.models import OpenEdxApiAuth; OpenEdxApiAuth.objects.update(access_token=None, refresh_token='')",
        ["api auth empty"],
    ),
    "password changed": ("from users.models import User; u = User.objects.get(username='testlearner'); u.set_password('x'); u.save()", ["password"]),
}


@pytest.mark.parametrize("state", sorted(HALF_MADE), ids=sorted(HALF_MADE))
def test_each_half_made_learner_is_repaired_through_the_apps_repair_function(
    app: DjangoSide, plan: planmod.Plan, fake: FakeLMS, state: str
) -> None:
    plan = _point_at(plan, fake)
    _run(app, plan)
    breakage, changed = HALF_MADE[state]
    app.shell(breakage)
    assert _failed(plan, _run(app, plan, "verify")), f"verify did not notice: {state}"

    repaired = _run(app, plan)
    assert _learner_step(repaired) == {"step": LABEL, "result": "updated", "changed": sorted(changed)}
    assert repaired["failures"] == {}
    assert _failed(plan, repaired) == []
    assert _learner_step(_run(app, plan))["result"] == "unchanged"


def test_a_learner_the_lms_lost_is_registered_again(app: DjangoSide, plan: planmod.Plan, fake: FakeLMS) -> None:
    plan = _point_at(plan, fake)
    _run(app, plan)
    fake.forget("testlearner")
    repaired = _run(app, plan)
    assert _learner_step(repaired)["changed"] == ["api auth missing", "open edx user", "open edx user gone from the LMS"]
    assert "testlearner" in fake.users
    assert _failed(plan, repaired) == []


def test_an_app_without_the_function_gets_one_cross_naming_it_and_the_image(app: DjangoSide, fake: FakeLMS) -> None:
    # xPro's module path: this MITx-Online-shaped test project has no courseware.api.
    plan = _point_at(stack_plan("mitxonline"), fake)
    plan.data["app"]["learner"]["api"] = "courseware.api"
    result = _run(app, plan)
    assert "Traceback" not in app.last_output
    checks = learner_checks(plan, result["facts"], result["failures"], get)
    assert len(checks) == 1 and not checks[0].ok
    assert "courseware.api.create_user" in checks[0].reason and plan.data["app"]["learner"]["image"] in checks[0].reason


def test_an_lms_that_refuses_the_registration_is_a_cross_not_a_traceback(app: DjangoSide, plan: planmod.Plan) -> None:
    # No LMS answering at all: the app's own call raises; the bootstrap reports it.
    app.env = {"ODL_TEST_LMS_URL": "http://127.0.0.1:9"}
    result = _run(app, plan)
    assert "learner" in result["failures"] and "ConnectionError" in result["failures"]["learner"]
    assert "Traceback" not in app.last_output


def test_client_credentials_line_fails_with_the_wrong_secret(app: DjangoSide, plan: planmod.Plan, fake: FakeLMS) -> None:
    plan = _point_at(plan, fake)
    app.env["ODL_TEST_CC_SECRET"] = "not-the-secret"
    failed = _failed(plan, _run(app, plan))
    assert [c.label for c in failed] == [
        "client_credentials token from inside 'app-web' with its OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID/SECRET"
    ]


# ---------------------------------------------------------------- LMS side

LINKS = """
import json
from social_django.models import UserSocialAuth
print("LINKS=" + json.dumps(list(UserSocialAuth.objects.values_list("user__username", "provider", "uid"))))
"""


def _marker(output: str, name: str) -> Any:
    line = [l for l in output.splitlines() if l.startswith(name + "=")][-1]
    return json.loads(line[len(name) + 1:])


def test_lms_relinks_a_registered_learner_whose_social_link_is_gone(lms: DjangoSide, plan: planmod.Plan) -> None:
    data = planmod.lms_data(plan, "run")
    label = "lms learner testlearner linked to ol-oauth2"
    assert label not in {s["step"] for s in lms.run(data)["steps"]}  # not registered yet: the app registers it
    lms.shell("from django.contrib.auth.models import User; User.objects.create(username='testlearner', email='t@x')")
    steps = {s["step"]: s["result"] for s in lms.run(data)["steps"]}
    assert steps[label] == "created"
    assert _marker(lms.shell(LINKS), "LINKS") == [["testlearner", "ol-oauth2", "testlearner"]]
    assert {s["step"]: s["result"] for s in lms.run(data)["steps"]}[label] == "unchanged"


def test_lms_client_credentials_app_is_owned_by_the_worker_and_bearer_rule_is_checked(lms: DjangoSide, plan: planmod.Plan) -> None:
    result = lms.run(planmod.lms_data(plan, "run"))
    steps = {s["step"]: s["result"] for s in result["steps"]}
    assert steps["lms oauth application mitxonline-courses-service-worker"] == "created"
    facts = result["facts"]
    assert facts["courses_oauth_app"]["grant_type"] == "client-credentials"
    assert facts["courses_oauth_app"]["user_id"] == facts["worker_id"] and facts["worker_bearer_ok"]
    assert all(c.ok for c in record_checks(plan, facts, {"superuser": True, "oauth_app": None})[:4])
    # No owned application + an unusable password: edx-platform's BearerAuthentication says 401.
    lms.shell("from oauth2_provider.models import Application; Application.objects.all().delete()")
    facts = lms.run(planmod.lms_data(plan, "verify"))["facts"]
    worker = [c for c in record_checks(plan, facts, {}) if "service worker" in c.label][0]
    assert not worker.ok and "BearerAuthentication" in worker.reason


def test_lms_clears_the_config_models_cache_after_commit(lms: DjangoSide, plan: planmod.Plan) -> None:
    key = "configuration/OAuth2ProviderConfig/current/ol-oauth2"
    lms.shell(f"from django.core.cache import cache; cache.set({key!r}, 'stale row', 600)")
    lms.run(planmod.lms_data(plan, "run"))
    out = lms.shell(f"from django.core.cache import cache; print('CACHED=' + repr(cache.get({key!r})))")
    assert "CACHED=None" in out
