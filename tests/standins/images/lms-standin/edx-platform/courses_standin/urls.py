from django.urls import re_path

from courses_standin import enrollment, views

# course_api/urls.py: settings.COURSE_KEY_PATTERN matches the key up to the slash.
urlpatterns = [
    re_path(r"^v1/courses/?$", enrollment.CourseListView.as_view()),
    re_path(r"^v1/courses/(?P<course_key_string>[^/]+)/$", views.course_detail),
]
