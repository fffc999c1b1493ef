"""STAND-IN of the LMS course API's detail view (lms/djangoapps/course_api/views.py
`CourseDetailView`, routed at `courses/v1/courses/<course_key>/` by course_api/urls.py and
mounted at `api/courses/` by lms/urls.py): anonymous callers allowed
(`@view_auth_classes(is_authenticated=False)`), but credentials that are sent must be valid (an
unknown or expired bearer token is 401, as openedx/core/lib/api/authentication.py
BearerAuthentication raises); 404 for an unknown key, 400 for a malformed one; the fields of
CourseSerializer the stack reads."""

from django.http import JsonResponse
from oauth2_provider.oauth2_backends import get_oauthlib_core
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from courses_standin.models import ImportedCourse


def _user(request):
    if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer "):
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        return oauth_request.user if valid and oauth_request.user.is_active else None
    return request.user if request.user.is_authenticated else None


def _iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def course_detail(request, course_key_string):
    if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer ") and _user(request) is None:
        return JsonResponse({"detail": "Invalid token."}, status=401)
    try:
        key = CourseKey.from_string(course_key_string)
    except InvalidKeyError:
        return JsonResponse({"detail": f"The provided course key cannot be parsed: {course_key_string}"}, status=400)
    course = ImportedCourse.objects.filter(course_id=str(key)).first()
    if course is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    return JsonResponse(course_json(request, course))


def course_json(request, course):
    """The CourseSerializer fields the stack and the apps' sync read (edx-api-client CourseDetail)."""
    return {
        "id": course.course_id,
        "course_id": course.course_id,
        "name": course.display_name,
        "org": course.org,
        "number": course.number,
        "start": _iso(course.start),
        "end": None,
        "enrollment_start": _iso(course.enrollment_start),
        "enrollment_end": _iso(course.enrollment_end),
        "certificate_available_date": None,
        "pacing": "self" if course.self_paced else "instructor",
        "blocks_url": request.build_absolute_uri(f"/api/courses/v2/blocks/?course_id={course.course_id}"),
    }
