"""Celery app for `celery --app=cms.celery worker ...` (Tutor's cms-worker command).
Real Celery on the stack's redis broker; the stand-in defines no edX tasks."""

import os

os.environ.setdefault("SERVICE_VARIANT", "cms")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.envs.tutor.production")

from celery import Celery

APP = Celery("cms")
APP.config_from_object("django.conf:settings", namespace="CELERY")
APP.autodiscover_tasks()
app = APP
