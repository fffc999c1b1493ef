"""TEST DOUBLE of mitodl/mitxonline openedx/api.py: create_user (:82), repair_faulty_edx_user
(:727) with upstream's shape (create the edX user, then the api auth only when the user has
none), talking to the bootstrap tier's fake LMS. The real request sequence (registration with
provider + access_token, the token dance through the LMS) is the engine tier's stand-in's job."""
from datetime import timedelta

import requests
from django.conf import settings
from django.utils import timezone

from openedx.models import OpenEdxApiAuth


def create_user(user, edx_username=None):
    create_edx_user(user, edx_username)
    create_edx_auth_token(user)


def create_edx_user(user, edx_username=None):
    row = user.openedx_users.first() or user.openedx_users.create(edx_username=edx_username or user.username)
    if row.has_been_synced:
        return False
    resp = requests.post(settings.OPENEDX_API_BASE_URL + "/user_api/v1/account/registration/", data={
        "username": row.edx_username, "email": user.email, "name": user.name,
        "provider": settings.OPENEDX_OAUTH_PROVIDER, "access_token": "app-token-for-" + user.username,
    }, timeout=10)
    if resp.status_code not in (200, 409):  # 409: already there (upstream checks the existing user)
        resp.raise_for_status()
    row.has_been_synced = True
    row.save()
    return resp.status_code == 200


def create_edx_auth_token(user):
    auth, _ = OpenEdxApiAuth.objects.get_or_create(user=user)
    if auth.refresh_token and auth.access_token:
        return auth
    resp = requests.post(settings.OPENEDX_API_BASE_URL + "/oauth2/access_token", data={
        "grant_type": "authorization_code", "code": user.edx_username,
        "client_id": settings.OPENEDX_API_CLIENT_ID, "client_secret": settings.OPENEDX_API_CLIENT_SECRET,
    }, timeout=10)
    resp.raise_for_status()
    result = resp.json()
    auth.access_token, auth.refresh_token = result["access_token"], result["refresh_token"]
    auth.access_token_expires_on = timezone.now() + timedelta(seconds=result["expires_in"])
    auth.save()
    return auth


def repair_faulty_edx_user(user):
    created_user = create_edx_user(user)
    created_auth_token = False
    if not hasattr(user, "openedx_api_auth"):
        create_edx_auth_token(user)
        created_auth_token = True
    return created_user, created_auth_token
