"""STAND-IN of what the learner-dashboard MFE reads from the LMS (edx-platform release/verawood.1):

- GET /api/mfe_config/v1 (lms/djangoapps/mfe_config_api/views.py MFEConfigView): 404 unless
  ENABLE_MFE_CONFIG_API; else settings.MFE_CONFIG, updated with MFE_CONFIG_OVERRIDES[?mfe=];
  every MFE's runtime configuration (LMS_BASE_URL among it), which Tutor's Caddyfile proxies on the
  MFE host;
- GET /api/learner_home/init (lms/djangoapps/learner_home/views.py InitializeView, serialized by
  serializers.py LearnerDashboardSerializer): authentication JwtAuthentication,
  BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser; IsAuthenticated
  (401 otherwise); {"emailConfirmation", "enterpriseDashboard", "platformSettings", "courses",
  "socialShareSettings", "suggestedCourses"}, one course card per enrollment of the user, newest
  first, each {"course": {courseName, courseNumber, ...}, "courseRun": {courseId, homeUrl, ...},
  "enrollment": {isEnrolled, mode, ...}, ...} (LearnerEnrollmentSerializer). The courses'
  homeUrl is the learning MFE's course home (openedx/features/course_experience course_home_url).
Not mimicked: masquerading (?user=), entitlements, programs, certificates, credit, grades, the
enterprise customer; those cards' fields are answered empty or false.
"""

from courses_standin.models import CourseEnrollment, ImportedCourse
from courses_standin.views import _iso
from django.conf import settings
from django.http import HttpResponseNotFound, JsonResponse
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from openedx_standin.authentication import BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser
from openedx_standin.jwt_auth import JwtAuthentication


def mfe_config(request):
    if not settings.ENABLE_MFE_CONFIG_API:
        return HttpResponseNotFound()
    config = dict(settings.MFE_CONFIG)
    mfe = request.GET.get("mfe")
    if mfe:
        config.update(settings.MFE_CONFIG_OVERRIDES.get(mfe, {}))
    return JsonResponse(config)


def course_home_url(course_id):
    """openedx/features/course_experience/__init__.py course_home_url -> url_helpers
    get_learning_mfe_home_url: <LEARNING_MICROFRONTEND_URL>/course/<key>/home."""
    return f"{settings.LEARNING_MICROFRONTEND_URL}/course/{course_id}/home"


def _card(enrollment, course):
    return {
        "course": {
            "bannerImgSrc": None,
            "courseName": course.display_name,
            "courseNumber": course.number,
            "socialShareUrl": None,
        },
        "courseProvider": {"name": course.org},
        "courseRun": {
            "isStarted": True,
            "isArchived": False,
            "courseId": course.course_id,
            "minPassingGrade": None,
            "startDate": _iso(course.start),
            "advertisedStart": None,
            "endDate": None,
            "homeUrl": course_home_url(course.course_id),
            "marketingUrl": None,
            "progressUrl": None,
            "unenrollUrl": None,
            "upgradeUrl": None,
            "resumeUrl": None,
        },
        "enrollment": {
            "accessExpirationDate": None,
            "isAudit": enrollment.mode == "audit",
            "hasStarted": False,
            "coursewareAccess": {"hasUnmetPrerequisites": False, "isTooEarly": False, "isStaff": False},
            "isVerified": False,
            "canUpgrade": False,
            "isAuditAccessExpired": False,
            "isEmailEnabled": False,
            "hasOptedOutOfEmail": False,
            "lastEnrolled": _iso(enrollment.created),
            "isEnrolled": enrollment.is_active,
            "mode": enrollment.mode,
        },
        "gradeData": {"isPassing": False},
        "certificate": None,
        "entitlement": {},
        "programs": {"relatedPrograms": []},
        "credit": {},
    }


class InitializeView(APIView):
    authentication_classes = (JwtAuthentication, BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser)
    permission_classes = (permissions.IsAuthenticated,)

    def get(self, request):
        user = request.user
        rows = list(CourseEnrollment.objects.filter(user=user).order_by("-created", "-id"))
        courses = {c.course_id: c for c in ImportedCourse.objects.filter(course_id__in=[r.course_id for r in rows])}
        catalog = getattr(settings, "CATALOG_MICROFRONTEND_URL", None)
        return Response(
            {
                "emailConfirmation": {"isNeeded": not user.is_active, "sendEmailUrl": ""},
                "enterpriseDashboard": None,
                "platformSettings": {
                    "supportEmail": "",
                    "billingEmail": "",
                    # learner_home/views.py get_platform_settings
                    "courseSearchUrl": f"{catalog}/courses" if settings.ENABLE_CATALOG_MICROFRONTEND and catalog else "",
                },
                "courses": [_card(r, courses[r.course_id]) for r in rows if r.course_id in courses],
                "socialShareSettings": {
                    "facebook": {"isEnabled": False, "socialBrand": "edX.org", "utmParams": ""},
                    "twitter": {"isEnabled": False, "socialBrand": "edX.org", "utmParams": ""},
                },
                "suggestedCourses": [],
            }
        )
