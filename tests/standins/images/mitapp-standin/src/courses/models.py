"""Both apps' course records, the fields the stack's course steps use (mitodl/mitxonline@b3c9730
courses/models.py: Course :942, CourseRun :1342 (courseware_id unique, run_tag, the synced
title/dates, live, is_self_paced, `products` generic relation), CourseRunEnrollment :2116
(user + run unique, active, edx_enrolled, enrollment_mode; `objects` only active rows,
`all_objects` every row); mitodl/mitxpro@92a8dcb courses/models.py the same names, plus
CourseRun.courseware_url_path :685 and courseware_url :743 (OPENEDX_BASE_REDIRECT_URL + path).
MITx Online's courseware_url is OPENEDX_COURSE_BASE_URL's host + /learn/course/<id>/home
(courses/utils.py get_courseware_url)."""
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models

from mitapp_standin.models import TimestampedModel


class Course(TimestampedModel):
    title = models.CharField(max_length=255)
    readable_id = models.CharField(max_length=255, unique=True)
    live = models.BooleanField(default=False)

    def __str__(self):
        return f"{self.readable_id} | {self.title}"


class CourseRun(TimestampedModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="courseruns")
    title = models.CharField(max_length=255)
    courseware_id = models.CharField(max_length=255, unique=True)
    run_tag = models.TextField(max_length=100)
    courseware_url_path = models.CharField(max_length=500, blank=True, null=True)  # noqa: DJ001  (xPro)
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    enrollment_start = models.DateTimeField(null=True, blank=True)
    enrollment_end = models.DateTimeField(null=True, blank=True)
    certificate_available_date = models.DateTimeField(null=True, blank=True)
    expiration_date = models.DateTimeField(null=True, blank=True)
    upgrade_deadline = models.DateTimeField(null=True, blank=True)
    live = models.BooleanField(default=False)
    is_self_paced = models.BooleanField(default=False)
    products = GenericRelation("ecommerce.Product", related_query_name="courserunproducts")

    class Meta:
        unique_together = ("course", "courseware_id", "run_tag")

    def __str__(self):
        return f"{self.title} ({self.courseware_id})"

    @property
    def readable_id(self):
        return self.courseware_id

    @property
    def courseware_url(self):
        if settings.STANDIN_APP == "xpro":
            path = self.courseware_url_path
            return urljoin(settings.OPENEDX_BASE_REDIRECT_URL, path) if path else None
        # mitxonline courses/utils.py:301-324, courses/constants.py:58 (an absolute path: only
        # the base URL's scheme and host count).
        return urljoin(settings.OPENEDX_COURSE_BASE_URL, f"/learn/course/{self.courseware_id}/home")


class ActiveEnrollmentManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(active=True)


class CourseRunEnrollment(TimestampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    run = models.ForeignKey(CourseRun, related_name="enrollments", on_delete=models.CASCADE)
    change_status = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    active = models.BooleanField(default=True)
    edx_enrolled = models.BooleanField(default=False)
    enrollment_mode = models.CharField(max_length=20, default="audit")

    objects = ActiveEnrollmentManager()
    all_objects = models.Manager()

    class Meta:
        unique_together = ("user", "run")

    def reactivate_and_save(self):
        self.active, self.change_status = True, None
        self.save()
