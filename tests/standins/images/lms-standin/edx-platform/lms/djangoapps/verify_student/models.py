"""STAND-IN of edx-platform's lms/djangoapps/verify_student/models.py `SSOVerification`, the one
verification the third-party-auth pipeline writes (pipeline.py set_id_verification_status). Fields
of IDVerificationAttempt (status, name, user, created_at, updated_at) and SSOVerification
(identity_provider_type with its choices, identity_provider_slug); left out: expiration_date and
the other attempt kinds (photo, manual), and send_approval_signal's credit/grades receivers."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.timezone import now


def earliest_allowed_verification_date():
    """verify_student/utils.py: now minus VERIFY_STUDENT["DAYS_GOOD_FOR"] (lms/envs/common.py: 365)."""
    days = getattr(settings, "VERIFY_STUDENT", {}).get("DAYS_GOOD_FOR", 365)
    return now() - timedelta(days=days)


class SSOVerification(models.Model):
    OAUTH2 = "common.djangoapps.third_party_auth.models.OAuth2ProviderConfig"
    SAML = "common.djangoapps.third_party_auth.models.SAMLProviderConfig"
    LTI = "common.djangoapps.third_party_auth.models.LTIProviderConfig"
    IDENTITY_PROVIDER_TYPE_CHOICES = ((OAUTH2, "OAuth2 Provider"), (SAML, "SAML Provider"), (LTI, "LTI Provider"))

    user = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=True, on_delete=models.CASCADE)
    status = models.CharField(max_length=100, default="created")
    name = models.CharField(blank=True, max_length=255)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    identity_provider_type = models.CharField(max_length=100, blank=False, choices=IDENTITY_PROVIDER_TYPE_CHOICES, default=SAML)
    identity_provider_slug = models.SlugField(max_length=30, db_index=True, default="default")

    class Meta:
        app_label = "verify_student"
        ordering = ["-created_at"]
