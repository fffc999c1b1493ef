"""The Django-side scripts against REAL Django + REAL django-oauth-toolkit on SQLite.

LMS side: Django 5.2, DOT 1.7.1 (plaintext secrets), django.contrib.sites, third_party_auth stand-in (the LMS stand-in's Verawood pins).
App side: Django 5.2, DOT 3.1.0 (hashed secrets), the engine tier's app stand-in modules (users +
courseware as xPro, users + openedx as MITx Online).
Each run goes through the same script file + JSON data + fixed launcher as in a container.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from bootstrap_helpers import DjangoSide, learner_lms, stack_plan

from generator.bootstrap import plan as planmod
from generator.bootstrap.verify import record_checks

COUNTS = """
import json
from django.apps import apps
names = ["auth.User", "oauth2_provider.Application", "oauth2_provider.AccessToken", "sites.Site", "third_party_auth.OAuth2ProviderConfig"]
print("COUNTS=" + json.dumps({n: apps.get_model(n).objects.count() for n in names}))
"""
CURRENT_PROVIDER = """
import json, os
from django.test import RequestFactory
from third_party_auth import sites
from third_party_auth.models import OAuth2ProviderConfig
d = json.loads(os.environ["ODL_TEST_DATA"])
# What a request to that Host sees (OAuth2ProviderConfig.current looks up the request's Site).
sites._local.request = RequestFactory().get("/", HTTP_HOST=d.get("host", "openedx.odl.local:8000"))
row = OAuth2ProviderConfig.current(d["backend"])
print("CURRENT=" + json.dumps({"site": row.site.domain if row.pk else None, "enabled": row.enabled, "pk": row.pk,
                               "for_site": row.enabled_for_current_site}))
