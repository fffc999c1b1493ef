"""Both apps' `authentication.api.create_user_session` (mitodl/mitxonline@b3c9730
authentication/api.py:11, mitodl/mitxpro@92a8dcb authentication/api.py:9): a server-side
session for a user, which the Open edX token dance sends as the app's session cookie."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY


def create_user_session(user):
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session
