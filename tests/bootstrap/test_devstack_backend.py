"""The devstack era's provider settings are the ones its backend reads.

The LMS side's venv has the pinned `social-auth-mitxpro` (versions.yml), so the backend's own source
says which settings it reads; then the backend itself, given a generated stack's provider
`other_settings` the way Open edX's strategy serves them, must produce the authorize, token and
user URLs of the MIT app.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from generator.plan import make_plan
from generator.spec import make_spec

# Runs inside the LMS side's venv: the settings names the backend's source asks for, and the
# URLs the backend builds from `other_settings`.
PROBE = r"""
import ast, inspect, json, sys
from social_auth_mitxpro import backends

other = json.loads(sys.argv[1])
tree = ast.parse(inspect.getsource(backends))
read = sorted(
    node.args[0].value
    for node in ast.walk(tree)
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "setting" and node.args
    and isinstance(node.args[0], ast.Constant)
)

class Strategy:
    # Open edX's strategy answers setting() from the provider row's other_settings.
    def setting(self, name, default=None, backend=None):
        return other.get(name, default)

    # What BaseAuth.__init__ asks of any strategy.
    def request_data(self, merge=True):
        return {}

    def absolute_uri(self, path=None):
        return path

backend = backends.MITxProOAuth2(Strategy())
print(json.dumps({
    "read": read,
    "authorize": backend.authorization_url(),
    "token": backend.access_token_url(),
    "user": backend.api_url("api/users/me"),
}))
"""


@pytest.mark.parametrize("app", ["xpro", "mitxonline"])
def test_devstack_provider_settings_are_what_the_pinned_backend_reads(venvs: dict[str, Path], app: str) -> None:
    plan = make_plan(make_spec(app=app, profile="devstack"))
    provider = plan.bootstrap["openedx"]["provider"]
    assert provider["backend_class"] == "social_auth_mitxpro.backends.MITxProOAuth2"
    other = provider["other_settings"]
    found = subprocess.run([str(venvs["lms"] / "bin" / "python"), "-c", PROBE, json.dumps(other)], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    # Every setting the backend reads is written, and nothing it never reads.
    assert sorted(other) == result["read"] == ["ACCESS_TOKEN_URL", "API_ROOT", "AUTHORIZATION_URL"]
    app_url = plan.urls["app"]
    assert result["authorize"] == f"{app_url}/oauth2/authorize/"
    assert result["token"] == f"{app_url}/oauth2/token/"
    assert result["user"] == f"{app_url}/api/users/me"
    # The bootstrap's reachability checks follow the same settings.
    assert plan.bootstrap["app"]["checks"] == {"authorize": result["authorize"], "token": result["token"]}
