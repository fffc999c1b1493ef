"""Manual smoke check of the Keycloak stand-in (not collected by pytest), as run before commit.

Run it in a container on the stand-in's network (kc.odl.local must resolve), with /check holding
this file, generator/bootstrap/keycloak.py, plan.json (the plan's "keycloak" section of
make_plan(make_spec(app="mitxonline", apisix=True))) and a writable out/; the realm file is
tests/golden/mitxonline-apisix/keycloak/import with the SECRETS below as ODL_* / KC_BOOTSTRAP_*:
    python3 /check/smoke_check.py first   # then restart the keycloak container, then:
    python3 /check/smoke_check.py after
"""
import base64, html.parser, http.cookiejar, importlib.util, json, sys, urllib.parse, urllib.request, urllib.error

spec = importlib.util.spec_from_file_location("odl_keycloak", "/check/keycloak.py")
kcmod = importlib.util.module_from_spec(spec); sys.modules[spec.name] = kcmod; spec.loader.exec_module(kcmod)
kc = json.load(open("/check/plan.json"))
SECRETS = {"keycloak_admin_password": "admin-pw", "apisix_client_secret": "planned-client-secret",
           "keycloak_student_password": "student-pw", "keycloak_prof_password": "prof-pw",
           "keycloak_admin_user_password": "admin-user-pw"}
mode = sys.argv[1]
ISS = kc["issuer"]
fails = []


def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
    if not ok:
        fails.append(name)


def claims(tok):
    p = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


