#!/usr/bin/env bash
# The main job, from a fresh machine: builds the npm package and the collaborative
# editor, then runs the relay serving it at http://127.0.0.1:8080 with its documents
# in ./weft-data. Open the page in two tabs (the link button copies the URL).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
install_wasm_tools
(cd wasm/npm && npm ci --no-audit --no-fund --loglevel=error)
build_web_demo
exec cargo run --release -p weft-relay -- serve --static-dir web-demo/dist "$@"
