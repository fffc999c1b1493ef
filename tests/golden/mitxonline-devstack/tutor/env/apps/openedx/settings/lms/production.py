# odl-stack: the runbook's private.py, as a Tutor patch.
FEATURES["ALLOW_PUBLIC_ACCOUNT_CREATION"] = True
FEATURES["ENABLE_COMBINED_LOGIN_REGISTRATION"] = True
FEATURES["ENABLE_THIRD_PARTY_AUTH"] = True
FEATURES["ENABLE_OAUTH2_PROVIDER"] = True
FEATURES["SKIP_EMAIL_VALIDATION"] = True
FEATURES["ENABLE_AUTHN_MICROFRONTEND"] = False
FEATURES["ENABLE_UNICODE_USERNAME"] = True
REGISTRATION_EXTRA_FIELDS["country"] = "hidden"
# production.py builds AUTHENTICATION_BACKENDS from THIRD_PARTY_AUTH_BACKENDS at
# import time, so the backend must be prepended here, not only listed there.
THIRD_PARTY_AUTH_BACKENDS = ["social_auth_mitxpro.backends.MITxProOAuth2"]
AUTHENTICATION_BACKENDS = list(THIRD_PARTY_AUTH_BACKENDS) + [
    backend for backend in AUTHENTICATION_BACKENDS if backend not in THIRD_PARTY_AUTH_BACKENDS
]
IDA_LOGOUT_URI_LIST = list(IDA_LOGOUT_URI_LIST) + ["http://mitxonline.odl.local:8013/logout"]
# The secret itself stays in the stack's secrets/ (mode 0600), passed as an env var.
SOCIAL_AUTH_OAUTH_SECRETS = {"mitxpro-oauth2": os.environ.get("ODL_PROVIDER_CLIENT_SECRET", "")}

######## End of common LMS settings

ALLOWED_HOSTS = [
    ENV_TOKENS.get("LMS_BASE"),
    "lms",
]
CORS_ORIGIN_WHITELIST.append("http://edx.odl.local")

# CMS authentication
IDA_LOGOUT_URI_LIST.append("http://studio.edx.odl.local/logout/")

# Required to display all courses on start page
SEARCH_SKIP_ENROLLMENT_START_DATE_FILTERING = True

# odl-stack: one LMS URL, http://edx.odl.local:18000, in the browser and inside the network
# (the same shape as Tutor's own development settings).
LMS_BASE = "edx.odl.local:18000"
LMS_ROOT_URL = "http://{}".format(LMS_BASE)
LMS_INTERNAL_ROOT_URL = LMS_ROOT_URL
SITE_NAME = LMS_BASE
ALLOWED_HOSTS = list(ALLOWED_HOSTS) + ["edx.odl.local"]
CORS_ORIGIN_WHITELIST.append(LMS_ROOT_URL)
LOGIN_REDIRECT_WHITELIST.append("mitxonline.odl.local:8013")
# openedx-companion-auth sends anonymous requests to SSO; health checks must
# still reach /heartbeat.
MITX_REDIRECT_ENABLED = True
MITX_REDIRECT_LOGIN_URL = "/auth/login/mitxpro-oauth2/?auth_entry=login"
MITX_REDIRECT_ALLOW_RE_LIST = [r"^/(admin|auth|login|logout|register|api|oauth2|user_api|heartbeat)"]