jar = http.cookiejar.CookieJar()
browser = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def bget(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with browser.open(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.action = None; self.inputs = {}; self.inform = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "kc-form-login":
            self.action = a["action"]; self.inform = True
        elif tag == "input" and self.inform and a.get("name"):
            self.inputs[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inform = False


def login_form(body):
    p = FormParser(); p.feed(body); return p


REDIRECT = "http://mitxonline.odl.local:9080/login/.apisix/redirect"
SECRET = SECRETS["apisix_client_secret"]


def auth_url(**extra):
    q = {"response_type": "code", "client_id": "apisix", "redirect_uri": REDIRECT, "scope": "openid profile ol-profile email",
         "state": "st-123", "nonce": "n-456", **extra}
    return f"{ISS}/protocol/openid-connect/auth?" + urllib.parse.urlencode(q)


if mode == "first":
    doc = kcmod.wait_for_keycloak(kc, timeout=30)
    check("discovery issuer", doc["issuer"] == ISS, doc["issuer"])
    check("discovery endpoints use hostname", all(doc[k].startswith(ISS + "/protocol/openid-connect/") for k in
          ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "end_session_endpoint", "jwks_uri")))
    r = kcmod.http("GET", "http://kc.odl.local:7080/realms/nope/.well-known/openid-configuration")
    check("unknown realm 404", r.status == 404, r.body.decode())
    # admin API: wrong password, no token
    r = kcmod.http("POST", "http://kc.odl.local:7080/realms/master/protocol/openid-connect/token",
                   form={"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": "x"})
    check("admin wrong password 401 invalid_grant", r.status == 401 and r.json()["error"] == "invalid_grant", str(r.status))
    r = kcmod.http("GET", "http://kc.odl.local:7080/admin/realms/ol-local")
    check("admin API without token 401", r.status == 401)
    token = kcmod.admin_token(kc, SECRETS)
    r = kcmod.http("GET", "http://kc.odl.local:7080/admin/realms/missing", token=token)
    check("admin missing realm 404", r.status == 404 and r.json() == {"error": "Realm not found."}, r.body.decode())
    # break the client so reconcile has work to do
    admin = kcmod._Admin(kc, token)
    c = admin.call("GET", "/clients?clientId=apisix").json()[0]
    print("client representation:", json.dumps(c)[:600])
    check("client rep fields", all(k in c for k in ("id", "clientId", "enabled", "protocol", "publicClient", "clientAuthenticatorType",
          "standardFlowEnabled", "directAccessGrantsEnabled", "bearerOnly", "redirectUris", "webOrigins", "attributes",
          "frontchannelLogout", "serviceAccountsEnabled", "name")))
    admin.call("PUT", f"/clients/{c['id']}", {**c, "secret": "wrong-secret", "redirectUris": ["http://elsewhere/*"]}, expect=(204,))
    check("secret changed via admin API", admin.call("GET", f"/clients/{c['id']}/client-secret").json() == {"type": "secret", "value": "wrong-secret"})
    r = kcmod.http("POST", f"{ISS}/protocol/openid-connect/token", form={"grant_type": "password", "client_id": "apisix",
                   "client_secret": SECRET, "username": "student@odl.local", "password": "student-pw"})
    check("old secret refused immediately after PUT", r.status == 401, f"{r.status} {r.body[:100]!r}")
    s, h, b = bget(auth_url())
    check("redirect_uri refused immediately after PUT", s == 400 and "Invalid parameter: redirect_uri" in b, str(s))
    changes = kcmod.reconcile(kc, SECRETS)
    check("reconcile changed secret+redirectUris", any("secret" in x and "redirectUris" in x for x in changes), str(changes))
    check("reconcile idempotent", kcmod.reconcile(kc, SECRETS) == [])
    for chk in kcmod.verify(kc, SECRETS, exec_in={}):
        print("  verify:", chk.line())
        if not chk.name.startswith("APISIX"):
            check("verify " + chk.name, chk.ok, chk.detail)

    # browser code flow
    s, h, b = bget(auth_url(client_id="nope"))
    check("unknown client 400", s == 400, str(s))
    s, h, b = bget(auth_url(redirect_uri="http://evil.example/cb"))
    check("bad redirect_uri 400", s == 400 and "Invalid parameter: redirect_uri" in b, str(s))
    s, h, b = bget(auth_url())
    form = login_form(b)
    check("login page", s == 200 and form.action and "username" in form.inputs and "password" in form.inputs, f"{s} {form.action}")
    check("form action uses hostname", form.action.startswith(ISS + "/"), form.action)
    s, h, b = bget(form.action, urllib.parse.urlencode({**form.inputs, "username": "student@odl.local", "password": "bad"}).encode())
    check("wrong password page", s == 200 and "Invalid username or password." in b, str(s))
    form = login_form(b)
    s, h, b = bget(form.action, urllib.parse.urlencode({**form.inputs, "username": "Student@odl.local", "password": "student-pw"}).encode())
    loc = h.get("Location", "")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    check("login 302 to redirect_uri with code", s == 302 and loc.startswith(REDIRECT + "?") and q.get("state") == "st-123"
          and q.get("iss") == ISS and "session_state" in q and "code" in q, loc)
    print("   ", loc)
    # token exchange, client_secret_basic
    basic = base64.b64encode(f"apisix:{SECRET}".encode()).decode()
    r = urllib.request.Request(f"{ISS}/protocol/openid-connect/token", data=urllib.parse.urlencode(
        {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": REDIRECT}).encode(),
        headers={"Authorization": f"Basic {basic}"})
    s, h, b = bget(r.full_url, r.data, dict(r.header_items()))
    tok = json.loads(b)
    check("code -> token (client_secret_basic)", s == 200 and "id_token" in tok and "refresh_token" in tok, f"{s} {b[:200]}")
    idc, atc = claims(tok["id_token"]), claims(tok["access_token"])
    print("    id_token:", idc); print("    access_token:", atc)
    check("id_token claims", idc["iss"] == ISS and idc["aud"] == "apisix" and idc["nonce"] == "n-456" and idc["email"] == "student@odl.local"
          and idc["preferred_username"] == "student@odl.local")
    check("access token claims", atc["iss"] == ISS and atc["azp"] == "apisix" and atc["typ"] == "Bearer" and
          set(atc["scope"].split()) >= {"openid", "profile", "email", "ol-profile"} and atc["given_name"] == "Test")
    hdr = json.loads(base64.urlsafe_b64decode(tok["access_token"].split(".")[0] + "=="))
    jwks = json.loads(bget(f"{ISS}/protocol/openid-connect/certs")[2])
    check("RS256 + kid in JWKS", hdr["alg"] == "RS256" and hdr["kid"] in [k["kid"] for k in jwks["keys"]], str(hdr))
    s, h, b = bget(f"{ISS}/protocol/openid-connect/token", urllib.parse.urlencode(
        {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": REDIRECT, "client_id": "apisix", "client_secret": SECRET}).encode())
    check("code reuse refused", s == 400, str(s))
    s, h, b = bget(f"{ISS}/protocol/openid-connect/userinfo", headers={"Authorization": "Bearer " + tok["access_token"]})
    ui = json.loads(b)
    print("    userinfo:", ui)
    check("userinfo", s == 200 and ui["sub"] == atc["sub"] and ui["email"] == "student@odl.local" and ui["family_name"] == "Student"
          and ui["email_verified"] is True and ui["name"] == "Test Student")
    s, h, b = bget(f"{ISS}/protocol/openid-connect/token", urllib.parse.urlencode(
        {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"], "client_id": "apisix", "client_secret": SECRET}).encode())
    check("refresh (client_secret_post)", s == 200 and "access_token" in json.loads(b), f"{s} {b[:150]}")
    refreshed = json.loads(b)
    s2, _, _ = bget(f"{ISS}/protocol/openid-connect/userinfo", headers={"Authorization": "Bearer " + refreshed["access_token"]})
    check("refreshed access token valid", s2 == 200, str(s2))
    # SSO session: second auth goes straight to the client
    s, h, b = bget(auth_url(state="second"))
    check("SSO session -> 302 with code", s == 302 and "code=" in h.get("Location", "") and "state=second" in h["Location"], h.get("Location"))
    # save cookie + tokens for the after-restart phase
    open("/check/out/cookies.txt", "w").write(json.dumps([(c.name, c.value, c.domain, c.path) for c in jar]))
    open("/check/out/tokens.json", "w").write(json.dumps({"id_token": tok["id_token"], "access_token": refreshed["access_token"]}))

elif mode == "after":
    cookies = json.load(open("/check/out/cookies.txt")); tokens = json.load(open("/check/out/tokens.json"))
    for name, value, domain, path in cookies:
        jar.set_cookie(http.cookiejar.Cookie(0, name, value, None, False, domain, True, False, path, True, False, None, False, None, None, {}))
    kcmod.wait_for_keycloak(kc, timeout=60)
    check("reconcile after restart: nothing to do", kcmod.reconcile(kc, SECRETS) == [])
    s, h, b = bget(f"{ISS}/protocol/openid-connect/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
    check("access token from before restart still valid", s == 200, str(s))
    s, h, b = bget(auth_url(state="after"))
    check("SSO session survives restart", s == 302 and "code=" in h.get("Location", ""), str(s))
    # logout: bad uri, then good
    lo = f"{ISS}/protocol/openid-connect/logout?"
    s, h, b = bget(lo + urllib.parse.urlencode({"post_logout_redirect_uri": "http://evil.example/", "id_token_hint": tokens["id_token"]}))
    check("logout to unlisted uri 400", s == 400, str(s))
    s, h, b = bget(lo + urllib.parse.urlencode({"post_logout_redirect_uri": "http://mitxonline.odl.local:9080/logout/complete"}))
    check("logout uri without hint/client_id 400", s == 400, str(s))
    s, h, b = bget(lo + urllib.parse.urlencode({"post_logout_redirect_uri": "http://mitxonline.odl.local:9080/logout/complete",
                                                "id_token_hint": tokens["id_token"], "state": "bye"}))
    check("logout redirect", s == 302 and h.get("Location") == "http://mitxonline.odl.local:9080/logout/complete?state=bye", f"{s} {h.get('Location')}")
    s, h, b = bget(auth_url(state="x"))
    check("after logout: login page again", s == 200 and 'id="kc-form-login"' in b, str(s))
    s, h, b = bget(lo)
    check("logout without uri: logged-out page", s == 200 and "You are logged out" in b, str(s))
    s, h, b = bget(lo + urllib.parse.urlencode({"post_logout_redirect_uri": "http://mitxonline.odl.local:9080/logout/complete", "client_id": "apisix"}))
    check("logout with client_id", s == 302, str(s))
    # password grant refused when directAccessGrantsEnabled=false
    token = kcmod.admin_token(kc, SECRETS)
    admin = kcmod._Admin(kc, token)
    c = admin.call("GET", "/clients?clientId=apisix").json()[0]
    admin.call("PUT", f"/clients/{c['id']}", {**c, "directAccessGrantsEnabled": False}, expect=(204,))
    r = kcmod.http("POST", f"{ISS}/protocol/openid-connect/token", form={"grant_type": "password", "client_id": "apisix",
                   "client_secret": SECRET, "username": "student@odl.local", "password": "student-pw"})
    check("password grant refused without directAccessGrantsEnabled", r.status in (400, 401) and r.json()["error"] == "unauthorized_client", f"{r.status} {r.body[:120]!r}")
    changes = kcmod.reconcile(kc, SECRETS)
    check("reconcile restores directAccessGrantsEnabled", any("directAccessGrantsEnabled" in x for x in changes), str(changes))
    # scope + default scope creation through admin API
    r = kcmod.http("POST", kc["url"] + "/admin/realms/ol-local/client-scopes", body={"name": "extra", "protocol": "openid-connect"}, token=token)
    check("POST client-scope 201", r.status == 201, str(r.status))
    r = kcmod.http("POST", kc["url"] + "/admin/realms/ol-local/clients", body={"clientId": "other", "secret": "s", "redirectUris": ["http://x/cb"]}, token=token)
    check("POST client 201", r.status == 201, str(r.status))
    oth = admin.call("GET", "/clients?clientId=other").json()
    check("new client got realm default scopes", oth and {"profile", "email"} <= set(oth[0]["defaultClientScopes"]), str(oth[0].get("defaultClientScopes") if oth else None))

print(f"{len(fails)} failed: {fails}" if fails else "ALL PASS")
sys.exit(1 if fails else 0)
