"""STAND-IN of the LMS REST endpoints the bootstrap and the MIT apps read (edx-platform
release/verawood.1), on Django REST framework 3.16 with the stand-in BearerAuthentication:

- GET /api/user/v1/me (openedx/core/djangoapps/user_api/accounts/views.py AccountViewSet.get):
  {"username": ...} of the authenticated user; authentication JWT (not served here),
  BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser; 401 otherwise;
- GET /api/user/v1/accounts/<username> (AccountViewSet.retrieve) and GET /api/user/v1/accounts
  ?email= / ?username= (AccountViewSet.list, a JSON list): the user's own account or, for staff,
  anyone's in full; another user's account to a non-staff caller shows only the public fields
  (account_privacy defaults to private: username, profile_image, account_privacy); 404 for an
  unknown user; asking by `?email=` (or `?lms_user_id=`) needs a staff or superuser caller, else
  403 (user_api/accounts/permissions.py CanGetAccountInfo, in AccountViewSet.permission_classes);
- GET /api/third_party_auth/v0/users/<username or email> (common/djangoapps/third_party_auth/api/
  views.py UserView): {"active": [{"provider_id": "oa2-<backend>", "name", "remote_id"}]}, one
  entry per provider enabled on the current Site (pipeline.py get_provider_user_states over
  provider.py Registry.enabled(), so the config-models caches apply) that the user has a
  UserSocialAuth for; asking about ANOTHER user needs a
  superuser (a staff-only service worker gets 403, as ALLOW_UNPRIVILEGED_SSO_PROVIDER_QUERY is
  off); 404 for an unknown user. `remote_id` is the social uid (what the backend's ID_KEY gave).
"""

from django.contrib.auth import get_user_model
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView
from social_django.models import UserSocialAuth
from third_party_auth.provider import Registry

from openedx_standin.authentication import BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser

AUTHENTICATION = (BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser)
PUBLIC_FIELDS = ("username", "profile_image", "account_privacy")


def _account(user, full):
    data = {
        "username": user.username,
        "name": user.get_full_name() or user.first_name,
        "email": user.email,
        "id": user.id,
        "is_active": user.is_active,
        "date_joined": user.date_joined.isoformat() if user.date_joined else None,
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "profile_image": {"has_image": False},
        "account_privacy": "private",
        "requires_parental_consent": False,
        "country": None,
        "level_of_education": None,
        "gender": None,
        "year_of_birth": None,
        "language_proficiencies": [],
        "social_links": [],
        "extended_profile": [],
    }
    return data if full else {k: data[k] for k in PUBLIC_FIELDS}


class MeView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = (permissions.IsAuthenticated,)

    def get(self, request):
        return Response({"username": request.user.username})


class CanGetAccountInfo(permissions.BasePermission):
    """user_api/accounts/permissions.py CanGetAccountInfo."""

    def has_permission(self, request, view):
        return (request.GET.get("lms_user_id") is None and request.GET.get("email") is None) or (
            request.user.is_staff or request.user.is_superuser
        )


class AccountsView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = (permissions.IsAuthenticated, CanGetAccountInfo)

    def get(self, request, username=None):
        User = get_user_model()
        if username is not None:
            user = User.objects.filter(username=username).first()
            if user is None:
                return Response(status=404)
            return Response(_account(user, request.user.is_staff or user == request.user))
        if request.GET.get("email"):
            users = User.objects.filter(email__iexact=request.GET["email"])
        else:
            users = User.objects.filter(username__in=request.GET.get("username", "").split(","))
        if not users:
            return Response(status=404)
        return Response([_account(u, request.user.is_staff or u == request.user) for u in users])


class ThirdPartyAuthUserView(APIView):
    authentication_classes = AUTHENTICATION

    def get(self, request, username):
        kind = "email" if "@" in username else "username"
        own = getattr(request.user, kind, None) == username
        if not own and not request.user.is_superuser:
            return Response(status=403)
        user = get_user_model().objects.filter(**{kind: username}).first()
        if user is None:
            return Response(status=404)
        socials = list(UserSocialAuth.objects.filter(user=user).order_by("pk"))
        active = []
        for provider in Registry.enabled():
            social = next((s for s in socials if s.provider == provider.backend_name), None)  # match_social_auth
            if social is not None:
                active.append({"provider_id": provider.provider_id, "name": provider.name, "remote_id": social.uid})
        return Response({"active": active})
