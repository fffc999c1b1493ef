"""The host ports a stack publishes, in one table: who publishes each, which answer sets it, which option
moves it. A leaf module, so that doctor (which must not load the renderer) reads the same table as plan
and new.

Each port has two names. The plan and the answers name it after what it serves ("lms": every Open edX URL);
the compose file, and so doctor reading a stack back, names the service that publishes it ("caddy": Tutor's
Caddy is the one front of the LMS, Studio, the MFEs and Meilisearch).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    plan_key: str  # in StackPlan.ports and plan.json
    service: str  # the compose service that publishes it
    answer: str  # in the answers' "ports" (StackSpec.ports, stack.json)
    option: str | None  # the option of `new` and `upgrade` that moves it; None: only the answers' "ports" do


PORTS = (
    Port("lms", "caddy", "lms", "--lms-port"),
    Port("app-nginx", "app-nginx", "app", "--app-port"),
    Port("apisix", "apisix", "apisix", None),
    Port("keycloak", "keycloak", "keycloak", None),
    Port("mailpit", "mailpit", "mail", None),
)
BY_PLAN_KEY = {port.plan_key: port for port in PORTS}
BY_SERVICE = {port.service: port for port in PORTS}


def option_for_service(service: str) -> str | None:
    """The option that moves the port `service` publishes (None: no option does, or not one of ours)."""
    port = BY_SERVICE.get(service)
    return port.option if port else None
