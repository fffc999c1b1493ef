"""STAND-IN of the LMS REST endpoints the MIT apps' course steps call, on Django REST framework
with the stand-in BearerAuthentication (edx-platform release/verawood.1):

- POST /api/enrollment/v1/enrollment (openedx/core/djangoapps/enrollments/views.py
  EnrollmentListView.post): body {"user", "mode", "course_details": {"course_id"},
  "force_enrollment"} as edx-api-client's create_student_enrollment sends it. Enrolling ANOTHER
  user needs staff (has_api_key_permissions; otherwise 404, as upstream hides the user); no
  course id -> 400; an unknown or unparsable course -> 400 "No course '<id>' found for
  enrollment"; an unknown user -> 406; a mode the course does not offer -> 400 "The [<mode>]
  course mode is expired or otherwise unavailable for course run [<id>]." (a course without
  CourseMode rows offers only `audit`, CourseMode.DEFAULT_MODE_SLUG); an existing enrollment is
  updated (mode, is_active). Answers the enrollment as serializers.py CourseEnrollmentSerializer.
- GET /api/enrollment/v1/enrollment: the requesting user's enrollments (EnrollmentListView.get).
- GET /api/enrollment/v1/enrollments/ (CourseEnrollmentsApiListView): staff only
  (IsAdminUser -> 403), filtered by course_id and comma-separated usernames, cursor-paginated
  {"next", "previous", "results": [{"created", "mode", "is_active", "user", "course_id"}]}.
- GET /api/courses/v1/courses/ (lms/djangoapps/course_api/views.py CourseListView): the
  courses of `course_keys` (comma-separated) visible to `username` (the requester's own, or
  anyone's for staff; 403 otherwise), paginated as {"results", "pagination": {"next", ...}}.
(/courses/<course_key>/ and the learning MFE's course home API: course_home.py.)
"""

from django.contrib.auth import get_user_model
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from openedx_standin.authentication import BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from courses_standin.models import CourseEnrollment, ImportedCourse
from courses_standin.views import _iso, course_json

AUTHENTICATION = (BearerAuthenticationAllowInactiveUser, SessionAuthenticationAllowInactiveUser)
DEFAULT_MODE = "audit"  # common/djangoapps/course_modes/models.py CourseMode.DEFAULT_MODE_SLUG


def _course(course_id):
    try:
        key = CourseKey.from_string(course_id or "")
    except InvalidKeyError:
        return None
    return ImportedCourse.objects.filter(course_id=str(key)).first()


def _serialized(enrollment, course):
    return {
        "created": _iso(enrollment.created),
        "mode": enrollment.mode,
        "is_active": enrollment.is_active,
        "course_details": {
            "course_id": course.course_id,
            "course_name": course.display_name,
            "enrollment_start": _iso(course.enrollment_start),
            "enrollment_end": _iso(course.enrollment_end),
            "course_start": _iso(course.start),
            "course_end": None,
            "invite_only": False,
            "course_modes": [{"slug": DEFAULT_MODE, "name": "Audit"}],
            "pacing_type": "Self Paced" if course.self_paced else "Instructor Paced",
        },
        "user": enrollment.user.username,
    }


class EnrollmentListView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = (permissions.IsAuthenticated,)

    def get(self, request):
        rows = CourseEnrollment.objects.filter(user=request.user).select_related("user")
        courses = {c.course_id: c for c in ImportedCourse.objects.filter(course_id__in=[r.course_id for r in rows])}
        return Response([_serialized(r, courses[r.course_id]) for r in rows if r.course_id in courses])

    def post(self, request):
        username = request.data.get("user", request.user.username)
        if username != request.user.username and not request.user.is_staff:
            return Response(status=404)
        course_id = (request.data.get("course_details") or {}).get("course_id")
        if not course_id:
            return Response(status=400, data={"message": "Course ID must be specified to create a new enrollment."})
        course = _course(course_id)
        if course is None:
            return Response(status=400, data={"message": f"No course '{course_id}' found for enrollment"})
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            return Response(status=406, data={"message": f"The user {username} does not exist."})
        mode = request.data.get("mode") or DEFAULT_MODE
        if mode != DEFAULT_MODE:
            return Response(
                status=400,
                data={
                    "message": (
                        f"The [{mode}] course mode is expired or otherwise unavailable for course run [{course.course_id}]."
                    )
                },
            )
        is_active = request.data.get("is_active", True)
        enrollment, _ = CourseEnrollment.objects.update_or_create(
            user=user,
            course_id=course.course_id,
            defaults={"mode": mode, "is_active": bool(is_active)},
        )
        return Response(_serialized(enrollment, course))


class CourseEnrollmentsApiListView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = (permissions.IsAdminUser,)

    def get(self, request):
        rows = CourseEnrollment.objects.select_related("user").order_by("created", "id")
        if request.query_params.get("course_id"):
            rows = rows.filter(course_id=request.query_params["course_id"])
        if request.query_params.get("username"):
            rows = rows.filter(user__username__in=request.query_params["username"].split(","))
        results = [
            {
                "created": _iso(r.created),
                "mode": r.mode,
                "is_active": r.is_active,
                "user": r.user.username,
                "course_id": r.course_id,
            }
            for r in rows
        ]
        return Response({"next": None, "previous": None, "results": results})


class CourseListView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = (permissions.IsAuthenticated,)

    def get(self, request):
        username = request.query_params.get("username") or request.user.username
        if username != request.user.username and not request.user.is_staff:
            return Response(status=403, data={"detail": "You do not have permission to perform this action."})
        courses = ImportedCourse.objects.order_by("course_id")
        # edx-api-client repeats the parameter; course_api/forms.py's MultiValueField also splits commas.
        keys = [k for value in request.query_params.getlist("course_keys") for k in value.split(",") if k]
        if keys:
            courses = courses.filter(course_id__in=keys)
        results = [course_json(request, c) for c in courses]
        return Response(
            {"results": results, "pagination": {"next": None, "previous": None, "count": len(results), "num_pages": 1}}
        )
