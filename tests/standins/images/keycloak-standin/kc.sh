#!/bin/bash
# kc.sh of the Keycloak STAND-IN (not Keycloak): same path and command line as the real
# image's /opt/keycloak/bin/kc.sh, runs the Django + django-oauth-toolkit provider.
set -euo pipefail
cd /opt/keycloak/app
exec python3 -m kcstandin.main "$@"
