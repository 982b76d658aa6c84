#!/usr/bin/env bash
# Quick start: set up, then run the main job on the bundled default.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
exec .build/release/whittle run Scripts/recipes/demo.lua "$@"
