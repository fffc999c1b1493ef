"""STAND-IN of MITx Online's `openedx.api` user functions (mitodl/mitxonline@b3c9730
openedx/api.py), same names and signatures, same order of Open edX calls:

- create_user(user, edx_username=None)        :82   create_edx_user, then create_edx_auth_token
- create_edx_user(user, edx_username=None)    :426  a DOT AccessToken for the user on
  OPENEDX_OAUTH_APP_NAME (Application.DoesNotExist when absent), reconcile_edx_username, skip when
  synced and the user's Open edX API answers, else the registration POST (:304-409) marking
  has_been_synced on 200, has_sync_error + sync_error_data on 400/409
- reconcile_edx_username(user, *, desired_username=None)  :474
- create_edx_auth_token(user)                 :530  only for a synced OpenEdxUser; the token dance
- repair_faulty_edx_user(user)                :727  create_edx_user, then the auth token when the
  user has no OpenEdxApiAuth; returns (created_user, created_auth_token)
- get_valid_edx_api_auth(user, ttl_in_seconds=60)  :796  refreshes an expiring access token

The registration runs under upstream's Redis lock (main.utils.get_redis_lock), with its leak.
Left out (not reachable in the stack's flows): username
suggestions/collisions (:227), the LTI duplicate-email fix, IGNORE_EDX_FAILURES' logging paths
beyond re-raising, legal address / profile fields (sent as None, as for a user without them).
"""

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from main.utils import get_redis_lock
from mitapp_standin import openedx_calls
from mitapp_standin.openedx_calls import (  # upstream: openedx.exceptions
    EdxApiEnrollErrorException,
    NoEdxApiAuthError,  # noqa: F401
    OpenEdXOAuth2Error,  # noqa: F401
    OpenEdxUserMissingError,
    UnknownEdxApiEnrollException,
)
from oauth2_provider.models import AccessToken, Application
from oauthlib.common import generate_token
from requests.exceptions import HTTPError

from openedx.models import OPENEDX_USERNAME_MAX_LEN, PLATFORM_EDX, OpenEdxApiAuth, OpenEdxUser

log = logging.getLogger(__name__)

OPENEDX_REQUEST_DEFAULTS = dict(honor_code=True)  # :64
OPENEDX_AUTH_COMPLETE_URL = "openedx-private-oauth-complete-no-apisix"  # :77
OPENEDX_AUTH_DEFAULT_TTL_IN_SECONDS = 60
OPENEDX_AUTH_MAX_TTL_IN_SECONDS = 60 * 60


def _ignore_edx_failures():
    return settings.FEATURES.get("IGNORE_EDX_FAILURES", False)


def create_user(user, edx_username=None):
    """:82 -- both halves, each re-raising unless IGNORE_EDX_FAILURES."""
    for step in (lambda: create_edx_user(user, edx_username), lambda: create_edx_auth_token(user)):
        try:
            step()
        except Exception:
            log.exception("Open edX sync failed for user: %s", user.id)
            if not _ignore_edx_failures():
                raise


def _build_user_data(user, current_username, access_token):
    """:107 -- the stand-in has no legal address / profile: those fields are None, as upstream's
    expressions give for a user without them."""
    return dict(
        username=current_username,
        email=user.email,
        name=user.name,
        country=None,
        state=None,
        gender=None,
        year_of_birth=None,
        level_of_education=None,
        provider=settings.OPENEDX_OAUTH_PROVIDER,
        access_token=access_token.token,
        **OPENEDX_REQUEST_DEFAULTS,
    )


def _set_edx_error(open_edx_user, data):
    """:297"""
    open_edx_user.has_sync_error = True
    open_edx_user.sync_error_data = data
    open_edx_user.save()


