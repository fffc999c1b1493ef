"""What a learner's browser gets from the LMS stand-in after the cross-over, as edx-platform
release/verawood.1 answers it (citations in courses_standin/course_home.py, openedx_standin/
learner_home.py, cookies.py, jwt_auth.py, views.py): the course's /courses/<key>/ redirects (the
catalog MFE, the dashboard), the learning MFE's course home metadata, the dashboard's redirect to
the learner-dashboard MFE, the JWT login cookies the SSO pipeline sets and the learner-dashboard
MFE's /api/learner_home/init authenticated by them alone, CORS for the MFE host, the MFE config API.
Settings as Tutor renders them: tests/bootstrap/projects/lms-standin/standin_lms_settings.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from test_standin_lms import _run, course_env, fake_app  # noqa: F401 (fake_app is a fixture)

SCRIPT = r"""
import json, os
import django
django.setup()
from urllib.parse import parse_qs, quote, urlsplit
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.contrib.sites.models import Site
from django.test import Client, override_settings
from third_party_auth.models import OAuth2ProviderConfig
from courses_standin.models import CourseEnrollment

call_command("migrate", verbosity=0)
call_command("import", os.environ["ODL_COURSE_DATA_DIR"], "olx")
key, app_url, out = os.environ["ODL_COURSE_KEY"], os.environ["ODL_TEST_APP_URL"], {}
site = Site.objects.create(domain="testserver", name="LMS")
OAuth2ProviderConfig(
    backend_name="ol-oauth2", slug="ol-oauth2", name="MIT app", enabled=True, site=site, key="app-client-id",
    skip_email_verification=True, skip_registration_form=True, skip_hinted_login_dialog=True,
    other_settings=json.dumps({"AUTHORIZATION_URL": app_url + "/oauth2/authorize/", "ACCESS_TOKEN_URL": app_url + "/oauth2/token/",
                               "API_ROOT": app_url + "/"}),
).save()
learner = User.objects.create_user("testlearner", "testlearner@xpro.odl.local", "pw", first_name="Test Learner")
from social_django.models import UserSocialAuth
UserSocialAuth.objects.create(user=learner, provider="ol-oauth2", uid="testlearner")

def answer(r):
    try:
        body = r.json()
    except (ValueError, TypeError):
        body = None
    return [r.status_code, r.get("Location"), body]

meta = f"/api/course_home/course_metadata/{key}"
out["meta_anonymous"] = answer(Client().get(meta))
out["meta_unknown"] = answer(Client().get("/api/course_home/course_metadata/course-v1:No+Such+Course"))
signed_in = Client()
signed_in.force_login(learner)
out["meta_not_enrolled"] = answer(signed_in.get(meta))
out["about_not_enrolled"] = answer(signed_in.get(f"/courses/{key}/"))
CourseEnrollment.objects.create(user=learner, course_id=key)
out["meta_enrolled"] = answer(signed_in.get(meta))
out["about_enrolled"] = answer(signed_in.get(f"/courses/{key}/"))
out["about_ccx"] = answer(signed_in.get("/courses/ccx-v1:Org+Num+Run+ccx@1/"))
with override_settings(ENABLE_CATALOG_MICROFRONTEND=False):
    r = signed_in.get(f"/courses/{key}/")
    out["about_legacy"] = [r.status_code, "You are enrolled in this course" in r.content.decode()]
out["dashboard_without_flag"] = answer(signed_in.get("/dashboard"))
call_command("waffle_flag", "learner_home_mfe.enabled", "--create", "--everyone")
out["dashboard_with_flag"] = answer(signed_in.get("/dashboard"))

# The SSO login (the fake app authorizes the linked learner), as a browser follows it.
browser = Client()
r = browser.get("/auth/login/ol-oauth2/?auth_entry=login")
state = parse_qs(urlsplit(r["Location"]).query)["state"][0]
hops = [browser.get("/auth/complete/ol-oauth2/", {"code": "code-testlearner", "state": state})]
while hops[-1].status_code == 302 and hops[-1]["Location"].startswith("/") and len(hops) < 6:
    hops.append(browser.get(hops[-1]["Location"]))
out["login_hops"] = [[h.status_code, h.get("Location")] for h in hops]
cookies = {name: {"value": m.value, "domain": m["domain"], "httponly": bool(m["httponly"])} for name, m in browser.cookies.items()}
out["cookies"] = cookies
jwt_only = Client()
for name in ("edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature"):
    jwt_only.cookies[name] = cookies[name]["value"]
out["init_jwt"] = answer(jwt_only.get("/api/learner_home/init", HTTP_USE_JWT_COOKIE="true"))
out["init_jwt_without_header"] = answer(jwt_only.get("/api/learner_home/init"))
tampered = Client()
tampered.cookies["edx-jwt-cookie-header-payload"] = cookies["edx-jwt-cookie-header-payload"]["value"]
tampered.cookies["edx-jwt-cookie-signature"] = "x" + cookies["edx-jwt-cookie-signature"]["value"][1:]
out["init_tampered"] = answer(tampered.get("/api/learner_home/init", HTTP_USE_JWT_COOKIE="true"))
out["init_anonymous"] = answer(Client().get("/api/learner_home/init"))
out["preflight"] = dict(Client().options(
    "/api/learner_home/init", HTTP_ORIGIN="http://apps.testserver", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    HTTP_ACCESS_CONTROL_REQUEST_HEADERS="use-jwt-cookie").headers)
