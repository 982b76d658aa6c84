#!/usr/bin/env bash
# Installs what Whittle needs on a Debian machine with Swift (apt packages when
# missing), then builds the release binary. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in liblua5.4-dev libedit-dev zlib1g-dev pkg-config tmux; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Test models (SmolLM2, Gemma 3, MiniLM) for the tokenizer and transformer tests, into a cache outside the repository.
echo "setup: fetching test models" >&2
Scripts/models/fetch.sh >/dev/null

echo "setup: building whittle (release)" >&2
swift build -c release --product whittle 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2 || true
test -x .build/release/whittle || { echo "setup: build failed" >&2; exit 1; }