def _create_edx_user_request(open_edx_user, user, access_token):
    """:304 -- one attempt (no username suggestions here), under upstream's lock (:334-347, :408):
    a 120 s lock named after the user's global_id, 5 s to get it (else False), then an early
    `return True` for an already-synced row BEFORE the try/finally that releases it. That early
    return leaks the lock for 120 s (an upstream bug the bootstrap works around)."""
    lock_name = f"openedx-create-user-lock.{user.global_id}"
    lock = get_redis_lock(lock_name, expire=120)
    if not lock.acquire(timeout=5):
        log.debug("Failed to acquire lock: %s", lock_name)
        return False
    open_edx_user.refresh_from_db()
    if open_edx_user.has_been_synced:
        log.debug("User has already been synced")
        return True
    try:
        resp = openedx_calls.register(
            _build_user_data(user, open_edx_user.edx_username, access_token),
            settings.MITX_ONLINE_REGISTRATION_ACCESS_TOKEN,
        )
        if resp.status_code == 200:
            open_edx_user.has_been_synced = True
            open_edx_user.save()
            return True
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if resp.status_code in (400, 409):  # :142 _is_bad_request
            _set_edx_error(open_edx_user, data)
            return False
        resp.raise_for_status()
        return False
    finally:
        lock.release()


def _edx_user_exists(user):
    """:412 -- the user's own Open edX API answers (edx-api-client's user_info: GET
    /api/mobile/v0.5/my_user_info, its redirect to the user's page followed)."""
    try:
        auth = get_valid_edx_api_auth(user)
        resp = requests.get(
            openedx_calls.edx_url("/api/mobile/v0.5/my_user_info"),
            headers={"Authorization": f"Bearer {auth.access_token}"},
            timeout=30,
        )
        resp.raise_for_status()
    except Exception:
        return False
    return True


def create_edx_user(user, edx_username=None):
    """:426"""
    try:
        application = Application.objects.get(name=settings.OPENEDX_OAUTH_APP_NAME)
    except Application.DoesNotExist:
        log.exception("create_edx_user: OpenEdX OAuth application not found for user: %s", user.id)
        if not _ignore_edx_failures():
            raise
        return False
    access_token = AccessToken.objects.create(
        user=user,
        application=application,
        token=generate_token(),
        expires=timezone.now() + timedelta(hours=settings.OPENEDX_TOKEN_EXPIRES_HOURS),
    )
    if reconcile_edx_username(user, desired_username=edx_username):
        user.refresh_from_db()
    open_edx_user = user.openedx_users.first()
    if not open_edx_user.edx_username:
        log.warning("create_edx_user: skipping create for %s, no edx_username", user)
        return False
    if open_edx_user.has_been_synced and _edx_user_exists(user):
        return False
    try:
        return _create_edx_user_request(open_edx_user, user, access_token)
    except Exception:
        log.exception("create_edx_user: failed to create edX user for: %s", user.id)
        if not _ignore_edx_failures():
            raise
        return False


def reconcile_edx_username(user, *, desired_username=None):
    """:474 -- True when it set a username (no collision handling in the stand-in)."""
    edx_user, _ = OpenEdxUser.objects.get_or_create(platform=PLATFORM_EDX, user=user)
    if edx_user.edx_username:
        return False
    if desired_username and "@" not in desired_username:
        edx_username = desired_username
    else:
        edx_username = None if "@" in user.username or user.username == user.email else user.username
        edx_username = (edx_username or user.email.split("@")[0])[:OPENEDX_USERNAME_MAX_LEN]
    edx_user.edx_username = edx_user.desired_edx_username = edx_username
    edx_user.save()
    return True


@transaction.atomic
def create_edx_auth_token(user):
    """:530 -- None until the user is synced; reuses a complete row (:561)."""
    if not user.openedx_users.filter(edx_username__isnull=False, has_been_synced=True).exists():
        return None
    auth, _ = OpenEdxApiAuth.objects.select_for_update().get_or_create(user=user)
    if auth.refresh_token and auth.access_token:
        return auth
    redirect_uri = openedx_calls.private_complete_url(OPENEDX_AUTH_COMPLETE_URL)
    code = openedx_calls.authorization_code(user, redirect_uri)
    return _create_tokens_and_update_auth(auth, openedx_calls.code_grant_params(code, redirect_uri))


