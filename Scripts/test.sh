#!/usr/bin/env bash
# Sets up (apt packages) and runs the whole test suite in release mode: the
# numeric kernels are far too slow unoptimised, so tests use the public API only.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
exec swift test -c release "$@"
