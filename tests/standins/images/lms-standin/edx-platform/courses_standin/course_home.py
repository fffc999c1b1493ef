"""STAND-IN of what a learner's browser gets for a course from the LMS (edx-platform release/verawood.1):

- GET /courses/<course_key>/ (lms/urls.py `course_root` -> lms/djangoapps/courseware/views/views.py
  course_about): not a page on the real LMS. A key the learner cannot self-enroll in (a CCX key,
  courseware/courses.py can_self_enroll_in_course) -> 302 to the dashboard; with the catalog MFE on
  (branding/toggles.py use_catalog_mfe: ENABLE_CATALOG_MICROFRONTEND, which Tutor's mfe plugin
  renders True) -> 301 to common/djangoapps/util/course.py get_link_for_about_page:
  <CATALOG_MICROFRONTEND_URL>/courses/<key>/about (a static page of the catalog MFE, which answers
  200 for any key); otherwise the legacy about page (lms/templates/courseware/course_about.html:
  "You are enrolled in this course" to an enrolled learner). ENABLE_MKTG_SITE's course-home
  redirect is off in the stack and not mimicked.
- GET /api/course_home/course_metadata/<course_key> (lms/djangoapps/course_home_api/urls.py,
  course_metadata/views.py CourseHomeMetadataView.get, serializers.py CourseHomeMetadataSerializer):
  the metadata every page of the learning MFE's course home loads first (frontend-app-learning
  src/course-home/data/api.js getCourseHomeCourseMetadata). Authentication JwtAuthentication,
  BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser; an unknown course
  -> 404; else course_id, username (null when anonymous), is_enrolled (an active CourseEnrollment),
  course_access = check_course_access(course, user, 'load', check_if_enrolled=True,
  check_if_authenticated=True).to_json(): anonymous -> authentication_required, not enrolled ->
  enrollment_required, else granted; title, org, number, start, is_self_paced, is_staff.
Not mimicked: masquerading, course tabs (answered empty), celebrations, course modes beyond audit,
start-date and prerequisite access errors, staff access without enrollment.
"""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.html import escape
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from openedx_standin.authentication import BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser
from openedx_standin.jwt_auth import JwtAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from courses_standin.models import CourseEnrollment, ImportedCourse
from courses_standin.views import _iso


def _key(course_id):
    try:
        return CourseKey.from_string(course_id or "")
    except InvalidKeyError:
        return None


def _enrolled(user, course_id):
    return user.is_authenticated and CourseEnrollment.objects.filter(user=user, course_id=course_id, is_active=True).exists()


def course_about(request, course_id):
    key = _key(course_id)  # @ensure_valid_course_key: 404 for a key that does not parse
    if key is None:
        raise Http404
    if hasattr(key, "ccx"):
        return redirect("/dashboard")
    course = ImportedCourse.objects.filter(course_id=str(key)).first()
    if course is None:
        raise Http404
    if settings.ENABLE_CATALOG_MICROFRONTEND:
        return redirect(f"{settings.CATALOG_MICROFRONTEND_URL}/courses/{course.course_id}/about", permanent=True)
    status = "You are enrolled in this course" if _enrolled(request.user, course.course_id) else "Enroll Now"
    return HttpResponse(f"<html><body><h1>{escape(course.display_name)}</h1><p>{status}</p></body></html>")


def _access(code=None, message=None):
    """courseware/access_response.py AccessResponse.to_json."""
    return {
        "has_access": code is None,
        "error_code": code,
        "developer_message": message,
        "user_message": message,
        "additional_context_user_message": None,
        "user_fragment": None,
    }


class CourseHomeMetadataView(APIView):
    authentication_classes = (JwtAuthentication, BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser)

    def get(self, request, course_key_string):
        key = _key(course_key_string)
        course = ImportedCourse.objects.filter(course_id=str(key)).first() if key else None
        if course is None:
            return Response({"detail": "Not found."}, status=404)
        user = request.user
        enrolled = _enrolled(user, course.course_id)
        if not user.is_authenticated:
            access = _access("authentication_required", "Authentication required")
        elif not enrolled and not user.is_staff:
            access = _access("enrollment_required", "You must be enrolled in the course")
        else:
            access = _access()
        return Response(
            {
                "course_id": course.course_id,
                "username": user.username if user.is_authenticated else None,
                "is_enrolled": enrolled,
                "is_self_paced": course.self_paced,
                "is_staff": bool(user.is_authenticated and user.is_staff),
                "original_user_is_staff": bool(user.is_authenticated and user.is_staff),
                "studio_access": False,
                "number": course.number,
                "org": course.org,
                "start": _iso(course.start),
                "tabs": [],
                "title": course.display_name,
                "course_access": access,
                "celebrations": {},
                "user_timezone": None,
                "can_view_certificate": False,
                "course_modes": [{"slug": "audit", "name": "Audit"}],
                "is_new_discussion_sidebar_view_enabled": False,
                "has_course_author_access": False,
                "course_theme_variant": "",
            }
        )
