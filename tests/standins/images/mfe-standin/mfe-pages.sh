#!/bin/sh
# One page per MFE directory the mounted Caddyfile serves (the real image ships webpack builds there).
set -eu
for dir in $(sed -n 's#^[[:space:]]*root \* \(/openedx/dist/[A-Za-z0-9_-]*\)[[:space:]]*$#\1#p' /etc/caddy/Caddyfile); do
  name=${dir##*/}
  mkdir -p "$dir"
  # The learner-dashboard MFE's page does what that MFE does on load (learner-dashboard.html).
  if [ "$name" = learner-dashboard ]; then cp /usr/local/share/mfe-standin/learner-dashboard.html "$dir/index.html"; continue; fi
  printf '<!doctype html><html><head><title>%s MFE (odl-stack stand-in)</title></head><body data-mfe="%s">odl-stack mfe stand-in: %s</body></html>\n' \
    "$name" "$name" "$name" > "$dir/index.html"
done
exec "$@"
