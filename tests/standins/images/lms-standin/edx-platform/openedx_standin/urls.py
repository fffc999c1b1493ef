from courses_standin import course_home, enrollment
from django.contrib import admin
from django.urls import include, path, re_path
from oauth2_provider import views as dot_views
from openedx.core.djangoapps.user_authn.views import password_reset

from openedx_standin import learner_home, mobile_api, oauth_dispatch, registration, user_api, views

urlpatterns = [
    re_path(r"^heartbeat/?$", views.heartbeat),
    path("api/user/v1/me", user_api.MeView.as_view()),
    re_path(r"^api/user/v1/accounts/?$", user_api.AccountsView.as_view()),
    re_path(r"^api/user/v1/accounts/(?P<username>[\w.@+-]+)/?$", user_api.AccountsView.as_view()),
    re_path(r"^api/third_party_auth/v0/users/(?P<username>[\w.@+-]+)/?$", user_api.ThirdPartyAuthUserView.as_view()),
    # lms/urls.py api/mobile/<api_version>/ -> mobile_api/urls.py, mobile_api/users/urls.py.
    re_path(r"^api/mobile/" + mobile_api.API_VERSION + r"/my_user_info$", mobile_api.MyUserInfoView.as_view(), name="user-info"),
    re_path(
        r"^api/mobile/" + mobile_api.API_VERSION + r"/users/(?P<username>[\w.@+-]+)$",
        mobile_api.UserDetailView.as_view(),
        name="user-detail",
    ),
    re_path(r"^user_api/v1/account/registration/?$", registration.registration),
    path("register", registration.register_page),
    path("login", registration.login_page),
    # openedx/core/djangoapps/user_authn/urls_common.py: the password reset and the login session.
    path("password_reset/", password_reset.password_reset, name="password_change_request"),
    re_path(
        r"^password_reset_confirm/(?P<uidb36>[0-9A-Za-z]+)-(?P<token>.+)/$",
        password_reset.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password_reset_complete/", password_reset.password_reset_complete, name="password_reset_complete"),
    re_path(r"^api/user/v1/account/login_session/?$", password_reset.login_user, name="user_api_login_session"),
    path("", views.index),
    path("dashboard", views.dashboard),
    path("logout", views.logout),
    path("auth/error", views.auth_error),
    path("auth/", include("social_django.urls", namespace="social")),
    # openedx/core/djangoapps/oauth_dispatch/urls.py: edX's paths, trailing slash optional,
    # served by DOT's views; the token view wrapped as edX's AccessTokenView (oauth_dispatch.py).
    re_path(r"^oauth2/authorize/?$", dot_views.AuthorizationView.as_view(), name="authorize"),
    re_path(r"^oauth2/access_token/?$", oauth_dispatch.AccessTokenView.as_view(), name="access_token"),
    re_path(r"^oauth2/revoke_token/?$", dot_views.RevokeTokenView.as_view(), name="revoke_token"),
    path("oauth2/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("admin/", admin.site.urls),
    path("api/courses/", include("courses_standin.urls")),
    # openedx/core/djangoapps/enrollments/urls.py, mounted at api/enrollment/v1/ by lms/urls.py.
    re_path(r"^api/enrollment/v1/enrollment$", enrollment.EnrollmentListView.as_view()),
    re_path(r"^api/enrollment/v1/enrollments/?$", enrollment.CourseEnrollmentsApiListView.as_view()),
    # lms/urls.py `course_root` (settings.COURSE_ID_PATTERN).
    re_path(r"^courses/(?P<course_id>[^/+]+(/|\+)[^/+]+(/|\+)[^/?]+)/$", course_home.course_about),
    # lms/urls.py api/course_home/ -> course_home_api/urls.py (settings.COURSE_KEY_PATTERN).
    re_path(
        r"^api/course_home/course_metadata/(?P<course_key_string>[^/+]+(/|\+)[^/+]+(/|\+)[^/?]+)$",
        course_home.CourseHomeMetadataView.as_view(),
    ),
    # lms/urls.py api/learner_home/ -> learner_home/urls.py `init`; api/mfe_config/v1 -> mfe_config_api.
    re_path(r"^api/learner_home/init/?$", learner_home.InitializeView.as_view()),
    re_path(r"^api/mfe_config/v1/?$", learner_home.mfe_config),
]
