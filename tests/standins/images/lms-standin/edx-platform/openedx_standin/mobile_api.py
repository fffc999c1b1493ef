"""STAND-IN of the two mobile API views the MIT apps' `_edx_user_exists` reaches (edx-api-client's
user_info: GET /api/mobile/v0.5/my_user_info, followed to the user's page), as edx-platform has them:

- lms/urls.py mounts lms/djangoapps/mobile_api/urls.py at api/mobile/<api_version>/ (v0.5..v4);
  mobile_api/urls.py: `my_user_info` (name "user-info"), users/urls.py: `users/<username>`
  (UserDetail, name "user-detail").
- mobile_api/decorators.py mobile_view -> openedx/core/lib/api/view_utils.py view_auth_classes:
  JWT (not served here), BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser;
  IsAuthenticated (401 otherwise); with is_user=True also IsUserInUrl
  (openedx/core/lib/api/permissions.py: another user's page is 404, or 403 to staff).
- mobile_api/users/views.py my_user_info: sends `user_logged_in` (upstream's comment: it updates
  last_login from here) and redirects (302) to "user-detail" of request.user.
- mobile_api/users/views.py UserDetail with users/serializers.py UserSerializer: id, username,
  email, name (the profile's name; here get_full_name), course_enrollments (the URL of
  users/<username>/course_enrollments/, which the stand-in does not serve: tests/engine/README.md).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from openedx_standin.user_api import AUTHENTICATION

# lms/djangoapps/mobile_api/utils.py API_V05..API_V4, as lms/urls.py's api_version group.
API_VERSION = r"(?P<api_version>v(4|3|2|1|0\.5))"


class IsUserInUrl(permissions.BasePermission):
    """openedx/core/lib/api/permissions.py IsUserInUrl."""

    def has_permission(self, request, view):
        if request.user.username.lower() != view.kwargs.get("username", "").lower():
            if request.user.is_staff:
                return False
            raise Http404()
        return True


class MyUserInfoView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = (permissions.IsAuthenticated,)

    def get(self, request, api_version):
        user_logged_in.send(sender=get_user_model(), user=request.user, request=request)
        return redirect("user-detail", api_version=api_version, username=request.user.username)


class UserDetailView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = (permissions.IsAuthenticated, IsUserInUrl)

    def get(self, request, api_version, username):
        user = get_object_or_404(get_user_model(), username=username)
        return Response(
            {
                "id": user.id,
                "username": user.username,
                "email": user.email,
                "name": user.get_full_name() or user.first_name,
                "course_enrollments": request.build_absolute_uri(
                    f"/api/mobile/{api_version}/users/{user.username}/course_enrollments/"
                ),
            }
        )
