"""Each app's course records, with only fields the real app has (the stand-in runs as ONE app, so
only that app's concrete models exist; tests/bootstrap/test_app_standin_likeness.py holds the field lists).

- MITx Online (mitodl/mitxonline@b3c9730 courses/models.py): CourseRun :1342 (course :1348,
  title, courseware_id :1355 unique, run_tag, start/end/certificate_available/enrollment
  start+end/expiration/upgrade dates :1364-1400, live :1407, is_self_paced :1408, products :1409);
  its clean() :1639 checks only expiration_date. CourseRunEnrollment :2116 (run :2121
  related_name "enrollments", edx_enrolled :2124) on EnrollmentModel :1980 (user :1986,
  change_status :1987, active :1990, enrollment_mode :1994).
- xPro (mitodl/mitxpro@92a8dcb courses/models.py): CourseRun :669 (course :673, title :677,
  courseware_id :678 unique, run_tag :681, courseware_url_path :685, start/end/enrollment
  start+end :687-690, expiration_date :691, live :697, products :698); save() :806 calls
  clean() :789, which refuses what mitxpro/utils.py:645 validate_courserun_dates refuses.
  CourseRunEnrollment :877 (run :882, edx_enrolled :883) on EnrollmentModel :825 (user :831,
  change_status :836, active :839): no enrollment_mode, no is_self_paced.
Left out (the stack's steps never touch them): pages, languages, B2B, orders, companies.
MITx Online's courseware_url is OPENEDX_COURSE_BASE_URL's host + /learn/course/<id>/home
(courses/utils.py get_courseware_url); xPro's OPENEDX_BASE_REDIRECT_URL + path (:743)."""

from urllib.parse import urljoin

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from mitapp_standin.models import TimestampedModel

XPRO = settings.STANDIN_APP == "xpro"


class Course(TimestampedModel):
    title = models.CharField(max_length=255)
    readable_id = models.CharField(max_length=255, unique=True)
    live = models.BooleanField(default=False)

    def __str__(self):
        return f"{self.readable_id} | {self.title}"


class _CourseRun(TimestampedModel):
    """The fields both apps' CourseRun have."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="courseruns")
    title = models.CharField(max_length=255)
    courseware_id = models.CharField(max_length=255, unique=True)
    run_tag = models.TextField(max_length=100)
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    enrollment_start = models.DateTimeField(null=True, blank=True)
    enrollment_end = models.DateTimeField(null=True, blank=True)
    expiration_date = models.DateTimeField(null=True, blank=True)
    live = models.BooleanField(default=False)
    products = GenericRelation("ecommerce.Product", related_query_name="courserunproducts")

    class Meta:
        abstract = True
        unique_together = ("course", "courseware_id", "run_tag")

    def __str__(self):
        return f"{self.title} ({self.courseware_id})"

    @property
    def readable_id(self):
        return self.courseware_id

    def save(self, *args, **kwargs):
        # Both apps: save() calls clean() first (mitxpro :806-823, mitxonline :1660).
        self.clean()
        super().save(*args, **kwargs)


class ActiveEnrollmentManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(active=True)


class _CourseRunEnrollment(TimestampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    run = models.ForeignKey("courses.CourseRun", related_name="enrollments", on_delete=models.CASCADE)
    change_status = models.CharField(max_length=20, null=True, blank=True)
    active = models.BooleanField(default=True)
    edx_enrolled = models.BooleanField(default=False)

    objects = ActiveEnrollmentManager()
    all_objects = models.Manager()

    class Meta:
        abstract = True
        unique_together = ("user", "run")

    def reactivate_and_save(self):
        self.active, self.change_status = True, None
        self.save()


if XPRO:
    from courses.dates import validate_courserun_dates

    class CourseRun(_CourseRun):
        courseware_url_path = models.CharField(max_length=500, blank=True, null=True)

        class Meta(_CourseRun.Meta):
            pass

        def clean(self):
            ok, error = validate_courserun_dates(
                self.start_date, self.end_date, self.enrollment_end, self.enrollment_start, self.expiration_date
            )
            if not ok:
                raise ValidationError(error)

        @property
        def courseware_url(self):
            path = self.courseware_url_path
            return urljoin(settings.OPENEDX_BASE_REDIRECT_URL, path) if path else None

    class CourseRunEnrollment(_CourseRunEnrollment):
        class Meta(_CourseRunEnrollment.Meta):
            pass

else:

    class CourseRun(_CourseRun):
        certificate_available_date = models.DateTimeField(null=True, blank=True)
        upgrade_deadline = models.DateTimeField(null=True, blank=True)
        is_self_paced = models.BooleanField(default=False)

        class Meta(_CourseRun.Meta):
            pass

        def clean(self):
            # mitxonline :1639-1658 (clean_language left out: no languages here).
            if not self.expiration_date:
                return
            if self.start_date and self.expiration_date < self.start_date:
                raise ValidationError("Expiration date must be later than start date.")
            if self.end_date and self.expiration_date < self.end_date:
                raise ValidationError("Expiration date must be later than end date.")

        @property
        def courseware_url(self):
            # mitxonline courses/utils.py:301-324, courses/constants.py:58 (an absolute path: only
            # the base URL's scheme and host count).
            return urljoin(settings.OPENEDX_COURSE_BASE_URL, f"/learn/course/{self.courseware_id}/home")

    class CourseRunEnrollment(_CourseRunEnrollment):
        enrollment_mode = models.CharField(max_length=20, default="audit")

        class Meta(_CourseRunEnrollment.Meta):
            pass
