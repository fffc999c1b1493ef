"""The one context every template of a stack renders from.

Tutor renders all of its templates from one config (tutor/env.py:106 `Renderer(config)`), so a
name means the same thing in every file. odl-stack does the same: app.env, nginx.conf, the
compose parts, Tutor patches, the Keycloak realm, the APISIX config, the course's OLX and the
bootstrap's Dockerfile all see the names built here, once per render, from the plan. render
builds it and hands it to each part that renders a template.
"""

from __future__ import annotations

from typing import Any

from generator import __version__, compose, openedx, plugin_checkouts, templates
from generator.plan import StackPlan, dev_frontends


def template_context(plan: StackPlan) -> dict[str, Any]:
    """Every name a template may use: the plan's parts, and the few values derived for a template."""
    context: dict[str, Any] = {
        "plan": plan,
        "spec": plan.spec,
        "app": plan.app,
        "era": plan.era,
        "p": plan.app.env_prefix,  # app.env names many <PREFIX>_ variables
        "urls": plan.urls,
        "ports": plan.ports,
        "secrets": plan.secrets,
        "addresses": plan.addresses,
        "bootstrap": plan.bootstrap,
        "course": plan.bootstrap["course"],
        "images": plan.images,
        "packages": plan.packages,
        "stack_version": __version__,
        "plugin_packages": [plan.era.pip_package, "openedx-companion-auth"],
        "app_image_ref": compose.app_image_ref(plan),
        "init_script": compose.init_script(plan),
        "cookies": openedx.lms_cookie_names(plan),
        "app_host_port": plan.urls["app"].split("://", 1)[1],
        **plugin_checkouts.image_context(plan.spec.openedx_plugin_src),
    }
    context["live"] = compose.live(plan)
    # The app's JS dev servers (a stack built from a checkout): their environment values are templates too.
    dev = plan.app.dev
    context["dev_environment"] = dict(dev.environment) if dev and plan.spec.app_src else {}
    context["frontends"] = [
        {
            "facts": f,
            "image": plan.images[f.image],
            "environment": {name: templates.render_string(value, context) for name, value in f.environment},
        }
        for f in dev_frontends(plan.spec)
    ]
    # The app's own app.env lines (AppFacts.extra_env): templates too, rendered with this context.
    context["extra_env"] = {
        part: [(name, templates.render_string(value, context)) for name, value in pairs]
        for part, pairs in (("app", plan.app.extra_env), ("openedx", plan.app.extra_openedx_env))
    }
    return context
