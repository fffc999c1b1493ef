#!/bin/bash
# STAND-IN of mitodl/mitxpro webpack_dev_server.sh (`yarn install` with --install, then
# hot-reload-dev-server.js on 0.0.0.0:8052): the webpack stand-in on the same port, an entry of
# webpack.config.shared.js:6-10 (the one the engine test edits).
set -ef -o pipefail
exec python3 ./scripts/webpack_standin.py --port 8052 --entry root=static/js/entry/root.js
