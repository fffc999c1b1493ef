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
    self_paced = models.BooleanField(default=False)
    blocks = models.JSONField(default=list)