"""


def _marker(output: str, name: str) -> dict:
    line = [ln for ln in output.splitlines() if ln.startswith(name + "=")][-1]
    return json.loads(line[len(name) + 1 :])


def _digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


def _results(result: dict) -> dict[str, str]:
    return {step["step"]: step["result"] for step in result["steps"]}


def _all_checks_pass(plan: planmod.Plan, lms_facts: dict, app_facts: dict) -> None:
    failed = [c for c in record_checks(plan, lms_facts, app_facts) if not c.ok]
    assert not failed, failed


# ---------------------------------------------------------------- LMS side


def test_lms_first_run_creates_everything_second_run_changes_nothing(lms: DjangoSide) -> None:
    plan = stack_plan("mitxonline")
    data = planmod.lms_data(plan, "run")
    first = _results(lms.run(data))
    assert first == {
        "lms superuser edx": "created",
        "lms service worker mitserviceworker": "created",
        "lms oauth application mitxonline-oauth-app": "created",
        "lms oauth application mitxonline-courses-service-worker": "created",
        "lms service-worker access token": "created",
        "lms site openedx.odl.local:8000": "created",
        "lms site example.com": "unchanged",  # Django's default Site, made by the sites migration
        "lms provider ol-oauth2 @ example.com": "created",
        "lms provider ol-oauth2 @ openedx.odl.local:8000": "created",
    }
    counts = _marker(lms.shell(COUNTS), "COUNTS")
    digest = _digest(lms.db)

    second = lms.run(data)
    assert set(_results(second).values()) == {"unchanged"}
    assert _marker(lms.shell(COUNTS), "COUNTS") == counts
    assert _digest(lms.db) == digest, "a run on a wired database wrote to it"
    assert counts["third_party_auth.OAuth2ProviderConfig"] == 2
    # A request to the LMS Host sees its own Site's row, enabled; one without a Site of its own, example.com's.
    current = _marker(lms.shell(CURRENT_PROVIDER, {"backend": "ol-oauth2"}), "CURRENT")
    assert current["site"] == "openedx.odl.local:8000" and current["for_site"]
    assert _marker(lms.shell(CURRENT_PROVIDER, {"backend": "ol-oauth2", "host": "elsewhere"}), "CURRENT")["site"] == "example.com"
    facts = second["facts"]
    assert facts["oauth_app"]["client_id"] == plan.secret("openedx_client_id") and facts["oauth_app"]["secret_matches"]
    assert facts["provider"] == {
        "site": "openedx.odl.local:8000",
        "enabled": True,
        "key": plan.secret("app_client_id"),
        "secret_matches": True,
        "slug": "ol-oauth2",
    }
    assert facts["token"] == {"user_matches": True, "expires": "2099-12-31T00:00:00+00:00"}


def test_lms_secrets_reach_the_database_but_never_the_output(lms: DjangoSide) -> None:
    plan = stack_plan("xpro")
    lms.run(planmod.lms_data(plan, "run"))
    for name in ("openedx_superuser_password", "openedx_client_secret", "app_client_secret", "service_worker_token"):
        assert plan.secret(name) not in lms.last_output, name
    stored = lms.shell(
        "from oauth2_provider.models import Application, AccessToken\n"
        "a = Application.objects.get(name='xpro-oauth-app')\n"
        "print('STORED=' + __import__('json').dumps([a.client_secret, AccessToken.objects.get().token]))"
    )
    # DOT 1.7.1: the client secret is stored as given (the MIT app sends it in plaintext).
    assert _marker(stored, "STORED") == [plan.secret("openedx_client_secret"), plan.secret("service_worker_token")]


REPAIR_LMS = """
import json, os
from datetime import datetime, timezone
from django.contrib.auth.models import User
from django.contrib.sites.models import Site
from oauth2_provider.models import AccessToken, Application
from third_party_auth.models import OAuth2ProviderConfig
d = json.loads(os.environ["ODL_TEST_DATA"])
app = Application.objects.get(name=d["app"])
app.redirect_uris = "http://wrong.example/complete"
app.client_secret = "changed-by-hand-in-admin"
app.save()
u = User.objects.get(username="edx"); u.set_password("forgotten-password"); u.is_staff = False; u.save()
t = AccessToken.objects.get(); t.expires = datetime(2020, 1, 1, tzinfo=timezone.utc); t.save()
# Admin edit of a ConfigurationModel = a new row; here: provider disabled on the LMS Site.
row = OAuth2ProviderConfig.objects.filter(site__domain="openedx.odl.local:8000").order_by("-change_date")[0]
row.enabled = False; row.save()
"""


def test_lms_run_after_manual_changes_repairs_them(lms: DjangoSide) -> None:
    plan = stack_plan("mitxonline")
    data = planmod.lms_data(plan, "run")
    lms.run(data)
    lms.shell(REPAIR_LMS, {"app": "mitxonline-oauth-app"})
    broken = lms.run(planmod.lms_data(plan, "verify"))
    assert [c.label for c in record_checks(plan, broken["facts"], {}) if not c.ok][:1]  # verify sees the damage
    rows_before = _marker(lms.shell(COUNTS), "COUNTS")["third_party_auth.OAuth2ProviderConfig"]

    repaired = lms.run(data)
    steps = {s["step"]: s for s in repaired["steps"]}
    assert steps["lms superuser edx"]["result"] == "updated" and steps["lms superuser edx"]["changed"] == ["is_staff", "password"]
    assert steps["lms oauth application mitxonline-oauth-app"]["changed"] == ["client_secret", "redirect_uris"]
    assert steps["lms service-worker access token"]["changed"] == ["expires"]
    assert steps["lms provider ol-oauth2 @ openedx.odl.local:8000"]["changed"] == ["enabled"]
    assert steps["lms provider ol-oauth2 @ example.com"]["result"] == "unchanged"
    # Repaired by inserting exactly one row (ConfigurationModel), never by updating one.
    assert _marker(lms.shell(COUNTS), "COUNTS")["third_party_auth.OAuth2ProviderConfig"] == rows_before + 1
    assert repaired["facts"]["provider"]["enabled"] and repaired["facts"]["oauth_app"]["secret_matches"]
    assert set(_results(lms.run(data)).values()) == {"unchanged"}


def test_lms_provider_rows_are_per_site_another_sites_row_never_touches_the_lms_site(lms: DjangoSide) -> None:
    """OAuth2ProviderConfig.KEY_FIELDS = ('site_id', 'backend_name'): a newer example.com row
    (someone edits it in the admin, even disables it) leaves SSO on the LMS Host alone, so the run
    repairs example.com's row only and the checklist's provider line stays green throughout."""
    plan = stack_plan("mitxonline")
    data = planmod.lms_data(plan, "run")
    lms.run(data)
    lms.shell(
        "from third_party_auth.models import OAuth2ProviderConfig\n"
        "row = OAuth2ProviderConfig.objects.get(site__domain='example.com'); row.name = 'Edited'; row.enabled = False; row.save()\n"
    )
    current = _marker(lms.shell(CURRENT_PROVIDER, {"backend": "ol-oauth2"}), "CURRENT")
    assert current["site"] == "openedx.odl.local:8000" and current["for_site"]
    facts = lms.run(planmod.lms_data(plan, "verify"))["facts"]
    line = [c for c in record_checks(plan, facts, {}) if c.label.startswith("Provider 'ol-oauth2' enabled")][0]
    assert line.ok, line.reason
    steps = {s["step"]: s for s in lms.run(data)["steps"]}
    assert steps["lms provider ol-oauth2 @ example.com"]["changed"] == ["enabled", "name"]
    assert steps["lms provider ol-oauth2 @ openedx.odl.local:8000"]["result"] == "unchanged"
    assert set(_results(lms.run(data)).values()) == {"unchanged"}


def test_lms_provider_line_names_the_lms_sites_own_row(lms: DjangoSide) -> None:
    plan = stack_plan("xpro")
    lms.run(planmod.lms_data(plan, "run"))
    lms.shell(REPAIR_LMS, {"app": "xpro-oauth-app"})
    facts = lms.run(planmod.lms_data(plan, "verify"))["facts"]
    line = [c for c in record_checks(plan, facts, {}) if c.label.startswith("Provider 'ol-oauth2' enabled")][0]
    assert not line.ok and line.reason == "the newest row for Site 'openedx.odl.local:8000' is disabled"


def test_lms_verify_mode_writes_nothing(lms: DjangoSide) -> None:
    plan = stack_plan("xpro")
    digest = _digest(lms.db)
    result = lms.run(planmod.lms_data(plan, "verify"))
    assert _digest(lms.db) == digest
    assert result["facts"]["oauth_app"] is None and result["facts"]["provider"] is None
    assert not any(c.ok for c in record_checks(plan, result["facts"], {}) if "Open edX" in c.label)


def test_lms_devstack_profile_takes_backend_and_hosts_from_the_plan(lms: DjangoSide) -> None:
    plan = stack_plan("xpro", profile="devstack")
    prov = plan.openedx["provider"]
    assert prov["backend_name"] != "ol-oauth2"  # the profile switches it; nothing is hard-coded
    lms.run(planmod.lms_data(plan, "run"))
    current = _marker(
        lms.shell(CURRENT_PROVIDER, {"backend": prov["backend_name"], "host": plan.openedx["site_domain"]}), "CURRENT"
    )
    assert current["site"] == plan.openedx["site_domain"] and current["enabled"]
    assert _marker(lms.shell(CURRENT_PROVIDER, {"backend": "ol-oauth2"}), "CURRENT")["pk"] is None


# ---------------------------------------------------------------- MIT app side

MIGRATION_MADE_EDX_APP = """
# What MITx Online's migration openedx/0001_add_oauth_application left behind (the stand-in's copy ran).
from oauth2_provider.models import Application
from django.contrib.auth.hashers import identify_hasher
print("STORED=" + __import__("json").dumps(identify_hasher(Application.objects.get(name="edx-oauth-app").client_secret).algorithm))
"""
APP_STATE = """
import json, os
from django.contrib.auth.hashers import check_password, identify_hasher
from oauth2_provider.models import Application
d = json.loads(os.environ["ODL_TEST_DATA"])
a = Application.objects.get(name="edx-oauth-app")
print("STATE=" + json.dumps({"hashed": a.client_secret != d["secret"] and bool(identify_hasher(a.client_secret)), "check": check_password(d["secret"], a.client_secret),
      "client_id": a.client_id, "redirect_uris": a.redirect_uris, "count": Application.objects.count()}))
