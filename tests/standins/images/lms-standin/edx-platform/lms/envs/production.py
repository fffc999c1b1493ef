"""STAND-IN of edx-platform's lms/envs/production.py: the base Tutor's rendered
lms/envs/tutor/production.py builds on (`from lms.envs.production import *`).
Values come from the YAML file Tutor renders and the stack mounts ($LMS_CFG,
/openedx/config/lms.env.yml), as upstream; see openedx_standin/envs.py."""

import os

from openedx_standin.envs import base_settings

globals().update(base_settings("lms", os.environ.get("LMS_CFG", "/openedx/config/lms.env.yml")))
