"""Celery app for `celery --app=lms.celery worker ...` (Tutor's lms-worker command).
Real Celery on the stack's redis broker; the stand-in defines no edX tasks."""

import os

os.environ.setdefault("SERVICE_VARIANT", "lms")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.envs.tutor.production")

from celery import Celery

APP = Celery("lms")
APP.config_from_object("django.conf:settings", namespace="CELERY")
APP.autodiscover_tasks()
app = APP
