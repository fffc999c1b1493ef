#!/usr/bin/env bash
# STAND-IN of mitodl/mitxonline scripts/run-watch-dev.sh (yarn install, then `yarn workspace
# mitx-online-public run dev-server --port 8012`): the webpack stand-in on the same port, entries
# of frontend/public/webpack.config.js:15-20 (the one the engine test edits).
set -e
exec python3 ./scripts/webpack_standin.py --port 8012 --entry root=frontend/public/src/entry/root.js
