"""STAND-IN of edx-platform's cms/envs/production.py: the base Tutor's rendered
cms/envs/tutor/production.py builds on (`from cms.envs.production import *`).
Values come from the YAML file Tutor renders and the stack mounts ($CMS_CFG,
/openedx/config/cms.env.yml), as upstream; see openedx_standin/envs.py."""

import os

from openedx_standin.envs import base_settings

globals().update(base_settings("cms", os.environ.get("CMS_CFG", "/openedx/config/cms.env.yml")))