out["preflight_elsewhere"] = dict(Client().options(
    "/api/learner_home/init", HTTP_ORIGIN="http://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET").headers)
out["mfe_config"] = answer(Client().get("/api/mfe_config/v1", {"mfe": "learner-dashboard"}))
r = browser.get("/logout")
out["logout_cookies"] = {name: r.cookies[name].value for name in cookies if name in r.cookies}
print("RESULT=" + json.dumps(out))
"""


def _payload(header_and_payload: str) -> dict[str, Any]:
    part = header_and_payload.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_standin_lms_sends_the_learner_to_the_mfes_and_answers_their_apis_like_edx(
    fake_app: str,  # noqa: F811  (the fixture, imported above)
    tmp_path: Path,
    venvs: Any,
) -> None:
    env, facts = course_env(tmp_path, fake_app)
    out = _run(SCRIPT, tmp_path, env)
    key = facts["key"]

    # course_about: the catalog MFE's about page (301), a CCX key to the dashboard, else the legacy page.
    about = f"http://apps.testserver/catalog/courses/{key}/about"
    assert out["about_not_enrolled"][:2] == [301, about] and out["about_enrolled"][:2] == [301, about]
    assert out["about_ccx"][:2] == [302, "/dashboard"]
    assert out["about_legacy"] == [200, True]

    # CourseHomeMetadataView: what the learning MFE's course home loads, in the learner's session.
    assert out["meta_unknown"][0] == 404
    anonymous = out["meta_anonymous"][2]
    assert anonymous["username"] is None and anonymous["course_access"]["error_code"] == "authentication_required"
    not_enrolled = out["meta_not_enrolled"][2]
    assert not_enrolled["is_enrolled"] is False and not_enrolled["course_access"]["error_code"] == "enrollment_required"
    enrolled = out["meta_enrolled"]
    assert enrolled[0] == 200 and enrolled[2]["course_id"] == key and enrolled[2]["username"] == "testlearner"
    assert enrolled[2]["is_enrolled"] is True and enrolled[2]["course_access"]["has_access"] is True
    assert enrolled[2]["title"] == facts["display_name"]

    # student_dashboard: learner_home_mfe.enabled on -> LEARNER_HOME_MICROFRONTEND_URL.
    assert out["dashboard_without_flag"][0] == 200
    assert out["dashboard_with_flag"][:2] == [302, "http://apps.testserver/learner-dashboard/"]

    # The pipeline's set_logged_in_cookies: one hop back to the complete URL, then the dashboard (-> the MFE).
    assert out["login_hops"] == [
        [302, "/auth/complete/ol-oauth2/"],
        [302, "/dashboard"],
        [302, "http://apps.testserver/learner-dashboard/"],
    ], out["login_hops"]
    cookies = out["cookies"]
    assert {"edxloggedin", "edx-user-info", "edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature"} <= set(cookies)
    assert cookies["edx-jwt-cookie-signature"]["httponly"] and not cookies["edx-jwt-cookie-header-payload"]["httponly"]
    claims = _payload(cookies["edx-jwt-cookie-header-payload"]["value"])
    assert claims["preferred_username"] == "testlearner" and claims["name"] == "Test Learner"
    assert (
        claims["iss"] == "http://testserver/oauth2"
        and claims["aud"] == "openedx"
        and claims["scopes"] == ["user_id", "email", "profile"]
    )

    # InitializeView authenticated by the two JWT cookies alone (USE-JWT-COOKIE), as the MFE calls it.
    status, _, body = out["init_jwt"]
    assert status == 200, out["init_jwt"]
    cards = [(c["courseRun"]["courseId"], c["course"]["courseName"], c["enrollment"]["isEnrolled"]) for c in body["courses"]]
    assert cards == [(key, facts["display_name"], True)]
    assert body["courses"][0]["courseRun"]["homeUrl"] == f"http://apps.testserver/learning/course/{key}/home"
    assert out["init_jwt_without_header"][0] == 401, "the cookies are read only when the client asks (USE-JWT-COOKIE)"
    assert out["init_tampered"][0] == 401 and out["init_anonymous"][0] == 401

    # CORS for the MFE host only; the MFE config API.
    preflight = {k.lower(): v for k, v in out["preflight"].items()}
    assert preflight.get("access-control-allow-origin") == "http://apps.testserver"
    assert preflight.get("access-control-allow-credentials") == "true"
    assert "use-jwt-cookie" in preflight.get("access-control-allow-headers", "")
    assert "access-control-allow-origin" not in {k.lower() for k in out["preflight_elsewhere"]}
    # LogoutView deletes the login cookies (delete_logged_in_cookies).
    assert {"edxloggedin", "edx-user-info", "edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature"} <= {
        name for name, value in out["logout_cookies"].items() if value == ""
    }, out["logout_cookies"]
    assert out["mfe_config"][0] == 200 and out["mfe_config"][2]["LMS_BASE_URL"] == "http://testserver"
