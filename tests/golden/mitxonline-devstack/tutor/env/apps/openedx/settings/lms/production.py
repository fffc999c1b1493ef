# odl-stack: the runbook's private.py, as a Tutor patch.
FEATURES["ALLOW_PUBLIC_ACCOUNT_CREATION"] = True
FEATURES["ENABLE_COMBINED_LOGIN_REGISTRATION"] = True
FEATURES["ENABLE_THIRD_PARTY_AUTH"] = True
FEATURES["ENABLE_OAUTH2_PROVIDER"] = True
FEATURES["SKIP_EMAIL_VALIDATION"] = True
FEATURES["ENABLE_AUTHN_MICROFRONTEND"] = False
FEATURES["ENABLE_UNICODE_USERNAME"] = True
REGISTRATION_EXTRA_FIELDS["country"] = "hidden"
# RegistrationView.post limits registrations per client IP (default 60/7d, counted in Redis across
# restarts). Every registration of this stack comes from the MIT app's one container IP, and a
# developer who resets learners would hit the default within days: a development-sized limit.
REGISTRATION_RATELIMIT = "1000/h"
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
CORS_ORIGIN_WHITELIST.append("http://edx.odl.local:18000")

# CMS authentication
IDA_LOGOUT_URI_LIST.append("http://studio.edx.odl.local:18000/logout/")

# Required to display all courses on start page
SEARCH_SKIP_ENROLLMENT_START_DATE_FILTERING = True

# Dynamic config API settings
# https://openedx.github.io/frontend-platform/module-Config.html
MFE_CONFIG = {
    "BASE_URL": "apps.edx.odl.local:18000",
    "CSRF_TOKEN_API_PATH": "/csrf/api/v1/token",
    "CREDENTIALS_BASE_URL": "",
    "DISCOVERY_API_BASE_URL": "",
    "FAVICON_URL": "http://edx.odl.local:18000/favicon.ico",
    "INFO_EMAIL": "contact@edx.odl.local",
    "LANGUAGE_PREFERENCE_COOKIE_NAME": "openedx-language-preference",
    "LMS_BASE_URL": "http://edx.odl.local:18000",
    "LOGIN_URL": "http://edx.odl.local:18000/login",
    "LOGO_URL": "http://edx.odl.local:18000/theming/asset/images/logo.png",
    "LOGO_WHITE_URL": "http://edx.odl.local:18000/theming/asset/images/logo.png",
    "LOGO_TRADEMARK_URL": "http://edx.odl.local:18000/theming/asset/images/logo.png",
    "LOGOUT_URL": "http://edx.odl.local:18000/logout",
    "MARKETING_SITE_BASE_URL": "http://edx.odl.local:18000",
    "PASSWORD_RESET_SUPPORT_LINK": "mailto:contact@edx.odl.local",
    "REFRESH_ACCESS_TOKEN_ENDPOINT": "http://edx.odl.local:18000/login_refresh",
    "SITE_NAME": "My Open edX",
    "STUDIO_BASE_URL": "http://studio.edx.odl.local:18000",
    "USER_INFO_COOKIE_NAME": "user-info",
    "ACCESS_TOKEN_COOKIE_NAME": "edx-jwt-cookie-header-payload",
}

FRONTEND_SITE_CONFIG = {
    "baseUrl": "http://apps.edx.odl.local:18000",
    "cmsBaseUrl": "http://studio.edx.odl.local:18000",
    "lmsBaseUrl": "http://edx.odl.local:18000",
    "loginUrl": "http://edx.odl.local:18000/login",
    "logoutUrl": "http://edx.odl.local:18000/logout",
    "externalRoutes": [
        {"role": "org.openedx.frontend.role.logout", "url": "http://edx.odl.local:18000/logout"},
    ],
    "commonAppConfig": {},
}

# MFE-specific settings




ACCOUNT_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/account/"
MFE_CONFIG["ACCOUNT_SETTINGS_URL"] = ACCOUNT_MICROFRONTEND_URL
FRONTEND_SITE_CONFIG["externalRoutes"].append({"role": "org.openedx.frontend.role.account", "url": "http://apps.edx.odl.local:18000/account/"})



