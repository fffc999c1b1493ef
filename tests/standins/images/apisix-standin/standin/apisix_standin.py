#!/usr/bin/env python3
"""Entrypoint of the APISIX STAND-IN (odl-standin/apisix-standin:e2e). NOT APISIX.

Reads APISIX's standalone files the way APISIX 3.17 reads them (config.yaml; apisix.yaml
with its `#END` rule and `${{VAR}}` / `${{VAR:=default}}` substitution), accepts only the
part of APISIX the odl-stack generator writes, and refuses everything else by name (exit 1).
It then writes a configuration for Debian's real nginx, which does the proxying, and serves
the OIDC relying party (oidc_rp.py) that nginx consults through `auth_request` for the routes
carrying openid-connect. nginx runs in the foreground as a child; SIGTERM/SIGQUIT/SIGINT are
forwarded and the entrypoint exits with nginx.

Runs outside a container too (the fast tests do): paths, ports and the nginx binary are
arguments (or APISIX_STANDIN_* variables), defaulting to the APISIX image's layout.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oidc_rp

APISIX_HOME = "/usr/local/apisix"
NOT_FOUND_BODY = '{"error_msg":"404 Route Not Found"}\\n'


class Unsupported(Exception):
    """A configuration the stand-in cannot honour (or APISIX would refuse): exit 1."""


# --- apisix.yaml as APISIX reads it ------------------------------------------------------------

# apisix/cli/file.lua var_sub: `${{ NAME }}` or `${{ NAME:=default }}`, anywhere in the raw text
# (comments included), before the YAML is parsed.
VAR_PATTERN = re.compile(r"\$\{\{\s*([A-Za-z0-9_]+[:=]?.*?)\s*\}\}", re.S)


def substitute(text: str, env: dict[str, str]) -> str:
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        var, default = match.group(1), None
        if ":=" in var:
            var, default = var.split(":=", 1)
            default = default.strip()
        value = env.get(var, default)
        if value is None:
            missing.append(var)
            return ""
        return value

    result = VAR_PATTERN.sub(one, text)
    if missing:
        # APISIX's own words (it names the last one it met); the stand-in names them all.
        raise Unsupported("failed to handle configuration: can't find environment variable " + ", ".join(dict.fromkeys(missing)))
    return result


def read_routes_file(path: Path, env: dict[str, str]) -> dict[str, Any]:
    raw = path.read_bytes()
    # apisix/core/config_yaml.lua: the last 10 bytes must match `#END\s*$`.
    if not re.search(rb"#END\s*$", raw[-10:]):
        raise Unsupported(
            f"missing valid end flag in file {path} (its last line must be #END); "
            "real APISIX would start and answer 404 for every route"
        )
    data = yaml.safe_load(substitute(raw.decode(), env))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Unsupported(f"invalid apisix.yaml file {path}")
    return data


def read_config_file(path: Path, env: dict[str, str]) -> list[int]:
    """config.yaml: only the standalone data plane the generator writes. Returns the ports."""
    data = yaml.safe_load(substitute(path.read_text(), env)) or {}
    if not isinstance(data, dict):
        raise Unsupported(f"invalid config.yaml file {path}")
    unknown(data, {"apisix", "deployment"}, "config.yaml")
    apisix = data.get("apisix") or {}
    unknown(apisix, {"node_listen", "enable_admin", "enable_dev_mode", "enable_ipv6"}, "config.yaml apisix")
    if apisix.get("enable_admin", False) is not False:
        raise Unsupported("config.yaml apisix.enable_admin must be false: the stand-in has no Admin API")
    if apisix.get("enable_dev_mode", False) is not False:
        raise Unsupported("config.yaml apisix.enable_dev_mode: true is not supported")
    if apisix.get("enable_ipv6", True) is not False:
        raise Unsupported("config.yaml apisix.enable_ipv6 must be false: the stand-in listens on IPv4 only")
    deployment = data.get("deployment") or {}
    unknown(deployment, {"role", "role_data_plane"}, "config.yaml deployment")
    if deployment.get("role") != "data_plane":
        raise Unsupported(f"config.yaml deployment.role {deployment.get('role')!r} is not supported (only data_plane)")
    plane = deployment.get("role_data_plane") or {}
    unknown(plane, {"config_provider"}, "config.yaml deployment.role_data_plane")
    if plane.get("config_provider") != "yaml":
        raise Unsupported(f"config_provider {plane.get('config_provider')!r} is not supported (only yaml)")
    listen = apisix.get("node_listen", [9080])
    ports = []
    for entry in listen if isinstance(listen, list) else [listen]:
        if isinstance(entry, dict):
            unknown(entry, {"port"}, "config.yaml apisix.node_listen entry")
            entry = entry.get("port")
        if not isinstance(entry, int) or not 0 < entry < 65536:
            raise Unsupported(f"config.yaml apisix.node_listen entry {entry!r} is not a port")
        ports.append(entry)
    if not ports:
        raise Unsupported("config.yaml apisix.node_listen is empty")
    return ports


def unknown(obj: Any, allowed: set[str], where: str) -> None:
    if not isinstance(obj, dict):
        raise Unsupported(f"{where} must be a mapping")
    extra = sorted(set(map(str, obj)) - allowed)
    if extra:
        raise Unsupported(f"{where}: {', '.join(extra)} not supported by the stand-in")


# --- routes, upstreams, plugins --------------------------------------------------------------

SAFE_PATH = re.compile(r"^/[A-Za-z0-9/._~!&'()+,=:@%-]*$")
SAFE_HOST = re.compile(r"^[A-Za-z0-9.-]+:[0-9]{1,5}$")


@dataclass
class Route:
    id: str
    name: str
    priority: int
    upstream: str
    exact: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    oidc: dict[str, Any] | None = None
    redirect: dict[str, Any] | None = None
    headers_set: dict[str, str] = field(default_factory=dict)


def parse_upstreams(items: Any) -> dict[str, list[tuple[str, int]]]:
    upstreams: dict[str, list[tuple[str, int]]] = {}
    for item in items or []:
        unknown(item, {"id", "name", "desc", "type", "nodes", "scheme"}, f"upstream {item.get('id')!r}")
        uid = str(item.get("id"))
        if item.get("type", "roundrobin") != "roundrobin":
            raise Unsupported(f"upstream {uid}: type {item.get('type')!r} is not supported (only roundrobin)")
        if item.get("scheme", "http") != "http":
            raise Unsupported(f"upstream {uid}: scheme {item.get('scheme')!r} is not supported (only http)")
        nodes = item.get("nodes")
        pairs: list[tuple[str, int]] = []
        if isinstance(nodes, dict):
            pairs = [(str(k), v) for k, v in nodes.items()]
        elif isinstance(nodes, list):
            for node in nodes:
                unknown(node, {"host", "port", "weight"}, f"upstream {uid} node")
                pairs.append((f"{node['host']}:{node.get('port', 80)}", node.get("weight", 1)))
        for hostport, weight in pairs:
            if not SAFE_HOST.match(hostport) or not isinstance(weight, int) or weight < 0:
                raise Unsupported(f"upstream {uid}: node {hostport!r} weight {weight!r} is not supported")
        if not pairs:
            raise Unsupported(f"upstream {uid} has no nodes")
        upstreams[uid] = pairs
    return upstreams


OIDC_DEFAULTS: dict[str, Any] = {
    "scope": "openid",
    "realm": "apisix",
    "bearer_only": False,
    "ssl_verify": True,
    "timeout": 3,
    "introspection_endpoint_auth_method": "client_secret_basic",
    "token_endpoint_auth_method": "client_secret_basic",
    "logout_path": "/logout",
    "post_logout_redirect_uri": None,
    "unauth_action": "auth",
    "set_access_token_header": True,
    "set_id_token_header": True,
    "set_userinfo_header": True,
    "access_token_in_authorization_header": False,
    "set_refresh_token_header": False,
}


def parse_oidc(conf: Any, where: str) -> dict[str, Any]:
    unknown(conf, {"client_id", "client_secret", "discovery", "session", *OIDC_DEFAULTS}, where)
    out = {**OIDC_DEFAULTS, **conf}
    for key in ("client_id", "client_secret", "discovery"):
        if not isinstance(out.get(key), str) or not out[key]:
            raise Unsupported(f'{where}: property "{key}" is required')
    if out["bearer_only"] is not False:
        raise Unsupported(f"{where}: bearer_only: true is not supported (browser sessions only)")
    for key in ("access_token_in_authorization_header", "set_refresh_token_header"):
        if out[key] is not False:
            raise Unsupported(f"{where}: {key}: true is not supported")
    if out["unauth_action"] not in ("auth", "deny", "pass"):
        raise Unsupported(f"{where}: unauth_action {out['unauth_action']!r} is not one of auth, deny, pass")
    if out["token_endpoint_auth_method"] not in ("client_secret_basic", "client_secret_post"):
        raise Unsupported(f"{where}: token_endpoint_auth_method {out['token_endpoint_auth_method']!r} is not supported")
    if not isinstance(out["logout_path"], str) or not SAFE_PATH.match(out["logout_path"]):
        raise Unsupported(f"{where}: logout_path {out['logout_path']!r} is not supported")
    session = out.get("session")
    if not isinstance(session, dict) or "secret" not in session:
        raise Unsupported(f'{where}: property "session.secret" is required when "bearer_only" is false')
    unknown(session, {"secret"}, f"{where} session")
    if not isinstance(session["secret"], str) or len(session["secret"]) < 16:
        raise Unsupported(f"{where}: session.secret must be a string of at least 16 characters")
    out["session_secret"] = session["secret"]
    if not isinstance(out["timeout"], int) or out["timeout"] < 1:
        raise Unsupported(f"{where}: timeout must be a positive integer")
    return out


def parse_routes(items: Any, upstreams: dict[str, Any]) -> list[Route]:
    routes = []
    for item in items or []:
        where = f"route {item.get('id')!r}"
        unknown(item, {"id", "name", "desc", "priority", "upstream_id", "uri", "uris", "plugins", "status"}, where)
        if item.get("status", 1) == 0:
            continue
        if str(item.get("upstream_id")) not in upstreams:
            raise Unsupported(f"{where}: upstream_id {item.get('upstream_id')!r} names no upstream")
        if ("uri" in item) == ("uris" in item):
            raise Unsupported(f"{where}: exactly one of uri and uris is supported")
        uris = [item["uri"]] if "uri" in item else item["uris"]
        priority = item.get("priority", 0)
        if not isinstance(priority, int):
            raise Unsupported(f"{where}: priority must be an integer")
        route = Route(
            id=str(item.get("id")),
            name=str(item.get("name") or item.get("id")),
            priority=priority,
            upstream=str(item["upstream_id"]),
        )
        for uri in uris:
            path = uri[:-1] if isinstance(uri, str) and uri.endswith("*") else uri
            if not isinstance(path, str) or not SAFE_PATH.match(path) or "*" in path:
                raise Unsupported(f"{where}: uri {uri!r} is not supported (exact paths and trailing-* prefixes only)")
            (route.prefixes if uri.endswith("*") else route.exact).append(path)
        plugins = item.get("plugins") or {}
        unknown(plugins, {"openid-connect", "redirect", "response-rewrite"}, f"{where} plugins")
        if "openid-connect" in plugins:
            route.oidc = parse_oidc(plugins["openid-connect"], f"{where} openid-connect")
        if "redirect" in plugins:
            conf = plugins["redirect"]
            unknown(conf, {"uri", "ret_code", "encode_uri", "append_query_string"}, f"{where} redirect")
            if conf.get("encode_uri", False) or conf.get("append_query_string", False):
                raise Unsupported(f"{where} redirect: encode_uri / append_query_string are not supported")
            uri, code = conf.get("uri"), conf.get("ret_code", 302)
            if not isinstance(uri, str) or len(uri) < 2 or "$" in uri or any(c in uri for c in "\r\n"):
                raise Unsupported(f"{where} redirect: uri {uri!r} is not supported (no $variables)")
            if not isinstance(code, int) or code < 200:
                raise Unsupported(f"{where} redirect: ret_code {code!r} is not supported")
            route.redirect = {"uri": uri, "ret_code": code}
        if "response-rewrite" in plugins:
            conf = plugins["response-rewrite"]
            unknown(conf, {"headers"}, f"{where} response-rewrite")
            unknown(conf.get("headers") or {}, {"set"}, f"{where} response-rewrite headers")
            for name, value in ((conf.get("headers") or {}).get("set") or {}).items():
                value = str(value)
                if not re.match(r"^[A-Za-z0-9-]+$", str(name)) or any(c in value for c in '$"\\\r\n'):
                    raise Unsupported(f"{where} response-rewrite: header {name!r}: {value!r} is not supported")
                route.headers_set[str(name)] = value
        routes.append(route)
    return routes


@dataclass
class Gateway:
    ports: list[int]
    upstreams: dict[str, list[tuple[str, int]]]
    routes: list[Route]

    def exact_table(self) -> dict[str, Route]:
        return self._best(lambda r: r.exact)

    def prefix_table(self) -> dict[str, Route]:
        return self._best(lambda r: r.prefixes)

    def _best(self, paths: Any) -> dict[str, Route]:
        table: dict[str, Route] = {}
        for route in self.routes:
            for path in paths(route):
                other = table.get(path)
                if other is not None and other.priority == route.priority:
                    raise Unsupported(
                        f"routes {other.id} and {route.id} claim the same uri {path!r} "
                        "with the same priority; APISIX's choice between them is not defined"
                    )
                if other is None or route.priority > other.priority:
                    table[path] = route
        return table

    def match(self, path: str) -> Route | None:
        """APISIX's radixtree_host_uri / radixtree_uri for routes with only uris: an exact uri
        first, then the deepest `prefix*`; priority decides between routes with the same uri."""
        exact = self.exact_table()
        if path in exact:
            return exact[path]
        prefixes = self.prefix_table()
        for prefix in sorted(prefixes, key=len, reverse=True):
            if path.startswith(prefix):
                return prefixes[prefix]
        return None


def load(config: Path, routes_file: Path, env: dict[str, str]) -> Gateway:
    ports = read_config_file(config, env)
    data = read_routes_file(routes_file, env)
    unknown(data, {"routes", "upstreams"}, "apisix.yaml")
    upstreams = parse_upstreams(data.get("upstreams"))
    gateway = Gateway(ports, upstreams, parse_routes(data.get("routes"), upstreams))
    gateway.exact_table(), gateway.prefix_table()  # ambiguity check
    return gateway


# --- nginx configuration ----------------------------------------------------------------------


def q(text: str) -> str:
    return '"' + text + '"'


class NginxConfig:
    def __init__(self, gw: Gateway, prefix: Path, helper_port: int, listen_address: str) -> None:
        self.gw, self.prefix, self.helper, self.address = gw, prefix, f"127.0.0.1:{helper_port}", listen_address
        # Internal auth_request URIs; a random segment keeps them off any path a client would use.
        self.internal = f"/.apisix-standin-{secrets.token_hex(6)}"

    def helper_block(self, action: str, route: Route, internal: bool = False) -> list[str]:
        lines = ["internal;"] if internal else []
        return lines + [
            f"proxy_pass http://{self.helper};",
            "proxy_method GET;",
            "proxy_pass_request_body off;",
            'proxy_set_header Content-Length "";',
            "proxy_set_header Host $http_host;",
            f"proxy_set_header X-Standin-Action {action};",
            f"proxy_set_header X-Standin-Route {q(route.id)};",
            "proxy_set_header X-Standin-Request-URI $request_uri;",
            "proxy_redirect off;",
        ]

    def upstream_block(self, route: Route) -> list[str]:
        lines = [
            f"proxy_pass http://apisix_upstream_{route.upstream};",
            "proxy_http_version 1.1;",
            # pass_host "pass": the client's Host; X-Forwarded-* as APISIX sets them for a client
            # that is not in apisix.trusted_addresses (apisix/init.lua handle_x_forwarded_headers).
            "proxy_set_header Host $http_host;",
            "proxy_set_header Upgrade $http_upgrade;",
            "proxy_set_header Connection $standin_connection;",
            "proxy_set_header X-Real-IP $remote_addr;",
            "proxy_set_header X-Forwarded-For $remote_addr;",
            "proxy_set_header X-Forwarded-Proto $scheme;",
            "proxy_set_header X-Forwarded-Host $standin_forwarded_host;",
            "proxy_set_header X-Forwarded-Port $standin_forwarded_port;",
            'proxy_set_header Forwarded "";',
            "proxy_pass_header Date;",
            "proxy_redirect off;",
        ]
        if route.oidc:
            # openid-connect.lua rewrite(): the client's own values never pass; an empty value
            # makes nginx drop the header.
            lines += [
                "proxy_set_header X-Userinfo $standin_x_userinfo;",
                "proxy_set_header X-ID-Token $standin_x_id_token;",
                "proxy_set_header X-Access-Token $standin_x_access_token;",
                'proxy_set_header X-Refresh-Token "";',
            ]
        return lines

    def response_headers(self, route: Route) -> list[str]:
        out = []
        for name, value in route.headers_set.items():
            out += [f"proxy_hide_header {name};", f"add_header {name} {q(value)} always;"]
        return out

    def auth_lines(self, route: Route) -> list[str]:
        assert route.oidc
        lines = [
            f"auth_request {self.internal}/auth/{route.id};",
            "auth_request_set $standin_x_userinfo $upstream_http_x_userinfo;",
            "auth_request_set $standin_x_id_token $upstream_http_x_id_token;",
            "auth_request_set $standin_x_access_token $upstream_http_x_access_token;",
        ]
        if route.oidc["unauth_action"] == "auth":
            lines.append(f"error_page 401 = @standin_login_{route.id};")
        return lines

    def location(self, modifier: str, path: str, route: Route, logout: bool = False) -> list[str]:
        body = [f"set $standin_route {q(route.id + ' ' + route.name)};", *self.response_headers(route)]
        if route.oidc and logout:
            body += self.helper_block("logout", route)
        elif route.oidc and path.endswith(oidc_rp.REDIRECT_SUFFIX) and modifier == "=":
            body += self.helper_block("callback", route)
        else:
            if route.oidc:
                body += self.auth_lines(route)
            # The redirect plugin (priority 900) runs after openid-connect (2599): after the
            # auth_request has let the request through.
            body += self.helper_block("redirect", route) if route.redirect else self.upstream_block(route)
            if route.oidc and modifier != "=":
                body += [
                    f"location ~ {re.escape(oidc_rp.REDIRECT_SUFFIX)}$ {{",
                    *[
                        f"    {line}"
                        for line in [
                            f"set $standin_route {q(route.id + ' ' + route.name)};",
                            "auth_request off;",
                            *self.response_headers(route),
                            *self.helper_block("callback", route),
                        ]
                    ],
                    "}",
                ]
        return [f"location {modifier} {path} {{".replace("  ", " "), *[f"    {line}" for line in body], "}"]

    def render(self) -> str:
        gw, prefix = self.gw, self.prefix
        exact, prefixes = gw.exact_table(), gw.prefix_table()
        locations: list[str] = []
        oidc_routes = {r.id: r for r in gw.routes if r.oidc}
        logout_paths = {r.oidc["logout_path"] for r in oidc_routes.values()}  # type: ignore[index]
        exact_paths = dict(exact)
        # APISIX answers logout_path on whichever route matches it, if that route has
        # openid-connect with this logout_path.
        logout_for: dict[str, Route] = {}
        for path in sorted(logout_paths):
            route = gw.match(path)
            if route and route.oidc and route.oidc["logout_path"] == path:
                logout_for[path] = route
                exact_paths[path] = route
        # nginx answers 301 (adds the slash) for a request equal to a `prefix/` location without
        # its slash; APISIX does not. An exact location gives that path the route APISIX picks.
        for path in prefixes:
            if path.endswith("/") and len(path) > 1 and path[:-1] not in exact_paths:
                route = gw.match(path[:-1])
                if route:
                    exact_paths[path[:-1]] = route
        for path, route in sorted(exact_paths.items()):
            locations += self.location("=", path, route, logout=path in logout_for)
        for path, route in sorted(prefixes.items()):
            locations += self.location("", path, route)
        if "/" not in prefixes:
            locations += [
                "location / {",
                '    set $standin_route "-";',
                "    default_type application/json;",
                f"    return 404 {q(NOT_FOUND_BODY)};",
                "}",
            ]
        for route in oidc_routes.values():
            locations += [
                f"location = {self.internal}/auth/{route.id} {{",
                *[f"    {line}" for line in self.helper_block("auth", route, internal=True)],
                "}",
            ]
            if route.oidc["unauth_action"] == "auth":  # type: ignore[index]
                locations += [
                    f"location @standin_login_{route.id} {{",
                    *[
                        f"    {line}"
                        for line in [
                            f"set $standin_route {q(route.id + ' ' + route.name)};",
                            *self.response_headers(route),
                            *self.helper_block("login", route),
                        ]
                    ],
                    "}",
                ]
        upstreams = []
        for uid, nodes in gw.upstreams.items():
            servers = [f"    server {hp} {'weight=' + str(w) if w > 0 else 'down'};" for hp, w in nodes]
            upstreams += [f"upstream apisix_upstream_{uid} {{", *servers, "    keepalive 320;", "}"]
        listens = [f"        listen {self.address}:{port};" for port in gw.ports]
        temp = prefix / "tmp"
        return "\n".join(
            [
                "# Written by the APISIX STAND-IN (apisix_standin.py) from config.yaml + apisix.yaml. NOT APISIX.",
                "daemon off;",
                "worker_processes 1;",
                f"pid {prefix}/logs/nginx.pid;",
                "error_log /dev/stderr notice;",
                "events { worker_connections 1024; }",
                "http {",
                '    log_format standin \'$remote_addr - [$time_local] "$request" $status $body_bytes_sent '
                'route="$standin_route" upstream=$upstream_addr\';',
                "    access_log /dev/stdout standin;",
                f"    client_body_temp_path {temp}/client_body;",
                f"    proxy_temp_path {temp}/proxy;",
                f"    fastcgi_temp_path {temp}/fastcgi;",
                f"    uwsgi_temp_path {temp}/uwsgi;",
                f"    scgi_temp_path {temp}/scgi;",
                "    server_tokens off;",
                "    absolute_redirect off;",
                "    client_max_body_size 0;",
                '    map $http_upgrade $standin_connection { default upgrade; "" ""; }',
                '    map $http_host $standin_forwarded_host { "" $host; default $http_host; }',
                '    map $http_host $standin_forwarded_port { "~:(?<p>[0-9]+)$" $p; default $server_port; }',
                *[f"    {line}" for line in upstreams],
                "    server {",
                *listens,
                *[f"        {line}" for line in locations],
                "    }",
                "}",
                "",
            ]
        )


# --- process --------------------------------------------------------------------------------


def fail(message: str) -> None:
    print(f"apisix-standin: error: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(description="APISIX stand-in: Debian nginx + Python OIDC relying party (NOT APISIX)")
    parser.add_argument(
        "--prefix",
        default=env.get("APISIX_STANDIN_PREFIX", APISIX_HOME),
        help="runtime directory: conf/nginx.conf, logs/, tmp/ are written here",
    )
    parser.add_argument("--config", default=env.get("APISIX_STANDIN_CONFIG"), help="default PREFIX/conf/config.yaml")
    parser.add_argument("--routes", default=env.get("APISIX_STANDIN_ROUTES"), help="default PREFIX/conf/apisix.yaml")
    parser.add_argument("--listen-address", default=env.get("APISIX_STANDIN_LISTEN_ADDRESS", "0.0.0.0"))
    parser.add_argument("--helper-port", type=int, default=int(env.get("APISIX_STANDIN_HELPER_PORT", "0")))
    parser.add_argument("--nginx", default=env.get("APISIX_STANDIN_NGINX", "nginx"))
    parser.add_argument("--check", action="store_true", help="read the files, write nginx.conf, run `nginx -t`, exit")
    args = parser.parse_args(argv)
    prefix = Path(args.prefix).resolve()
    config = Path(args.config or prefix / "conf" / "config.yaml")
    routes_file = Path(args.routes or prefix / "conf" / "apisix.yaml")
    try:
        gateway = load(config, routes_file, dict(env))
    except Unsupported as exc:
        fail(str(exc))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        fail(f"cannot read the configuration: {exc}")

    rp = oidc_rp.RelyingParty({r.id: {"oidc": r.oidc, "redirect": r.redirect} for r in gateway.routes})
    server = oidc_rp.make_server(rp, "127.0.0.1", args.helper_port)
    for sub in ("conf", "logs", "tmp/client_body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    nginx_conf = prefix / "conf" / "nginx.conf"
    nginx_conf.write_text(NginxConfig(gateway, prefix, server.server_address[1], args.listen_address).render())
    base = [args.nginx, "-p", str(prefix), "-c", str(nginx_conf)]
    if args.check:
        return subprocess.run([*base, "-t"]).returncode

    threading.Thread(target=server.serve_forever, daemon=True).start()
    rp.warm_up()
    print(
        f"apisix-standin: {len(gateway.routes)} routes, listening on {gateway.ports}, "
        f"OIDC helper on 127.0.0.1:{server.server_address[1]}; starting nginx",
        file=sys.stderr,
        flush=True,
    )
    child = subprocess.Popen(base)

    def forward(signum: int, _frame: Any) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGQUIT, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    code = child.wait()
    server.shutdown()
    print(f"apisix-standin: nginx exited with {code}", file=sys.stderr, flush=True)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
