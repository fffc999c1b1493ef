"""STAND-IN: listed in INSTALLED_APPS only so Tutor's rendered settings can remove it,
as they do upstream (`INSTALLED_APPS.remove("lms.djangoapps.coursewarehistoryextended")`)."""
