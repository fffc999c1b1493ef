"""MITx Online's trust in APISIX, as the stand-in does it (the real one is mitol-django-apigateway:
`mitol.apigateway.middleware.ApisixUserMiddleware` + its RemoteUserBackend; research/mit-apps.md §5).

APISIX's openid-connect plugin sends `X-Userinfo: base64(JSON userinfo)` on requests of a browser
that has a Keycloak session. The middleware takes `sub` as the remote user; the backend finds the
user by `global_id` (= sub), creating it (MITOL_APIGATEWAY_USERINFO_CREATE) or refreshing its
fields (…_UPDATE) with MITx Online's map: preferred_username→username, email, sub→global_id, name.
Off unless MITOL_APIGATEWAY_DISABLE_MIDDLEWARE is false, as in the app. Like the app, it checks
nothing about where the header came from: the stack's nginx keeps other senders' headers out.
"""

import base64
import binascii
import json
import logging
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import RemoteUserMiddleware

log = logging.getLogger(__name__)
HEADER = "HTTP_X_USERINFO"
USER_FIELDS = {"preferred_username": "username", "email": "email", "sub": "global_id", "name": "name"}


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def enabled() -> bool:
    return not _flag("MITOL_APIGATEWAY_DISABLE_MIDDLEWARE", True)


def decode_userinfo(request) -> dict | None:
    raw = request.META.get(HEADER)
    if not raw:
        return None
    try:
        data = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        log.warning("X-Userinfo is not base64 JSON: ignored")
        return None
    return data if isinstance(data, dict) and data.get("sub") else None


class ApisixUserMiddleware(RemoteUserMiddleware):
    header = HEADER

    def process_request(self, request):
        if not enabled():
            return None
        userinfo = decode_userinfo(request)
        if userinfo is None:
            # No (valid) header: RemoteUserMiddleware logs out a user it had logged in.
            request.META.pop(HEADER, None)
        else:
            request.META[HEADER] = userinfo["sub"]
            request.META["ODL_USERINFO"] = userinfo
            # Same user as the session's: keep the session (RemoteUserMiddleware compares
            # usernames, not global_id, and would log in again on every request).
            if request.user.is_authenticated and getattr(request.user, "global_id", "") == userinfo["sub"]:
                return None
        return super().process_request(request)


class ApisixRemoteUserBackend(RemoteUserBackend):
    create_unknown_user = False  # created below, from the userinfo, not from the bare sub

    def authenticate(self, request, remote_user):
        userinfo = (request.META.get("ODL_USERINFO") if request is not None else None) or {}
        if not remote_user or userinfo.get("sub") != remote_user:
            return None
        values = {field: str(userinfo[key]) for key, field in USER_FIELDS.items() if userinfo.get(key)}
        User = get_user_model()
        user = User.objects.filter(global_id=remote_user).first()
        if user is None:
            if not _flag("MITOL_APIGATEWAY_USERINFO_CREATE", False):
                return None
            user = User.objects.create(**values)
            log.info("API gateway: created user %s (sub %s)", user.username, remote_user)
        elif _flag("MITOL_APIGATEWAY_USERINFO_UPDATE", False):
            changed = [f for f, v in values.items() if getattr(user, f) != v]
            for field in changed:
                setattr(user, field, values[field])
            if changed:
                user.save(update_fields=changed)
        return user if self.user_can_authenticate(user) else None
