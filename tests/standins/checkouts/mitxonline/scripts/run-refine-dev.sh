#!/usr/bin/env bash
# STAND-IN of mitodl/mitxonline scripts/run-refine-dev.sh (the staff dashboard's dev server,
# /health at frontend/staff-dashboard/craco.config.js:40): the webpack stand-in on 8016.
set -e
exec python3 ./scripts/webpack_standin.py --port 8016 --entry index=frontend/staff-dashboard/src/index.tsx
