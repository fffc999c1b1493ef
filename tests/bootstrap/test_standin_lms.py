"""The LMS stand-in's registration, third-party-auth pipeline, BearerAuthentication and REST
endpoints, on the real libraries of edx-platform release/verawood.1 (Django 5.2, DOT 1.7.1, DRF
3.16, social-auth 4.8, ol-social-auth), against an in-process fake of the MIT app's OAuth and
userinfo endpoints on loopback. One Django process runs SCRIPT and reports what it saw; the
test compares that with what edx-platform does (citations in the stand-in's modules)."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bootstrap_helpers import HERE, VENVS
from http_fakes import QuietHandler

STANDINS = HERE.parent / "standins"
EDX_PLATFORM = STANDINS / "images" / "lms-standin" / "edx-platform"
# The app's users, by the access token the fake hands out for a code `code-<username>`.
APP_USERS = {
    "testlearner": {"username": "testlearner", "email": "testlearner@xpro.odl.local", "name": "Test Learner"},
    "newperson": {"username": "newperson", "email": "newperson@xpro.odl.local", "name": "New Person"},
    # Pipeline cases: an unlinked LMS account with this email; an inactive one; a linked account with
    # an unusable password; a linked account whose LMS email is stale.
    "emailmatch": {"username": "emailmatch", "email": "emailmatch@xpro.odl.local", "name": "Email Match"},
    "inactivematch": {"username": "inactivematch", "email": "inactive@xpro.odl.local", "name": "Inactive Match"},
    "disabled": {"username": "disabled", "email": "disabled@xpro.odl.local", "name": "Disabled"},
    "syncme": {"username": "syncme", "email": "syncme@xpro.odl.local", "name": "Sync Me"},
}


class FakeApp(QuietHandler):
    """The MIT app's /oauth2/token/ (code -> token) and /api/users/me (token -> user)."""

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        code = form.get("code", [""])[0]
        name = code.removeprefix("code-")
        if name not in APP_USERS:
            return self.reply(400, {"error": "invalid_grant"})
        self.reply(200, {"access_token": f"apptoken-{name}", "token_type": "Bearer", "expires_in": 36000, "scope": "user:read"})

    def do_GET(self) -> None:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        name = token.removeprefix("apptoken-")
        if urlsplit(self.path).path != "/api/users/me" or name not in APP_USERS:
            return self.reply(401, {"detail": "Authentication credentials were not provided."})
        self.reply(200, APP_USERS[name])


@pytest.fixture
def fake_app() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


