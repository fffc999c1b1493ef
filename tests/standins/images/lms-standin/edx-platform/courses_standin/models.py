from django.conf import settings
from django.db import models


class ImportedCourse(models.Model):
    """What the stand-in keeps of an imported course: its key, the course block's fields
    the course API returns, and the block tree (category/url_name/display_name)."""

    course_id = models.CharField(max_length=255, unique=True)
    org = models.CharField(max_length=255)
    number = models.CharField(max_length=255)
    run = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255)
    start = models.DateTimeField(null=True)
    enrollment_start = models.DateTimeField(null=True)
    enrollment_end = models.DateTimeField(null=True)
    self_paced = models.BooleanField(default=False)
    blocks = models.JSONField(default=list)


class CourseEnrollment(models.Model):
    """common/djangoapps/student/models/course_enrollment.py `CourseEnrollment` as far as the
    enrollment API shows it: (user, course_id) unique, mode, is_active, created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = models.CharField(max_length=255, db_index=True)
    mode = models.CharField(max_length=100, default="audit")
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = ("user", "course_id")
