"""The ports table (generator/ports.py) against what the generator really writes.

A port has two names: the plan's and the answers' ("lms", the port of every Open edX URL) and the compose
service's that publishes it ("caddy", Tutor's front). Both are right in their place; these tests pin each
to the files, so neither side of the table can drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import make_stack

from generator import stackdir
from generator.plan import OPENEDX_FRONT, make_plan
from generator.ports import BY_PLAN_KEY, BY_SERVICE, PORTS, option_for_service
from generator.spec import PORT_NAMES, make_spec

KINDS = {"xpro": {"app": "xpro"}, "mitxonline-apisix": {"app": "mitxonline", "apisix": True}}


@pytest.mark.parametrize("answers", KINDS.values(), ids=KINDS.keys())
def test_each_published_port_is_the_table_service_publishing_the_plan_port(tmp_path: Path, answers: dict) -> None:
    stack = stackdir.load(make_stack(tmp_path, **answers))
    published = {pub.service: pub.port for pub in stack.published}
    plan_ports = make_plan(make_spec(**answers)).ports
    assert published == {BY_PLAN_KEY[key].service: port for key, port in plan_ports.items()}


def test_the_lms_port_is_published_by_the_open_edx_front() -> None:
    assert BY_PLAN_KEY["lms"].service == OPENEDX_FRONT == "caddy"
    assert option_for_service("caddy") == "--lms-port" and option_for_service("lms") is None


def test_each_answer_sets_its_plan_port() -> None:
    asked = {port.answer: 20000 + i for i, port in enumerate(PORTS)}
    plan = make_plan(make_spec(app="mitxonline", apisix=True, ports=asked))
    assert plan.ports == {port.plan_key: asked[port.answer] for port in PORTS}
    assert PORT_NAMES == tuple(asked)


def test_the_table_has_one_row_per_name() -> None:
    assert len(BY_PLAN_KEY) == len(BY_SERVICE) == len({p.answer for p in PORTS}) == len(PORTS)