SCRIPT = r'''
import json, os, re
from datetime import timedelta
import django
django.setup()
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.test import Client
from django.contrib.auth.models import User
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from social_django.models import UserSocialAuth
from third_party_auth.models import OAuth2ProviderConfig

call_command("migrate", verbosity=0)
app_url = os.environ["ODL_TEST_APP_URL"]
out = {}
site = Site.objects.create(domain="testserver", name="LMS")
OAuth2ProviderConfig(
    backend_name="ol-oauth2", slug="ol-oauth2", name="MIT app", enabled=True, site=site, key="app-client-id",
    skip_email_verification=True, skip_registration_form=True, skip_hinted_login_dialog=True,
    other_settings=json.dumps({"AUTHORIZATION_URL": app_url + "/oauth2/authorize/", "ACCESS_TOKEN_URL": app_url + "/oauth2/token/",
                               "API_ROOT": app_url + "/"}),
    sync_learner_profile_data=True, enable_sso_id_verification=True,
).save()
# A newer row for ANOTHER Site (example.com, SITE_ID), disabled: rows are per Site
# (KEY_FIELDS = ('site_id', 'backend_name')), so SSO on testserver must not care.
OAuth2ProviderConfig(backend_name="ol-oauth2", slug="ol-oauth2", name="Elsewhere", enabled=False, site=Site.objects.get(pk=1)).save()

def post_registration(client, **fields):
    base = dict(username="testlearner", email="testlearner@xpro.odl.local", name="Test Learner", provider="ol-oauth2",
                honor_code="True", country="US")
    base.update(fields)
    r = client.post("/user_api/v1/account/registration/", {k: v for k, v in base.items() if v is not None})
    return [r.status_code, r.json()]

out["bad_token"] = post_registration(Client(), access_token="not-a-token")
out["users_after_bad_token"] = User.objects.filter(username="testlearner").count()
out["no_token"] = post_registration(Client(), access_token=None)
client = Client()
out["registered"] = post_registration(client, access_token="apptoken-testlearner")
out["session_user"] = client.get("/api/user/v1/me").json()
learner = User.objects.get(username="testlearner")
out["learner_active"] = learner.is_active
out["links"] = list(UserSocialAuth.objects.values_list("user__username", "provider", "uid"))
out["again"] = post_registration(Client(), access_token="apptoken-testlearner")
out["registered_cookies"] = sorted(client.cookies.keys())
from django.conf import settings as dj_settings
import jwt as pyjwt
from jwt.algorithms import RSAAlgorithm
claims = pyjwt.decode(client.cookies["edx-jwt-cookie-header-payload"].value + "." + client.cookies["edx-jwt-cookie-signature"].value,
                      RSAAlgorithm.from_jwk(json.loads(dj_settings.JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"])["keys"][0]), algorithms=["RS512"], audience="openedx")
out["cookie_jwt"] = {k: claims.get(k) for k in ("preferred_username", "email", "iss", "scopes", "administrator")}
out["cookie_signature_httponly"] = bool(client.cookies["edx-jwt-cookie-signature"]["httponly"])
# create_account_with_params tos_required: REGISTRATION_EXTRA_FIELDS decides (Tutor hides both).
from django.test import override_settings
out["no_terms_default"] = post_registration(Client(), username="noterms", email="noterms@x.test", access_token="apptoken-newperson",
                                            honor_code=None)
with override_settings(REGISTRATION_EXTRA_FIELDS={"terms_of_service": "hidden", "honor_code": "hidden"}):
    out["no_terms_hidden"] = post_registration(Client(), username="noterms2", email="noterms2@x.test", provider=None, honor_code=None)

expires = timezone.now() + timedelta(hours=1)
worker = User.objects.create(username="worker", email="worker@lms.test", is_staff=True)
worker.set_unusable_password(); worker.save()
AccessToken.objects.create(user=worker, token="worker-token", expires=expires, scope="read write")
AccessToken.objects.create(user=learner, token="learner-token", expires=expires, scope="read write")
root = User.objects.create_superuser("edx", "edx@lms.test", "pw")
AccessToken.objects.create(user=root, token="root-token", expires=expires, scope="read write")
AccessToken.objects.create(user=learner, token="old-token", expires=timezone.now() - timedelta(hours=1), scope="read")

def get(path, token):
    r = Client().get(path, HTTP_AUTHORIZATION="Bearer " + token)
    return [r.status_code, r.json() if r.content else None]

out["worker_me_without_application"] = get("/api/user/v1/me", "worker-token")
Application.objects.create(user=worker, name="svc", client_type="confidential", authorization_grant_type="client-credentials")
out["worker_me_owning_application"] = get("/api/user/v1/me", "worker-token")
out["learner_me"] = get("/api/user/v1/me", "learner-token")
out["expired_me"] = get("/api/user/v1/me", "old-token")
out["anonymous_me"] = Client().get("/api/user/v1/me").status_code
out["worker_account"] = get("/api/user/v1/accounts/testlearner", "worker-token")
out["worker_accounts_by_email"] = get("/api/user/v1/accounts?email=testlearner@xpro.odl.local", "worker-token")
out["learner_accounts_by_email"] = get("/api/user/v1/accounts?email=testlearner@xpro.odl.local", "learner-token")[0]
# /oauth2/access_token with token_type=jwt (oauth_dispatch AccessTokenView): a JWT of the app's owner.
svc = Application.objects.create(user=worker, name="svc-jwt", client_id="svc-jwt", client_secret="svc-secret",
                                 client_type="confidential", authorization_grant_type="client-credentials")
Application.objects.create(user=None, name="ownerless", client_id="ownerless", client_secret="ownerless-secret",
                           client_type="confidential", authorization_grant_type="client-credentials")
def token(client_id, secret, **extra):
    r = Client(raise_request_exception=False).post("/oauth2/access_token", dict(grant_type="client_credentials", client_id=client_id,
                                                   client_secret=secret, **extra))
    return [r.status_code, r.json() if r.status_code == 200 else None]
opaque = token("svc-jwt", "svc-secret")
out["opaque_token"] = [opaque[0], opaque[1]["token_type"]]
jwt_answer = token("svc-jwt", "svc-secret", token_type="jwt")
jwt_claims = pyjwt.decode(jwt_answer[1]["access_token"], dj_settings.JWT_AUTH["JWT_SECRET_KEY"], algorithms=["HS256"], audience="openedx")
out["jwt_token"] = [jwt_answer[0], jwt_answer[1]["token_type"], jwt_claims["preferred_username"], jwt_claims["grant_type"]]
asym = token("svc-jwt", "svc-secret", token_type="jwt", asymmetric_jwt="true")
out["jwt_asymmetric_user"] = pyjwt.decode(asym[1]["access_token"], RSAAlgorithm.from_jwk(json.loads(dj_settings.JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"])["keys"][0]),
                                          algorithms=["RS512"], audience="openedx")["preferred_username"]
out["jwt_ownerless"] = token("ownerless", "ownerless-secret", token_type="jwt")[0]
# edx-api-client user_info, as the apps' _edx_user_exists asks: GET my_user_info, redirects followed.
learner.last_login = None; learner.save()
r = Client().get("/api/mobile/v0.5/my_user_info", HTTP_AUTHORIZATION="Bearer learner-token")
out["my_user_info"] = [r.status_code, r.get("Location")]
out["my_user_info_followed"] = get(r["Location"], "learner-token")
out["my_user_info_last_login"] = User.objects.get(pk=learner.pk).last_login is not None
out["my_user_info_expired"] = Client().get("/api/mobile/v0.5/my_user_info", HTTP_AUTHORIZATION="Bearer old-token").status_code
out["my_user_info_anonymous"] = Client().get("/api/mobile/v0.5/my_user_info").status_code
out["user_detail_of_another"] = get("/api/mobile/v0.5/users/edx", "learner-token")[0]
out["user_detail_by_staff"] = get("/api/mobile/v0.5/users/testlearner", "worker-token")[0]
out["worker_links"] = get("/api/third_party_auth/v0/users/testlearner", "worker-token")
out["learner_links"] = get("/api/third_party_auth/v0/users/testlearner", "learner-token")
out["superuser_links"] = get("/api/third_party_auth/v0/users/testlearner", "root-token")

def sso_login(client, who, entry="?auth_entry=login"):
    """The browser's /auth/login/ol-oauth2/?auth_entry=login; the fake app 'authorizes' `who`; the
    pipeline's own redirects back to the complete URL (set_logged_in_cookies) are followed."""
    r = client.get("/auth/login/ol-oauth2/" + entry)
    state = parse_qs(urlsplit(r["Location"]).query)["state"][0]
    r = client.get("/auth/complete/ol-oauth2/", {"code": "code-" + who, "state": state})
    hops = 0
    while r.status_code == 302 and r["Location"] == "/auth/complete/ol-oauth2/" and hops < 3:
        hops += 1
        r = client.get(r["Location"])
    return r

linked_accounts = {}
def linked_account(username, uid, email, **fields):
    user = User.objects.create(username=username, email=email, **fields)
    if not fields.get("password"):
        user.set_unusable_password(); user.save()
    UserSocialAuth.objects.create(user=user, provider="ol-oauth2", uid=uid, extra_data={})
    return user

from urllib.parse import parse_qs, urlsplit
linked = Client()
r = sso_login(linked, "testlearner")
out["linked_login"] = [r.status_code, r["Location"], linked.get("/dashboard").content.decode()]
fresh = Client()
r = sso_login(fresh, "newperson")
out["new_login"] = [r.status_code, r["Location"]]
page = fresh.get("/register").content.decode()
form = re.search(r'<form[^>]*id="register"[^>]*>(.*?)</form>', page, re.S)
out["register_form"] = {"auto_submit": 'data-auto-submit="true"' in form.group(0),
                        "finish": re.search(r'data-finish-auth-url="([^"]*)"', form.group(0)).group(1),
                        "fields": dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(1)))}
r = fresh.post("/user_api/v1/account/registration/", out["register_form"]["fields"])
out["new_registered"] = [r.status_code, r.json()]
r = fresh.get(out["register_form"]["finish"])
out["new_finished"] = [r.status_code, r["Location"], fresh.get("/dashboard").content.decode()]
out["links_after"] = sorted(UserSocialAuth.objects.values_list("user__username", "uid"))
from lms.djangoapps.verify_student.models import SSOVerification
out["sso_verifications"] = sorted(SSOVerification.objects.values_list("user__username", "status", "identity_provider_type", "identity_provider_slug"))
# pipeline.py set_logged_in_cookies: the first pass sets the login cookies by a redirect to the complete URL.
cookie_client = Client()
r = cookie_client.get("/auth/login/ol-oauth2/?auth_entry=login")
state = parse_qs(urlsplit(r["Location"]).query)["state"][0]
r = cookie_client.get("/auth/complete/ol-oauth2/", {"code": "code-testlearner", "state": state})
out["cookie_pass"] = [r.status_code, r["Location"], sorted(k for k in r.cookies.keys())]
# parse_query_params: no auth_entry -> login.
no_entry = Client()
r = sso_login(no_entry, "testlearner", entry="")
out["no_auth_entry"] = [r.status_code, r["Location"]]
# associate_by_email_if_oauth: an active, unlinked account with the app's email is linked and logged in.
User.objects.create(username="lms-name-differs", email="emailmatch@xpro.odl.local", is_active=True)
matched = Client()
r = sso_login(matched, "emailmatch")
out["email_match"] = [r.status_code, r["Location"], matched.get("/dashboard").content.decode()]
# utils.py user_exists checks the email first: an INACTIVE account with the email (not linked by
# email, since it is inactive) sends the person to /login even though the username is free.
User.objects.create(username="someone-else", email="inactive@xpro.odl.local", is_active=False)
r = sso_login(Client(), "inactivematch")
out["inactive_email"] = [r.status_code, r["Location"]]
# set_logged_in_cookies: a linked account with an unusable password -> logged out, 403.
linked_account("disabled", "disabled", "disabled@xpro.odl.local")
disabled = Client()
r = sso_login(disabled, "disabled")
out["disabled"] = [r.status_code, r.content.decode(), disabled.get("/api/user/v1/me").status_code]
# user_details_force_sync (sync_learner_profile_data): the LMS email follows the app's.
linked_account("syncme", "syncme", "old-address@xpro.odl.local", password="pbkdf2_sha256$1$x$y")
r = sso_login(Client(), "syncme")
out["synced"] = [r.status_code, r["Location"], User.objects.get(username="syncme").email]
# course_api CourseDetailView is @view_auth_classes(is_authenticated=False): anonymous may read it.
out["course_anonymous"] = Client().get("/api/courses/v1/courses/course-v1:No+Such+Course/").status_code
out["course_bad_token"] = Client().get("/api/courses/v1/courses/course-v1:No+Such+Course/", HTTP_AUTHORIZATION="Bearer nope").status_code
print("RESULT=" + json.dumps(out))
'''