COURSE_AUTHORING_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/authoring"
MFE_CONFIG["COURSE_AUTHORING_MICROFRONTEND_URL"] = COURSE_AUTHORING_MICROFRONTEND_URL
MFE_CONFIG["ENABLE_ASSETS_PAGE"] = "true"
MFE_CONFIG["ENABLE_HOME_PAGE_COURSE_API_V2"] = "true"
MFE_CONFIG["ENABLE_PROGRESS_GRAPH_SETTINGS"] = "true"
MFE_CONFIG["ENABLE_TAGGING_TAXONOMY_PAGES"] = "true"
MFE_CONFIG["ENABLE_UNIT_PAGE"] = "true"
MFE_CONFIG["MEILISEARCH_ENABLED"] = "true"



DISCUSSIONS_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/discussions"
MFE_CONFIG["DISCUSSIONS_MFE_BASE_URL"] = DISCUSSIONS_MICROFRONTEND_URL
DISCUSSIONS_MFE_FEEDBACK_URL = None



WRITABLE_GRADEBOOK_URL = "http://apps.edx.odl.local:18000/gradebook"



LEARNER_HOME_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/learner-dashboard/"



INSTRUCTOR_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/instructor-dashboard"



LEARNING_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/learning"
MFE_CONFIG["LEARNING_BASE_URL"] = "http://apps.edx.odl.local:18000/learning"



ORA_GRADING_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/ora-grading"



PROFILE_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/profile/u/"
MFE_CONFIG["ACCOUNT_PROFILE_URL"] = "http://apps.edx.odl.local:18000/profile"
FRONTEND_SITE_CONFIG["externalRoutes"].append({"role": "org.openedx.frontend.role.profile", "url": "http://apps.edx.odl.local:18000/profile/"})



COMMUNICATIONS_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/communications"
MFE_CONFIG["SCHEDULE_EMAIL_SECTION"] = True



ADMIN_CONSOLE_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/admin-console"
MFE_CONFIG["ADMIN_CONSOLE_URL"] = ADMIN_CONSOLE_MICROFRONTEND_URL



CATALOG_MICROFRONTEND_URL = "http://apps.edx.odl.local:18000/catalog"



NOTIFICATIONS_DEFAULT_FROM_EMAIL = ENV_TOKENS.get("NOTIFICATIONS_DEFAULT_FROM_EMAIL", ENV_TOKENS["CONTACT_EMAIL"])


LOGIN_REDIRECT_WHITELIST.append("apps.edx.odl.local:18000")
CORS_ORIGIN_WHITELIST.append("http://apps.edx.odl.local:18000")
CSRF_TRUSTED_ORIGINS.append("http://apps.edx.odl.local:18000")



# odl-stack: LMS_HOST is "edx.odl.local:18000", so every URL Tutor derives from it names the
# port of the stack's one front (Caddy); the bare names are what ALLOWED_HOSTS and cookies need.
ALLOWED_HOSTS = list(ALLOWED_HOSTS) + ["edx.odl.local"]
# A cookie's Domain carries no port (RFC 6265 5.2.3); Tutor's lms.env.yml sets it to LMS_HOST.
SESSION_COOKIE_DOMAIN = "edx.odl.local"
# One LMS URL, http://edx.odl.local:18000, in the browser and inside the network (as Tutor's development settings).
LMS_INTERNAL_ROOT_URL = LMS_ROOT_URL
LOGIN_REDIRECT_WHITELIST.append("mitxonline.odl.local:8013")
# openedx-companion-auth sends anonymous requests to SSO; health checks must
# still reach /heartbeat.
MITX_REDIRECT_ENABLED = True
MITX_REDIRECT_LOGIN_URL = "/auth/login/mitxpro-oauth2/?auth_entry=login"
MITX_REDIRECT_ALLOW_RE_LIST = [r"^/(admin|auth|login|logout|register|api|oauth2|user_api|heartbeat)"]