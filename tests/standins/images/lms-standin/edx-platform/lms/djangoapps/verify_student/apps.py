from django.apps import AppConfig


class VerifyStudentConfig(AppConfig):
    name = "lms.djangoapps.verify_student"
    label = "verify_student"  # as upstream's app label
    verbose_name = "Student identity verification STAND-IN (SSOVerification only)"
