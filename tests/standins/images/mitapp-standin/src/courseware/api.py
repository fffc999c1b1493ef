"""STAND-IN of xPro's `courseware.api` user functions (mitodl/mitxpro@92a8dcb courseware/api.py),
same names and signatures, same order of Open edX calls:

- create_user(user)                :94   create_edx_user, then create_edx_auth_token
- get_existing_openedx_user(user)  :105  GET /api/user/v1/accounts?email= with the service-worker token
- create_edx_user(user)            :163  a DOT AccessToken for the user on OPENEDX_OAUTH_APP_NAME, then
  inside one transaction: CoursewareUser get_or_create (nothing more when it existed), the
  registration POST; on non-200 the edX account found by email is adopted (the app user's
  username follows edX's) or CoursewareUserCreateError rolls the CoursewareUser back
- create_edx_auth_token(user)      :218  the token dance (no synced-user precondition in xPro)
- _create_tokens_and_update_auth   :336  a failed token request deletes the auth row, returns None
- repair_faulty_edx_user(user)     :371  create_edx_user when no CoursewareUser, the auth token when
  no OpenEdxApiAuth; returns (created_user, created_auth_token)
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from mitapp_standin import openedx_calls
from mitapp_standin.openedx_calls import (  # upstream: courseware.exceptions
    EdxApiEnrollErrorException,
    NoEdxApiAuthError,  # noqa: F401
    OpenEdXOAuth2Error,  # noqa: F401
    OpenEdxUserMissingError,  # noqa: F401  (MITx Online's; xPro's create_run_enrollments does not catch it)
    UnknownEdxApiEnrollException,
)
from oauth2_provider.models import AccessToken, Application
from oauthlib.common import generate_token
from requests.exceptions import HTTPError

from courseware.models import PLATFORM_EDX, CoursewareUser, OpenEdxApiAuth

log = logging.getLogger(__name__)

OPENEDX_USER_ACCOUNT_DETAIL_PATH = "/api/user/v1/accounts"  # :51
OPENEDX_REQUEST_DEFAULTS = dict(country="US", honor_code=True)  # :53


class CoursewareUserCreateError(Exception):
    """Upstream: courseware.exceptions.CoursewareUserCreateError."""


@dataclass(frozen=True)
class OpenEdxUser:
    """:68"""

    user: object
    openedx_data: dict

    def is_username_match(self):
        return self.user.username == self.openedx_data.get("username")


def create_user(user):
    """:94"""
    create_edx_user(user)
    create_edx_auth_token(user)


def get_existing_openedx_user(user):
    """:105"""
    resp = requests.get(
        openedx_calls.edx_url(OPENEDX_USER_ACCOUNT_DETAIL_PATH),
        params={"email": user.email},
        headers={"Authorization": f"Bearer {settings.OPENEDX_SERVICE_WORKER_API_TOKEN}"},
        timeout=30,
    )
    if resp.status_code == 200 and resp.headers.get("Content-Type", "").startswith("application/json"):
        users_data = resp.json()
        if len(users_data) > 0:
            return OpenEdxUser(user, users_data[0])
    return None


def _summary(resp):
    return f"Response - code: {resp.status_code}, content: {resp.text[:500]}"


def create_edx_user(user):
    """:163"""
    application = Application.objects.get(name=settings.OPENEDX_OAUTH_APP_NAME)
    access_token = AccessToken.objects.create(
        user=user,
        application=application,
        token=generate_token(),
        expires=timezone.now() + timedelta(hours=settings.OPENEDX_TOKEN_EXPIRES_HOURS),
    )
    with transaction.atomic():
        _, created = CoursewareUser.objects.select_for_update().get_or_create(user=user, platform=PLATFORM_EDX)
        if not created:
            return
        resp = openedx_calls.register(
            dict(
                username=user.username,
                email=user.email,
                name=user.name,
                provider=settings.OPENEDX_OAUTH_PROVIDER,
                access_token=access_token.token,
                **OPENEDX_REQUEST_DEFAULTS,
            ),
            settings.MITXPRO_REGISTRATION_ACCESS_TOKEN,
        )
        if resp.status_code != 200:
            openedx_user = get_existing_openedx_user(user)
            if not openedx_user:
                raise CoursewareUserCreateError(f"Error creating Open edX user. {_summary(resp)}")
            if not openedx_user.is_username_match():
                user.username = openedx_user.openedx_data["username"]
                try:
                    user.save()
                except IntegrityError:
                    raise CoursewareUserCreateError(f"Error creating Open edX user. {_summary(resp)}") from None


@transaction.atomic
def create_edx_auth_token(user):
    """:218"""
    auth, _ = OpenEdxApiAuth.objects.select_for_update().get_or_create(user=user)
    if auth.refresh_token and auth.access_token:
        return auth
    redirect_uri = openedx_calls.private_complete_url("openedx-private-oauth-complete")
    code = openedx_calls.authorization_code(user, redirect_uri)
    return _create_tokens_and_update_auth(auth, openedx_calls.code_grant_params(code, redirect_uri))


def _create_tokens_and_update_auth(auth, params):
    """:336"""
    resp = openedx_calls.post_token(params)
    if resp.status_code != 200:
        log.info("Auth token for user %s failed, creating a new one", auth.user.username)
        auth.delete()
        return None
    return openedx_calls.store_tokens(auth, resp.json())


def repair_faulty_edx_user(user):
    """:371"""
    created_user, created_auth_token = False, False
    if not user.courseware_users.filter(platform=PLATFORM_EDX).exists():
        create_edx_user(user)
        created_user = True
    if not hasattr(user, "openedx_api_auth"):
        created_auth_token = create_edx_auth_token(user) is not None
    return created_user, created_auth_token


# --- enrollment (courseware/api.py:521-690) -----------------------------------------------------

EDX_ENROLLMENT_PRO_MODE = "no-id-professional"  # courseware/constants.py:8
EDX_ENROLLMENT_AUDIT_MODE = "audit"
PRO_ENROLL_MODE_ERROR_TEXTS = (  # courseware/constants.py:10-13 (the first of them)
    f"The [{EDX_ENROLLMENT_PRO_MODE}] course mode is expired or otherwise unavailable for course run",
)


def get_edx_api_service_client():
    """:521"""
    return openedx_calls.service_client()


def get_edx_api_course_list_client():
    """:552"""
    return get_edx_api_service_client().course_list


def _enroll(edx_client, user, course_run, mode, force_enrollment):
    return edx_client.enrollments.create_student_enrollment(
        course_run.courseware_id, mode=mode, username=user.username, force_enrollment=force_enrollment
    )


def enroll_in_edx_course_runs(user, course_runs, force_enrollment=True):
    """:623 -- the SERVICE-WORKER token enrolls the user by username in the professional mode;
    when the LMS says that mode is unavailable, in audit instead."""
    edx_client = get_edx_api_service_client()
    results = []
    for course_run in course_runs:
        try:
            results.append(_enroll(edx_client, user, course_run, EDX_ENROLLMENT_PRO_MODE, force_enrollment))
        except HTTPError as exc:
            try:
                error_msg = exc.response.json().get("message", "")
            except ValueError:
                raise EdxApiEnrollErrorException(user, course_run, exc) from exc
            if not any(text in error_msg for text in PRO_ENROLL_MODE_ERROR_TEXTS):
                raise EdxApiEnrollErrorException(user, course_run, exc) from exc
            log.error(
                "Failed to enroll user in %s with '%s' mode. Attempting '%s' mode instead.",
                course_run.courseware_id,
                EDX_ENROLLMENT_PRO_MODE,
                EDX_ENROLLMENT_AUDIT_MODE,
            )
            try:
                results.append(_enroll(edx_client, user, course_run, EDX_ENROLLMENT_AUDIT_MODE, force_enrollment))
            except HTTPError as inner_exc:
                raise EdxApiEnrollErrorException(user, course_run, inner_exc) from inner_exc
            except Exception as inner_exc:
                raise UnknownEdxApiEnrollException(user, course_run, inner_exc) from inner_exc
        except Exception as exc:
            raise UnknownEdxApiEnrollException(user, course_run, exc) from exc
    return results