def _create_tokens_and_update_auth(auth, params):
    """:698 -- MITx Online raises on a failed token request."""
    resp = openedx_calls.post_token(params)
    resp.raise_for_status()
    return openedx_calls.store_tokens(auth, resp.json())


def repair_faulty_edx_user(user):
    """:727"""
    created_user, created_auth_token = False, False
    created_user = create_edx_user(user)
    if not hasattr(user, "openedx_api_auth"):
        create_edx_auth_token(user)
        created_auth_token = True
        if not user.openedx_users.filter(platform=PLATFORM_EDX).exists():
            edx_user, _ = user.openedx_users.get_or_create()
            edx_user.save()
    return created_user, created_auth_token


def get_valid_edx_api_auth(user, ttl_in_seconds=OPENEDX_AUTH_DEFAULT_TTL_IN_SECONDS):
    """:796 -- refresh with the refresh_token grant (:864) when the access token expires within the TTL."""
    assert ttl_in_seconds < OPENEDX_AUTH_MAX_TTL_IN_SECONDS
    expires_after = timezone.now() + timedelta(seconds=ttl_in_seconds)
    auth = OpenEdxApiAuth.objects.filter(user=user, access_token_expires_on__gt=expires_after).first()
    if auth:
        return auth
    with transaction.atomic():
        auth = OpenEdxApiAuth.objects.select_for_update().get(user=user)
        if auth.access_token_expires_on and auth.access_token_expires_on > expires_after:
            return auth
        return _create_tokens_and_update_auth(
            auth,
            dict(
                refresh_token=auth.refresh_token,
                grant_type="refresh_token",
                client_id=settings.OPENEDX_API_CLIENT_ID,
                client_secret=settings.OPENEDX_API_CLIENT_SECRET,
            ),
        )


# --- enrollment (openedx/api.py:973-1310) -------------------------------------------------------

EDX_DEFAULT_ENROLLMENT_MODE = "audit"  # openedx/constants.py:9-10


def get_edx_api_service_client():
    """:973"""
    return openedx_calls.service_client()


def get_edx_api_course_list_client():
    """:1162"""
    return get_edx_api_service_client().course_list


def existing_edx_enrollment(user, course_id, mode, is_active=True):
    """:1215 -- the service worker lists the user's enrollments in the course."""
    edx_client = get_edx_api_service_client()
    for enrollment in edx_client.enrollments.get_enrollments(course_id=course_id, usernames=[user.edx_username]):
        if enrollment.mode == mode and enrollment.is_active == is_active:
            return enrollment
    return None


def enroll_in_edx_course_runs(user, course_runs, *, mode=EDX_DEFAULT_ENROLLMENT_MODE, force_enrollment=True):
    """:1239 -- repair the Open edX user first, then enroll by username with the SERVICE-WORKER
    token (create_student_enrollment), unless the LMS already has the active enrollment."""
    edx_client = get_edx_api_service_client()
    try:
        repair_faulty_edx_user(user)
    except Exception as exc:
        raise OpenEdxUserMissingError(f"Failed to verify/create user {user.edx_username} in OpenEdX") from exc
    if not user.openedx_user_exists:
        raise OpenEdxUserMissingError(f"User {user.edx_username} does not exist in OpenEdX and could not be created")
    results = []
    for course_run in course_runs:
        try:
            enrollment = existing_edx_enrollment(user, course_run.courseware_id, mode=mode)
            if enrollment is None:
                enrollment = edx_client.enrollments.create_student_enrollment(
                    course_run.courseware_id, mode=mode, username=user.edx_username, force_enrollment=force_enrollment
                )
                if not enrollment.is_active:
                    enrollment = edx_client.enrollments.create_student_enrollment(
                        course_run.courseware_id, mode=mode, username=user.edx_username, force_enrollment=force_enrollment
                    )
            results.append(enrollment)
        except HTTPError as exc:
            raise EdxApiEnrollErrorException(user, course_run, exc) from exc
        except Exception as exc:
            raise UnknownEdxApiEnrollException(user, course_run, exc) from exc
    return results