def _standin_env(tmp_path: Path, app_url: str) -> dict[str, str]:
    config = tmp_path / "lms.env.yml"
    config.write_text(
        json.dumps(
            {
                "SECRET_KEY": "test-only",
                "LMS_BASE": "testserver",
                "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "lms.sqlite3")}},
                # As the stack's Tutor patch (generator/templates/tutor-patches/openedx-lms-common-settings).
                "FEATURES": {"ENABLE_THIRD_PARTY_AUTH": True, "SKIP_EMAIL_VALIDATION": True, "ENABLE_UNICODE_USERNAME": True},
            }
        )
    )
    return {
        "PATH": f"{VENVS['lms'] / 'bin'}:/usr/bin:/bin",
        "PYTHONPATH": ":".join(str(p) for p in (EDX_PLATFORM, STANDINS, HERE / "projects" / "lms-standin")),
        "DJANGO_SETTINGS_MODULE": "standin_lms_settings",
        "LMS_CFG": str(config),
        "ODL_PROVIDER_CLIENT_SECRET": "app-client-secret",
        "ODL_TEST_APP_URL": app_url,
    }


def _run(script: str, tmp_path: Path, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(["python", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return json.loads([line for line in proc.stdout.splitlines() if line.startswith("RESULT=")][-1][7:])


def test_standin_lms_registers_links_authenticates_and_answers_like_edx(fake_app: str, tmp_path: Path, venvs: Any) -> None:
    out = _run(SCRIPT, tmp_path, _standin_env(tmp_path, fake_app))

    # register.py _link_user_to_third_party_provider: the backend fetched the app's user with the token.
    assert out["bad_token"] == [
        400,
        {"access_token": [{"user_message": "The provided access_token is not valid."}], "error_code": "tpa-invalid-access-token"},
    ]
    assert out["users_after_bad_token"] == 0, "account creation and the link are one transaction"
    assert out["no_token"][0] == 400 and out["no_token"][1]["error_code"] == "tpa-missing-access-token"
    assert out["registered"][0] == 200 and out["registered"][1]["success"] is True
    assert out["session_user"] == {"username": "testlearner"}, "registration logs the session in"
    assert out["learner_active"] is True  # FEATURES SKIP_EMAIL_VALIDATION
    assert out["links"] == [["testlearner", "ol-oauth2", "testlearner"]]  # uid = the app's username (ID_KEY)
    assert out["again"][0] == 409 and out["again"][1]["error_code"] == "duplicate-email-username"
    # RegistrationView.post: authenticated_user, and user_authn/cookies.py set_logged_in_cookies' four cookies.
    assert out["registered"][1]["authenticated_user"] == {
        "username": "testlearner",
        "full_name": "Test Learner",
        "user_id": out["registered"][1]["authenticated_user"]["user_id"],
    }
    assert {"edxloggedin", "edx-user-info", "edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature"} <= set(
        out["registered_cookies"]
    )
    assert out["cookie_jwt"] == {
        "preferred_username": "testlearner",
        "email": "testlearner@xpro.odl.local",
        "iss": "http://testserver/oauth2",
        "scopes": ["user_id", "email", "profile"],
        "administrator": False,
    }
    assert out["cookie_signature_httponly"]
    assert out["no_terms_default"][0] == 400 and "terms_of_service" in out["no_terms_default"][1]
    assert out["no_terms_hidden"][0] == 200, out["no_terms_hidden"]

    # openedx/core/lib/api/authentication.py BearerAuthentication.
    assert out["worker_me_without_application"] == [
        401,
        {"error_code": "user_is_disabled", "developer_message": "User disabled by admin: worker"},
    ]
    assert out["worker_me_owning_application"] == [200, {"username": "worker"}]
    assert out["learner_me"] == [200, {"username": "testlearner"}]
    assert out["expired_me"][0] == 401 and out["expired_me"][1]["error_code"] == "token_expired"
    assert out["anonymous_me"] == 401

    # mobile_api/users/views.py my_user_info -> UserDetail: what the apps' _edx_user_exists reads.
    assert out["my_user_info"] == [302, "/api/mobile/v0.5/users/testlearner"]
    assert out["my_user_info_followed"] == [
        200,
        {
            "id": out["worker_account"][1]["id"],
            "username": "testlearner",
            "email": "testlearner@xpro.odl.local",
            "name": "Test Learner",
            "course_enrollments": "http://testserver/api/mobile/v0.5/users/testlearner/course_enrollments/",
        },
    ]
    assert out["my_user_info_last_login"], "my_user_info sends user_logged_in (update_last_login)"
    assert out["my_user_info_expired"] == 401 and out["my_user_info_anonymous"] == 401
    assert out["user_detail_of_another"] == 404 and out["user_detail_by_staff"] == 403  # IsUserInUrl

    # user_api AccountViewSet and third_party_auth UserView.
    assert out["worker_account"][0] == 200 and out["worker_account"][1]["email"] == "testlearner@xpro.odl.local"
    assert [a["username"] for a in out["worker_accounts_by_email"][1]] == ["testlearner"]
    assert out["learner_accounts_by_email"] == 403, "?email= needs staff (CanGetAccountInfo)"
    # oauth_dispatch AccessTokenView: token_type=jwt turns the opaque token into a JWT of the app's owner.
    assert out["opaque_token"] == [200, "Bearer"]
    assert out["jwt_token"] == [200, "JWT", "worker", "client-credentials"]
    assert out["jwt_asymmetric_user"] == "worker"
    assert out["jwt_ownerless"] == 500, "no owner, no JWT"
    assert out["worker_links"] == [403, None], "a staff (not superuser) caller may not read another user's links"
    expected_links = [200, {"active": [{"provider_id": "oa2-ol-oauth2", "name": "MIT app", "remote_id": "testlearner"}]}]
    assert out["learner_links"] == expected_links and out["superuser_links"] == expected_links

    # The pipeline (third_party_auth/pipeline.py ensure_user_information): a linked user is logged in...
    assert out["linked_login"][:2] == [302, "/dashboard"] and "testlearner" in out["linked_login"][2]
    # ...a new one goes to /register, whose pre-filled form registers and resumes the pipeline.
    assert out["new_login"] == [302, "/register"]
    assert out["register_form"]["auto_submit"] and out["register_form"]["finish"] == "/auth/complete/ol-oauth2/"
    assert out["register_form"]["fields"]["username"] == "newperson"
    assert out["new_registered"][0] == 200
    assert out["new_finished"][:2] == [302, "/dashboard"] and "newperson" in out["new_finished"][2]
    assert out["links_after"] == [["newperson", "newperson"], ["testlearner", "testlearner"]]
    # set_id_verification_status (enable_sso_id_verification): one approved SSOVerification per user and provider.
    assert out["sso_verifications"] == [
        [name, "approved", "third_party_auth.models.OAuth2ProviderConfig", "ol-oauth2"] for name in ("newperson", "testlearner")
    ]
    # The rest of edX's pipeline (third_party_auth/pipeline.py, utils.py).
    assert out["cookie_pass"][:2] == [302, "/auth/complete/ol-oauth2/"]
    assert {"edxloggedin", "edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature"} <= set(out["cookie_pass"][2])
    assert out["no_auth_entry"] == [302, "/dashboard"], "parse_query_params defaults auth_entry to login"
    assert out["email_match"][:2] == [302, "/dashboard"] and "lms-name-differs" in out["email_match"][2]
    assert out["inactive_email"] == [302, "/login"]
    assert out["disabled"] == [403, '"Your account is disabled"', 401]
    assert out["synced"] == [302, "/dashboard", "syncme@xpro.odl.local"]
    assert out["course_anonymous"] == 404 and out["course_bad_token"] == 401


COURSE_SCRIPT = r"""
import json, os, sys
from datetime import timedelta
import django
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

call_command("migrate", verbosity=0)
call_command("import", os.environ["ODL_COURSE_DATA_DIR"], "olx")
key = os.environ["ODL_COURSE_KEY"]
worker = User.objects.create(username="worker", is_staff=True)
learner = User.objects.create(username="testlearner")
app = Application.objects.create(name="worker-app", user=worker, client_type="confidential", authorization_grant_type="client-credentials")
tokens = {}
for user in (worker, learner):
    tokens[user.username] = AccessToken.objects.create(user=user, token="tok-" + user.username, application=app,
                                                       expires=timezone.now() + timedelta(days=1), scope="read write").token
out = {}

def call(method, path, who, body=None):
    r = getattr(Client(), method)(path, data=json.dumps(body) if body is not None else None, content_type="application/json",
                                  HTTP_AUTHORIZATION="Bearer " + tokens[who]) if method == "post" else \
        Client().get(path, HTTP_AUTHORIZATION="Bearer " + tokens[who])
    try:
        return [r.status_code, r.json()]
    except (ValueError, TypeError):  # no JSON body
        return [r.status_code, None]

enroll = lambda mode, user="testlearner", course=key: {"user": user, "mode": mode, "course_details": {"course_id": course}, "force_enrollment": True}
out["pro"] = call("post", "/api/enrollment/v1/enrollment", "worker", enroll("no-id-professional"))
out["audit"] = call("post", "/api/enrollment/v1/enrollment", "worker", enroll("audit"))
out["again"] = call("post", "/api/enrollment/v1/enrollment", "worker", enroll("audit"))
out["unknown_course"] = call("post", "/api/enrollment/v1/enrollment", "worker", enroll("audit", course="course-v1:No+Such+Course"))
out["unknown_user"] = call("post", "/api/enrollment/v1/enrollment", "worker", enroll("audit", user="nobody"))
out["learner_for_worker"] = call("post", "/api/enrollment/v1/enrollment", "testlearner", enroll("audit", user="worker"))
from urllib.parse import quote
out["list"] = call("get", f"/api/enrollment/v1/enrollments/?course_id={quote(key)}&username=testlearner,other", "worker")
out["list_as_learner"] = call("get", "/api/enrollment/v1/enrollments/", "testlearner")
out["own"] = call("get", "/api/enrollment/v1/enrollment", "testlearner")
out["courses"] = call("get", f"/api/courses/v1/courses/?course_keys={quote(key)}&username=worker&page=1&page_size=100", "worker")
out["courses_for_other"] = call("get", "/api/courses/v1/courses/?username=worker", "testlearner")
print("RESULT=" + json.dumps(out))
"""


def course_env(tmp_path: Path, app_url: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The stand-in's environment with the stack's generated course written out for its `import`."""
    from generator import course

    facts = course.facts("http://testserver")
    for name, text in course.files({"course": facts}).items():
        (tmp_path / "course" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "course" / name).write_text(text)
    return dict(_standin_env(tmp_path, app_url), ODL_COURSE_DATA_DIR=str(tmp_path / "course"), ODL_COURSE_KEY=facts["key"]), facts


def test_standin_lms_enrollment_and_course_list_answer_like_edx(tmp_path: Path, venvs: Any) -> None:
    """The endpoints the apps' course steps call (courses_standin/enrollment.py cites
    edx-platform), on the LMS stand-in with the stack's generated course imported."""
    env, facts = course_env(tmp_path, "http://app.invalid")
    out = _run(COURSE_SCRIPT, tmp_path, env)
    key = facts["key"]
    assert out["pro"] == [
        400,
        {"message": f"The [no-id-professional] course mode is expired or otherwise unavailable for course run [{key}]."},
    ]
    assert out["audit"][0] == 200 and out["audit"][1]["user"] == "testlearner" and out["audit"][1]["is_active"] is True
    assert out["audit"][1]["mode"] == "audit" and out["audit"][1]["course_details"]["course_id"] == key
    assert out["again"][0] == 200  # an existing enrollment is updated, not duplicated
    assert out["unknown_course"] == [400, {"message": "No course 'course-v1:No+Such+Course' found for enrollment"}]
    assert out["unknown_user"] == [406, {"message": "The user nobody does not exist."}]
    assert out["learner_for_worker"][0] == 404, "only staff enroll another user"
    assert [(r["user"], r["course_id"], r["mode"], r["is_active"]) for r in out["list"][1]["results"]] == [
        ("testlearner", key, "audit", True)
    ]
    assert out["list_as_learner"][0] == 403
    assert [e["course_details"]["course_id"] for e in out["own"][1]] == [key]
    assert out["courses"][0] == 200 and [(c["id"], c["name"], c["start"], c["pacing"]) for c in out["courses"][1]["results"]] == [
        (key, facts["display_name"], facts["start"], "self")
    ]
    assert out["courses"][1]["pagination"]["next"] is None
    assert out["courses_for_other"][0] == 403


RATELIMIT_SCRIPT = r"""
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.contrib.auth.models import User
call_command("migrate", verbosity=0)
form = dict(username="limited", email="limited@x.test", name="Limited", honor_code="true", password="pw-12345678")
app = lambda: Client(REMOTE_ADDR="172.30.0.5")  # every registration of a stack comes from the app container's IP
out = {"posts": [app().post("/user_api/v1/account/registration/", dict(form, username=f"u{i}", email=f"u{i}@x.test")).status_code
                 for i in range(2)]}
r = app().post("/user_api/v1/account/registration/", form)
out["limited"] = [r.status_code, r.json()]
out["limited_user"] = User.objects.filter(username="limited").exists()
out["other_ip"] = Client(REMOTE_ADDR="172.30.0.6").post("/user_api/v1/account/registration/", form).status_code
print("RESULT=" + json.dumps(out))
"""


def test_standin_lms_rate_limits_registration_per_client_ip(tmp_path: Path, venvs: Any) -> None:
    """register.py RegistrationView.post: ratelimit(key=REAL_IP_KEY, rate=REGISTRATION_RATELIMIT,
    method='POST', block=False), a limited request answered 403 forbidden-request. Here the limit
    is 2 per 7 days (upstream's default is 60/7d; the stack sets a development-sized one)."""
    env = dict(_standin_env(tmp_path, "http://app.invalid"), ODL_TEST_REGISTRATION_RATELIMIT="2/7d")
    out = _run(RATELIMIT_SCRIPT, tmp_path, env)
    assert out["posts"] == [200, 200]
    assert out["limited"] == [403, {"error_code": "forbidden-request"}] and not out["limited_user"]
    assert out["other_ip"] == 200


STALE_SCRIPT = r"""
import json, re
import django
django.setup()
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from third_party_auth.models import OAuth2ProviderConfig
call_command("migrate", verbosity=0)
listed = lambda: re.findall(r'data-provider-id="([^"]+)"', Client().get("/login").content.decode())
out = {"before": listed()}  # a /login rendered during init, before the provider row exists
site = Site.objects.create(domain="testserver", name="LMS")
OAuth2ProviderConfig(backend_name="ol-oauth2", slug="ol-oauth2", name="MIT app", enabled=True, visible=True, site=site).save()
out["after_save"] = listed()
cache.delete(OAuth2ProviderConfig.key_values_cache_key_name("backend_name"))  # what the bootstrap deletes after its commit
out["after_clear"] = listed()
print("RESULT=" + json.dumps(out))
"""


def test_standin_lms_login_page_keeps_a_stale_provider_list_until_its_key_is_cleared(tmp_path: Path, venvs: Any) -> None:
    """provider.py Registry lists providers from key_values('backend_name'), cached 600 s; config-models'
    save() deletes another key (key_values of all KEY_FIELDS), so the list stays stale."""
    out = _run(STALE_SCRIPT, tmp_path, _standin_env(tmp_path, "http://app.invalid"))
    assert out == {"before": [], "after_save": [], "after_clear": ["oa2-ol-oauth2"]}
