#!/usr/bin/env bash
# Quick start: set up, then run the main job on the bundled default: Deep Compression
# (prune + k-means sharing + Huffman) of the bundled LeNet-300-100, with its before/after table.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
exec .build/release/whittle run Scripts/recipes/deep_compression_demo.lua "$@"
