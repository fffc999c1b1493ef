"""StackSpec: the user's answers, validated. No derived values live here."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator import profiles, wording
from generator.errors import StackError
from generator.ports import PORTS

APPS = tuple(profiles.APPS)
PROFILES = tuple(profiles.ERAS)
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
PORT_NAMES = tuple(port.answer for port in PORTS)


@dataclass(frozen=True)
class StackSpec:
    app: str
    apisix: bool = False
    profile: str = "tutor"
    name: str = ""
    subnet: str = ""
    app_src: str | None = None  # path of a checkout, relative to the stack directory
    openedx_plugin_src: tuple[str, ...] = ()  # Open edX plugin checkouts, relative to the stack directory
    images: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)  # host = container port overrides
    # The keys of `ports` the generator picked itself (a default taken by a stack beside it), not the user:
    # recorded apart, so they are re-picked when the kind of stack changes and never count as chosen.
    picked: frozenset[str] = frozenset()
    addresses: Mapping[str, str] = field(default_factory=dict)  # service -> static IP overrides

    def answers(self) -> dict[str, Any]:
        """The answers as plain data, recorded in the stack (stack.json)."""
        # Recorded only when given, so stacks without plugin checkouts keep their stack.json.
        plugins = {"openedx_plugin_src": list(self.openedx_plugin_src)} if self.openedx_plugin_src else {}
        chosen = {k: v for k, v in sorted(self.ports.items()) if k not in self.picked}
        picked = {k: v for k, v in sorted(self.ports.items()) if k in self.picked}
        answers = {
            "app": self.app,
            "apisix": self.apisix,
            "profile": self.profile,
            "name": self.name,
            "subnet": self.subnet,
            "app_src": self.app_src,
            "images": dict(sorted(self.images.items())),
            "ports": chosen,
            "addresses": dict(sorted(self.addresses.items())),
            **plugins,
        }
        if picked:  # only then, so the stacks of users who chose every port record what they did before
            answers["picked_ports"] = picked
        return answers

    @property
    def kind(self) -> tuple[str, bool, str]:
        """What kind of stack it is: regenerating never changes it unasked (app, gateway, profile)."""
        return (self.app, self.apisix, self.profile)


def default_subnet(app: str, apisix: bool, profile: str) -> str:
    """Each (app, gateway, profile) gets its own /24, so any two defaults can run side by side."""
    facts = profiles.APPS[app]
    net = ipaddress.ip_network(facts.apisix_subnet if apisix and facts.apisix_subnet else facts.subnet)
    return str(ipaddress.ip_network((int(net.network_address) + 256 * profiles.ERAS[profile].subnet_offset, 24)))


def default_name(app: str, apisix: bool, profile: str = "tutor") -> str:
    check_choices(app, profile)
    return app + ("-apisix" if apisix else "") + profiles.ERAS[profile].name_suffix


def check_choices(app: str, profile: str) -> None:
    """The app and the profile are ones odl-stack knows (asked before anything is derived from them)."""
    if app not in APPS:
        raise StackError("app", f"'{app}' is not a supported app", f"choose one of: {', '.join(APPS)}")
    if profile not in PROFILES:
        raise StackError("profile", f"'{profile}' is not a profile", f"choose one of: {', '.join(PROFILES)}")


def check_name(name: str) -> str:
    """A stack name, or the error for it; `new` asks before it looks at OUT/NAME (`.` and `..` exist)."""
    if not NAME_RE.match(name):
        raise StackError(
            "name",
            f"'{name}' is not a valid stack name",
            "use lowercase letters, digits, '-' or '_' (max 63), starting with a letter or digit",
        )
    return name


def make_spec(
    app: str,
    apisix: bool = False,
    profile: str = "tutor",
    name: str | None = None,
    subnet: str | None = None,
    app_src: str | None = None,
    openedx_plugin_src: tuple[str, ...] = (),
    images: Mapping[str, str] | None = None,
    ports: Mapping[str, Any] | None = None,
    addresses: Mapping[str, str] | None = None,
    picked_ports: Mapping[str, Any] | None = None,
) -> StackSpec:
    """Validate raw answers (from CLI flags or cookiecutter) into a StackSpec."""
    check_choices(app, profile)
    if apisix and profiles.APPS[app].apisix_subnet is None:
        gated = [facts for facts in profiles.APPS.values() if facts.apisix_subnet]
        raise StackError(
            "apisix",
            f"APISIX + Keycloak exists only for {' and '.join(facts.title for facts in gated)}",
            f"drop {wording.option('--apisix')} or use {wording.option('--app', gated[0].name)}",
        )
    name = check_name(name or default_name(app, apisix, profile))
    subnet = subnet or default_subnet(app, apisix, profile)
    try:
        net = ipaddress.ip_network(subnet, strict=True)
    except ValueError as exc:
        raise StackError(
            "subnet",
            f"'{subnet}' is not a network in CIDR form ({exc})",
            "give the network address in CIDR form, e.g. 172.28.53.0/24",
        ) from exc
    if net.version != 4:
        raise StackError("subnet", f"{subnet} is not IPv4", "give a private IPv4 network such as 172.28.53.0/24")
    if not net.is_private or net.is_loopback or net.is_link_local or net.is_multicast:
        raise StackError(
            "subnet", f"{subnet} is not a private network", "use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
        )
    clean_ports: dict[str, int] = {}
    # Picked ports first: a port the user gives replaces the one the generator picked.
    picked = {k: v for k, v in (picked_ports or {}).items() if k not in (ports or {})}
    for key, value in {**picked, **(ports or {})}.items():
        if key not in PORT_NAMES:
            raise StackError("ports", f"'{key}' is not a port name", f"use one of: {', '.join(PORT_NAMES)}")
        try:
            clean_ports[key] = int(value)
        except (TypeError, ValueError) as exc:
            raise StackError(f"{key} port", f"'{value}' is not a number", "give a port between 1024 and 65535") from exc
    return StackSpec(
        app=app,
        apisix=bool(apisix),
        profile=profile,
        name=name,
        subnet=str(net),
        app_src=app_src,
        openedx_plugin_src=tuple(openedx_plugin_src),
        images=dict(images or {}),
        ports=clean_ports,
        addresses=dict(addresses or {}),
        picked=frozenset(picked),
    )
