#!/usr/bin/env bash
# Sets up (apt packages) and runs the whole test suite in release mode: the
# numeric kernels are far too slow unoptimised, so tests use the public API only.
# The suite is XCTest; the last line sums it up as "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
Scripts/models/fetch.sh >/dev/null   # GGUF model tests read the test-model cache
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test -c release --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1)
if [[ $summary =~ Executed\ ([0-9]+)\ tests?,\ with\ ([0-9]+)\ failure ]]; then
  echo "tests: $((BASH_REMATCH[1] - BASH_REMATCH[2])) passed, ${BASH_REMATCH[2]} failed"
fi
exit "$status"
