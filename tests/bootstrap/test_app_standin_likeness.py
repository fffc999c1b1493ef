"""The app stand-in is no kinder than the apps (issue 23 H): each app's course, product and user
models have only fields the real app has, and each behaves as that app does where the bootstrap depends on it.

The field lists are read from upstream (name: line of its courses/, ecommerce/, users/models.py) at the commits the
stand-in cites: mitodl/mitxpro@92a8dcb, mitodl/mitxonline@b3c9730. id, created_on and updated_on
come from both apps' TimestampedModel (mitol-django-common mitol/common/models.py).
"""

from __future__ import annotations

import json

import pytest
from bootstrap_helpers import DjangoSide

BASE = {"id", "created_on", "updated_on"}
# Both apps' User: Django's AbstractBaseUser (password, last_login) and PermissionsMixin.
AUTH_BASES = {"password", "last_login", "is_superuser", "groups", "user_permissions"}
REAL_FIELDS = {
    "xpro": {
        # CourseRun, courses/models.py:669
        "CourseRun": BASE
        | {
            "course",  # :673
            "title",  # :677
            "courseware_id",  # :678
            "run_tag",  # :681
            "courseware_url_path",  # :685
            "external_course_run_id",  # :686
            "start_date",
            "end_date",
            "enrollment_start",
            "enrollment_end",  # :687-690
            "expiration_date",  # :691
            "live",  # :697
            "product",
            "products",  # :676, :698 (generic relations)
        },
        # CourseRunEnrollment :877 on EnrollmentModel :825
        "CourseRunEnrollment": BASE
        | {
            "user",
            "company",
            "order",
            "change_status",
            "active",  # :831-839
            "run",  # :882
            "edx_enrolled",  # :883
        },
        # Course, courses/models.py:472
        "Course": BASE
        | {
            "program",
            "position_in_program",  # :476, :479
            "title",
            "readable_id",
            "live",  # :480, :481, :484
            "is_external",
            "external_course_id",
            "platform",  # :485-487
        },
        # Product, ecommerce/models.py:84
        "Product": BASE | {"content_type", "object_id", "is_active", "is_private"},  # :90, :96, :97, :103
        # User, users/models.py:142 (AbstractBaseUser, TimestampedModel, PermissionsMixin)
        "User": BASE
        | AUTH_BASES
        | {
            "username",
            "email",
            "name",
            "is_staff",
            "is_active",  # :151-157
        },
    },
    "mitxonline": {
        # CourseRun, courses/models.py:1342
        "CourseRun": BASE
        | {
            "course",  # :1348
            "title",  # :1351
            "courseware_id",  # :1355
            "run_tag",  # :1356
            "has_courseware_url",  # :1360
            "start_date",
            "end_date",
            "certificate_available_date",  # :1364-1376
            "enrollment_start",
            "enrollment_end",
            "expiration_date",
            "upgrade_deadline",  # :1382-1400
            "live",  # :1407
            "is_self_paced",  # :1408
            "products",  # :1409 (generic relation)
            "enrollment_modes",  # :1412
            "b2b_contract",  # :1416
            "is_source_run",  # :1423
            "is_primary_language",  # :1427
        },
        # CourseRunEnrollment :2116 on EnrollmentModel :1980
        "CourseRunEnrollment": BASE
        | {
            "user",
            "change_status",
            "active",
            "enrollment_mode",  # :1986-1994
            "run",  # :2121
            "edx_enrolled",  # :2124
            "edx_emails_subscription",  # :2128
            "edx_enrollment_retry_count",  # :2129
        },
        # Course, courses/models.py:942
        "Course": BASE
        | {
            "title",
            "readable_id",
            "live",  # :949, :950, :953
            "departments",
            "flexible_prices",
            "tiers",
            "possible_variant_sets",  # :954-965
        },
        # Product, ecommerce/models.py:76
        "Product": BASE
        | {
            "content_type",
            "object_id",
            "purchasable_object",  # :83, :88, :89
            "price",
            "description",
            "is_active",  # :91, :92, :93
        },
        # User, users/models.py:263 (AbstractBaseUser, TimestampedModel, PermissionsMixin, ...)
        "User": BASE
        | AUTH_BASES
        | {
            "username",
            "email",
            "name",
            "is_staff",
            "is_etl",
            "is_active",  # :278-289
            "global_id",  # :297
            "hubspot_sync_datetime",  # :306
            "b2b_contracts",
            "b2b_organizations",  # :308, :314
        },
    },
}

OWN_FIELDS = """
import json
from django.apps import apps
MODELS = (("courses", "CourseRun"), ("courses", "CourseRunEnrollment"), ("courses", "Course"), ("ecommerce", "Product"), ("users", "User"))
print("FIELDS=" + json.dumps({name: sorted(f.name for f in apps.get_model(app, name)._meta.get_fields()
                                           if not (f.auto_created and not f.concrete))
                              for app, name in MODELS}))
"""


def _marker(out: str, name: str) -> object:
    line = next(line for line in out.splitlines() if line.startswith(name + "="))
    return json.loads(line.split("=", 1)[1])


@pytest.mark.parametrize("which", ["xpro", "mitxonline"])
def test_course_product_and_user_models_have_only_the_real_apps_fields(
    which: str, app: DjangoSide, app_mitxonline: DjangoSide
) -> None:
    side = app if which == "xpro" else app_mitxonline
    fields = _marker(side.shell(OWN_FIELDS), "FIELDS")
    assert isinstance(fields, dict)
    for model, names in fields.items():
        extra = set(names) - REAL_FIELDS[which][model]
        assert not extra, f"{which} stand-in courses.{model} has fields the real app lacks: {sorted(extra)}"
    # The fields the bootstrap's course step relies on are there (the test cannot pass on an empty model).
    assert {"courseware_id", "start_date", "enrollment_end", "live"} <= set(fields["CourseRun"])
    assert {"active", "edx_enrolled", "run", "user"} <= set(fields["CourseRunEnrollment"])
    assert {"readable_id", "title"} <= set(fields["Course"]) and {"content_type", "object_id"} <= set(fields["Product"])
    assert {"username", "email", "name"} <= set(fields["User"])
    assert set(fields) == set(REAL_FIELDS[which])


XPRO_DATES = """
import json
from datetime import timedelta
from django.core.exceptions import ValidationError
from django.utils import timezone
from courses.models import Course, CourseRun
course = Course.objects.create(title="t", readable_id="course-v1:o+n")
past, future = timezone.now() - timedelta(days=365), timezone.now() + timedelta(days=365)
out = {}
for name, extra in (("past start, no end", {}), ("past start, enrollment end ahead", {"enrollment_end": future})):
    run = CourseRun(course=course, title="t", courseware_id="course-v1:o+n+" + str(len(out)), run_tag="R", start_date=past, **extra)
    try:
        run.save()
        out[name] = "saved"
    except ValidationError as exc:
        out[name] = " ".join(exc.messages)
print("DATES=" + json.dumps(out))
"""


def test_xpro_run_save_applies_xpros_date_rule(app: DjangoSide) -> None:
    """mitxpro courses/models.py:789-823 (save() -> clean() -> mitxpro/utils.py:645)."""
    assert _marker(app.shell(XPRO_DATES), "DATES") == {
        "past start, no end": "start_date or enrollment_end must be in the future.",
        "past start, enrollment end ahead": "saved",
    }
