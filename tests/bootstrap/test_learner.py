"""The learner step (issue 10) on REAL Django 5.2 + DOT 3.1 with the app stand-in's own modules
(MITx Online's openedx.api / xPro's courseware.api, users, authentication: the same code the
engine tier's app image runs), talking to a fake LMS on loopback (tests/bootstrap/fake_lms.py);
the LMS side on the LMS stand-in's Verawood requirements.

Proves: the learner is made by the app's own functions, a re-run is `unchanged` and makes no
Open edX registration or token, each half-made state is repaired through the app's repair
function (or made whole first), a missing app function is ONE ✗ naming it and the image, and
the checklist's step-7 lines read what the runs made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bootstrap_helpers import DjangoSide, learner_lms, stack_plan
from fake_lms import FakeLMS

from generator.bootstrap import plan as planmod
from generator.bootstrap.probes import get
from generator.bootstrap.verify import learner_checks, record_checks


def _label(plan: planmod.Plan) -> str:
    return f"app learner testlearner (Open edX sync by {plan.data['app']['learner']['api']})"


def _side(kind: str, dbs: dict[str, Path], tmp_path: Path) -> DjangoSide:
    return DjangoSide("app", dbs["app-mitxonline" if kind == "mitxonline" else "app"], tmp_path, app=kind)


@pytest.fixture
def app(dbs: dict[str, Path], tmp_path: Path) -> DjangoSide:
    """The app stand-in as MITx Online (this module's default)."""
    return _side("mitxonline", dbs, tmp_path)


@pytest.fixture
def wired(app: DjangoSide) -> Iterator[tuple[FakeLMS, planmod.Plan]]:
    with learner_lms(stack_plan("mitxonline"), app) as pair:
        yield pair


def _run(app: DjangoSide, plan: planmod.Plan, mode: str = "run") -> dict[str, Any]:
    return app.run(planmod.app_data(plan, mode))


def _learner_step(result: dict[str, Any], plan: planmod.Plan) -> dict[str, Any]:
    return [s for s in result["steps"] if s["step"] == _label(plan)][0]


def _failed(plan: planmod.Plan, result: dict[str, Any]) -> list:
    checks = learner_checks(plan, result["facts"], result["failures"], get)
    # user, synced, api auth, LMS user + link, login (+ MITx Online's client_credentials)
    assert len(checks) == (6 if plan.data["app"]["learner"]["client_credentials"] else 5)
    return [c for c in checks if not c.ok]


@pytest.mark.parametrize("kind", ["mitxonline", "xpro"])
def test_the_learner_is_made_by_the_apps_code_then_a_rerun_changes_nothing(
    dbs: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    side = _side(kind, dbs, tmp_path)
    with learner_lms(stack_plan(kind), side) as (fake, plan):
        first = _run(side, plan)
        assert first["failures"] == {}, first["failures"]
        assert _learner_step(first, plan)["result"] == "created"
        assert "POST /user_api/v1/account/registration/ " in fake.calls and "GET /oauth2/authorize" in fake.calls
        assert _failed(plan, first) == []
        assert first["facts"]["learner"]["login"]["path"] == "/dashboard"

        fake.calls.clear()
        again = _run(side, plan)
        assert _learner_step(again, plan) == {"step": _label(plan), "result": "unchanged", "changed": []}
        assert not [c for c in fake.calls if c.startswith("POST /user_api") or c.endswith("authorization_code")]
        assert _failed(plan, again) == []
        assert _failed(plan, _run(side, plan, "verify")) == []


HALF_MADE = {
    "open edx user not synced": (
        "from openedx.models import OpenEdxUser; OpenEdxUser.objects.update(has_been_synced=False)",
        ["open edx user"],
    ),
    "api auth missing": (
        "from openedx.models import OpenEdxApiAuth; OpenEdxApiAuth.objects.all().delete()",
        ["api auth missing"],
    ),
    "api auth expired": (
        "from datetime import timedelta; from django.utils import timezone; from openedx.models import OpenEdxApiAuth; "
        "OpenEdxApiAuth.objects.update(access_token_expires_on=timezone.now() - timedelta(hours=1))",
        ["api auth expired"],
    ),
    "token dance killed half-way": (
        "from openedx.models import OpenEdxApiAuth; OpenEdxApiAuth.objects.update(access_token=None, refresh_token='')",
        ["api auth empty"],
    ),
    "password changed": (
        "from users.models import User; u = User.objects.get(username='testlearner'); u.set_password('x'); u.save()",
        ["password"],
    ),
}


@pytest.mark.parametrize("state", sorted(HALF_MADE), ids=sorted(HALF_MADE))
def test_each_half_made_learner_is_repaired_through_the_apps_repair_function(
    app: DjangoSide, wired: tuple[FakeLMS, planmod.Plan], state: str
) -> None:
    fake, plan = wired
    _run(app, plan)
    breakage, changed = HALF_MADE[state]
    app.shell(breakage)
    assert _failed(plan, _run(app, plan, "verify")), f"verify did not notice: {state}"

    repaired = _run(app, plan)
    assert _learner_step(repaired, plan) == {"step": _label(plan), "result": "updated", "changed": sorted(changed)}
    assert repaired["failures"] == {}
    assert _failed(plan, repaired) == []
    assert _learner_step(_run(app, plan), plan)["result"] == "unchanged"


def test_a_learner_the_lms_lost_is_registered_again(app: DjangoSide, wired: tuple[FakeLMS, planmod.Plan]) -> None:
    fake, plan = wired
    _run(app, plan)
    fake.forget("testlearner")
    repaired = _run(app, plan)
    assert _learner_step(repaired, plan)["changed"] == ["api auth missing", "open edx user", "open edx user gone from the LMS"]
    assert "testlearner" in fake.users
    assert _failed(plan, repaired) == []


ROW_GONE = {
    "open edx row deleted": "from openedx.models import OpenEdxUser; OpenEdxUser.objects.filter(user__username='testlearner').delete()",
    # What a run of the older bootstrap left: the app's 409 answer recorded as a sync error.
    "row left with a sync error": (
        "from openedx.models import OpenEdxUser; OpenEdxUser.objects.filter(user__username='testlearner').update(has_been_synced=False, "
        "has_sync_error=True, sync_error_data={'error_code': 'duplicate-email-username'})"
    ),
}
ROW = """
import json
from openedx.models import OpenEdxUser
print("ROW=" + json.dumps(list(OpenEdxUser.objects.filter(user__username="testlearner").values("edx_username", "has_been_synced", "has_sync_error", "sync_error_data"))))
"""


@pytest.mark.parametrize("state", sorted(ROW_GONE), ids=sorted(ROW_GONE))
def test_an_open_edx_row_gone_from_the_app_is_repaired_in_one_run(
    app: DjangoSide, wired: tuple[FakeLMS, planmod.Plan], state: str
) -> None:
    """The LMS still has the learner: the row is made by the app's reconcile_edx_username and
    recorded as synced, with no second registration (which the LMS would answer with 409)."""
    fake, plan = wired
    _run(app, plan)
    app.shell(ROW_GONE[state])
    fake.calls.clear()
    repaired = _run(app, plan)
    assert repaired["failures"] == {}, repaired["failures"]
    assert _learner_step(repaired, plan) == {"step": _label(plan), "result": "updated", "changed": ["open edx user"]}
    assert _failed(plan, repaired) == []
    assert not [c for c in fake.calls if c.startswith("POST /user_api")]
    assert _marker(app.shell(ROW), "ROW") == [
        {"edx_username": "testlearner", "has_been_synced": True, "has_sync_error": False, "sync_error_data": None}
    ]
    assert _learner_step(_run(app, plan), plan)["result"] == "unchanged"


def test_a_repair_the_app_could_not_finish_is_a_cross_not_updated(app: DjangoSide, wired: tuple[FakeLMS, planmod.Plan]) -> None:
    # The LMS account is someone else's (another email): the app's registration gets 409 and
    # records a sync error. The step says so instead of "updated".
    fake, plan = wired
    _run(app, plan)
    app.shell(ROW_GONE["open edx row deleted"])
    fake.users["testlearner"]["email"] = "someone-else@example.com"
    result = _run(app, plan)
    assert _label(plan) not in {s["step"] for s in result["steps"]}
    failure = result["failures"]["learner"]
    assert "after repair_faulty_edx_user the openedx_users row is not synced" in failure and "'has_sync_error': True" in failure


LOCK_HELD = """
from main.utils import get_redis_lock
from users.models import User
user = User.objects.get(username="testlearner")
print("HELD=%s" % get_redis_lock("openedx-create-user-lock.%s" % user.global_id).locked())
"""


def test_an_api_auth_repair_then_a_registration_repair_converge(app: DjangoSide, wired: tuple[FakeLMS, planmod.Plan]) -> None:
    """MITx Online's _create_edx_user_request leaks its 120 s lock for a synced learner
    (openedx/api.py:336-347): the api auth repair leaves it held, and the registration the next
    run needs would give up after 5 s. The bootstrap resets it through the app's get_redis_lock."""
    fake, plan = wired
    _run(app, plan)
    app.shell("from openedx.models import OpenEdxApiAuth; OpenEdxApiAuth.objects.all().delete()")
    first = _run(app, plan)
    assert _learner_step(first, plan)["changed"] == ["api auth missing"] and first["failures"] == {}
    assert "HELD=True" in app.shell(LOCK_HELD), "the stand-in no longer leaks the lock as upstream does"
    fake.forget("testlearner")
    second = _run(app, plan)
    assert second["failures"] == {}, second["failures"]
    assert _learner_step(second, plan)["changed"] == ["api auth missing", "open edx user", "open edx user gone from the LMS"]
    assert "testlearner" in fake.users
    assert _failed(plan, second) == []
    assert _learner_step(_run(app, plan), plan)["result"] == "unchanged"


def test_a_learner_registered_in_the_lms_but_gone_from_the_app_is_made_again_and_synced(
    app: DjangoSide, wired: tuple[FakeLMS, planmod.Plan]
) -> None:
    # What a run killed between the registration POST and the app's commit leaves, or an app
    # database reset: the LMS answers the new registration with 409.
    fake, plan = wired
    _run(app, plan)
    app.shell("from users.models import User; User.objects.filter(username='testlearner').delete()")
    again = _run(app, plan)
    assert _learner_step(again, plan)["result"] == "created" and again["failures"] == {}
    assert _failed(plan, again) == []
    assert _learner_step(_run(app, plan), plan)["result"] == "unchanged"


def test_an_app_without_the_function_gets_one_cross_naming_it_and_the_image(
    app: DjangoSide, wired: tuple[FakeLMS, planmod.Plan]
) -> None:
    # xPro's module path: the app stand-in run as MITx Online does not install courseware.
    _, plan = wired
    plan.data["app"]["learner"]["api"] = "courseware.api"
    result = _run(app, plan)
    assert "Traceback" not in app.last_output
    checks = learner_checks(plan, result["facts"], result["failures"], get)
    assert len(checks) == 1 and not checks[0].ok
    assert "courseware.api.create_user" in checks[0].reason and plan.data["app"]["learner"]["image"] in checks[0].reason


def test_an_lms_that_refuses_the_registration_is_a_cross_not_a_traceback(app: DjangoSide) -> None:
    plan = stack_plan("mitxonline")
    # No LMS answering at all: the app's own call raises; the bootstrap reports it.
    app.env = {"ODL_TEST_LMS_URL": "http://127.0.0.1:9", "ODL_TEST_APP_URL": "http://127.0.0.1:9"}
    result = _run(app, plan)
    # The side still ends with its result line (app.run checks it): the app's own log may hold
    # its logged exception, the bootstrap reports one line.
    failure = result["failures"]["learner"]
    assert "ConnectionError" in failure and "\n" not in failure and "Traceback" not in failure


def test_client_credentials_line_fails_with_the_wrong_secret(app: DjangoSide, wired: tuple[FakeLMS, planmod.Plan]) -> None:
    _, plan = wired
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
    line = [ln for ln in output.splitlines() if ln.startswith(name + "=")][-1]
    return json.loads(line[len(name) + 1 :])


def test_lms_relinks_a_registered_learner_whose_social_link_is_gone(lms: DjangoSide) -> None:
    plan = stack_plan("mitxonline")
    data = planmod.lms_data(plan, "run")
    label = "lms learner testlearner linked to ol-oauth2"
    assert label not in {s["step"] for s in lms.run(data)["steps"]}  # not registered yet: the app registers it
    lms.shell("from django.contrib.auth.models import User; User.objects.create(username='testlearner', email='t@x')")
    steps = {s["step"]: s["result"] for s in lms.run(data)["steps"]}
    assert steps[label] == "created"
    assert _marker(lms.shell(LINKS), "LINKS") == [["testlearner", "ol-oauth2", "testlearner"]]
    assert {s["step"]: s["result"] for s in lms.run(data)["steps"]}[label] == "unchanged"


def test_lms_client_credentials_app_is_owned_by_the_worker_and_bearer_rule_is_checked(lms: DjangoSide) -> None:
    plan = stack_plan("mitxonline")
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


LIST_PROVIDERS = """
import json
from django.test import RequestFactory
from third_party_auth import sites
from third_party_auth.models import OAuth2ProviderConfig
from third_party_auth.provider import Registry
sites._local.request = RequestFactory().get("/login", HTTP_HOST="openedx.odl.local:8000")  # a /login render on the LMS Host
print("LISTED=" + json.dumps({"enabled": [p.provider_id for p in Registry.enabled()],
                              "backends": OAuth2ProviderConfig.key_values("backend_name", flat=True)}))
"""
ADMIN_ROW = """
from django.contrib.sites.models import Site
from third_party_auth.models import OAuth2ProviderConfig
OAuth2ProviderConfig(backend_name="ol-oauth2", site=Site.objects.create(domain="other.example"), enabled=True).save()
"""


def _listed(lms: DjangoSide) -> dict[str, Any]:
    line = [ln for ln in lms.shell(LIST_PROVIDERS).splitlines() if ln.startswith("LISTED=")][-1]
    return json.loads(line[len("LISTED=") :])


def test_lms_clears_every_provider_cache_key_the_registry_reads_after_commit(lms: DjangoSide) -> None:
    """third_party_auth/provider.py Registry lists providers from key_values('backend_name'),
    cached 600 s under a key that config-models' save() never deletes: a /login render before the
    first row existed keeps "no providers" (the stand-in caches as upstream, shown with an admin-
    style save). The bootstrap deletes that key too, after its commit."""
    plan = stack_plan("mitxonline")
    assert _listed(lms) == {"enabled": [], "backends": []}  # cached: no providers yet
    lms.shell(ADMIN_ROW)
    assert _listed(lms)["backends"] == [], "save() leaves key_values('backend_name') cached (config_models save)"
    lms.run(planmod.lms_data(plan, "run"))
    assert _listed(lms) == {"enabled": ["oa2-ol-oauth2"], "backends": ["ol-oauth2"]}


def test_lms_clears_the_cached_current_row_after_commit(lms: DjangoSide) -> None:
    plan = stack_plan("mitxonline")
    lms.run(planmod.lms_data(plan, "run"))
    site_id = lms.shell(
        "from django.contrib.sites.models import Site; print('SITE=%d' % Site.objects.get(domain='openedx.odl.local:8000').pk)"
    )
    key = "configuration/OAuth2ProviderConfig/current/{},ol-oauth2".format(site_id.split("SITE=")[1].split()[0])
    lms.shell(
        "from django.core.cache import cache\n"
        "from third_party_auth.models import OAuth2ProviderConfig\n"
        "row = OAuth2ProviderConfig.objects.filter(site__domain='openedx.odl.local:8000').order_by('-change_date')[0]\n"
        "row.enabled = False; row.save()\n"
        f"cache.set({key!r}, 'stale row', 600)\n"
    )
    lms.run(planmod.lms_data(plan, "run"))
    out = lms.shell(f"from django.core.cache import cache; print('CACHED=' + repr(cache.get({key!r})))")
    assert "CACHED=None" in out