"""


def test_app_first_run_creates_second_changes_nothing(app: DjangoSide) -> None:
    with learner_lms(stack_plan("xpro"), app) as (_, plan):  # xPro: no migration pre-creates edx-oauth-app
        _app_first_run_creates_second_changes_nothing(app, plan)


def _app_first_run_creates_second_changes_nothing(app: DjangoSide, plan: planmod.Plan) -> None:
    data = planmod.app_data(plan, "run")
    assert _results(app.run(data)) == {
        "app superuser admin": "created",
        "app oauth application edx-oauth-app": "created",
        "app learner testlearner (Open edX sync by courseware.api)": "created",
        # Issue 13: xPro's seed_data + sync_courseruns, the enrollment by create_run_enrollments.
        "app course run course-v1:edX+DemoX+Demo_Course (seed_data, then sync_courseruns)": "created",
        "app enrollment of testlearner in course-v1:edX+DemoX+Demo_Course (by courses.api.create_run_enrollments)": "created",
    }
    state = _marker(app.shell(APP_STATE, {"secret": plan.secret("app_client_secret")}), "STATE")
    assert state["hashed"] and state["check"], "DOT 3.x must have hashed the plaintext we set"
    assert state["client_id"] == plan.secret("app_client_id")
    assert state["redirect_uris"] == "http://openedx.odl.local:8000/auth/complete/ol-oauth2/"
    digest = _digest(app.db)
    second = app.run(data)
    assert set(_results(second).values()) == {"unchanged"}
    assert _digest(app.db) == digest, "a run on a wired database wrote to it"
    assert second["facts"]["superuser"] and second["facts"]["oauth_app"]["secret_matches"]
    assert plan.secret("app_client_secret") not in app.last_output


def test_app_mitxonline_migration_created_app_is_fixed(app_mitxonline: DjangoSide) -> None:
    app = app_mitxonline
    plan = stack_plan("mitxonline")
    assert _marker(app.shell(MIGRATION_MADE_EDX_APP), "STORED") == "md5"  # random secret, hashed (test settings' hasher)
    data = planmod.app_data(plan, "run")
    step = app.run(data)["steps"][1]
    assert step == {
        "step": "app oauth application edx-oauth-app",
        "result": "updated",
        "changed": ["client_id", "client_secret", "redirect_uris"],
    }
    state = _marker(app.shell(APP_STATE, {"secret": plan.secret("app_client_secret")}), "STATE")
    assert state["count"] == 1 and state["hashed"] and state["check"]
    assert state["redirect_uris"] == plan.app["oauth_app"]["redirect_uris"][0]
    assert set(_results(app.run(data)).values()) == {"unchanged"}


def test_app_run_after_manual_changes_repairs_them(app: DjangoSide) -> None:
    plan = stack_plan("mitxonline")
    data = planmod.app_data(plan, "run")
    app.run(data)
    app.shell(
        "from django.contrib.auth import get_user_model\n"
        "from oauth2_provider.models import Application\n"
        "u = get_user_model().objects.get(username='admin'); u.name = 'Renamed'; u.set_password('other'); u.save()\n"
        "a = Application.objects.get(name='edx-oauth-app'); a.client_secret = 'typed-in-admin'; a.algorithm = 'RS256'\n"
        "a.redirect_uris = 'http://gateway:8000/auth/complete/ol-oauth2/'; a.save()\n"
    )
    steps = {s["step"]: s for s in app.run(data)["steps"]}
    assert steps["app superuser admin"]["changed"] == ["name", "password"]
    assert steps["app oauth application edx-oauth-app"]["changed"] == ["algorithm", "client_secret", "redirect_uris"]
    assert set(_results(app.run(data)).values()) == {"unchanged"}


def test_both_sides_wired_pass_the_record_checks(lms: DjangoSide, app: DjangoSide) -> None:
    for name in ("xpro", "mitxonline"):
        plan = stack_plan(name)
        lms_facts = lms.run(planmod.lms_data(plan, "run"))["facts"]
        app_facts = app.run(planmod.app_data(plan, "run"))["facts"]
        _all_checks_pass(plan, lms_facts, app_facts)
    # And a mismatch across sides is caught: the provider's Client ID must be the app's client id.
    lms_facts["provider"]["key"] = "someone-else"
    failed = [c for c in record_checks(plan, lms_facts, app_facts) if not c.ok]
    assert [c.reason for c in failed] == ["client id differs from the Open edX provider's Client ID"]


@pytest.mark.parametrize("side", ["lms", "app"])
def test_unmigrated_database_is_named_not_written(side: str, tmp_path: Path) -> None:
    plan = stack_plan("mitxonline")
    empty = tmp_path / "empty.sqlite3"
    runner = DjangoSide(side, empty, tmp_path)
    data = planmod.lms_data(plan, "run") if side == "lms" else planmod.app_data(plan, "run")
    data["migration_timeout"] = 1
    proc = runner.launch(data)
    assert proc.returncode != 0
    assert "database not migrated after 1s:" in proc.stderr and "unapplied migration(s), e.g. " in proc.stderr
