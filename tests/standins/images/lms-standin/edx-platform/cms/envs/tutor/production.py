"""Placeholder for Tutor's rendered settings; the stack bind-mounts the real
rendered directory over cms/envs/tutor/ (as Tutor's own image bakes them in)."""

from cms.envs.production import *  # noqa: F403

INSTALLED_APPS.remove("lms.djangoapps.coursewarehistoryextended")  # noqa: F405
DATABASE_ROUTERS.remove("openedx.core.lib.django_courseware_routers.StudentModuleHistoryExtendedRouter")  # noqa: F405
