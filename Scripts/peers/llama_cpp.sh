#!/usr/bin/env bash
# Builds llama.cpp's tools (the peer and oracle for GGUF, quantizers, perplexity and
# speed) from the sources vendored in PyPI's llama-cpp-python sdist, once, into a cache
# outside the repository. Prints the bin directory on stdout; safe to run again.
#   Scripts/peers/llama_cpp.sh            -> e.g. ~/.cache/whittle/llama.cpp-0.3.36/build/bin
# Also leaves the ggml sources at <cache>/src (fixture scripts compile ggml-quants.c from it).
set -euo pipefail
VERSION=0.3.36
CACHE="${WHITTLE_CACHE:-$HOME/.cache/whittle}"
ROOT="$CACHE/llama.cpp-$VERSION"
BIN="$ROOT/build/bin"
TARGETS=(llama-quantize llama-perplexity llama-bench llama-imatrix llama-tokenize test-quantize-perf llama-gguf-split llama-completion)
have_all() { for t in "${TARGETS[@]}"; do [ -x "$BIN/$t" ] || return 1; done; }
if have_all; then echo "$BIN"; exit 0; fi
mkdir -p "$ROOT"
if [ ! -f "$ROOT/src/CMakeLists.txt" ]; then
  command -v cmake >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake >/dev/null; }
  echo "llama.cpp: downloading llama-cpp-python==$VERSION sdist" >&2
  python3 -m pip download -q --no-deps --no-binary llama-cpp-python "llama-cpp-python==$VERSION" -d "$ROOT/dl" >&2
  tar -xzf "$ROOT"/dl/llama_cpp_python-$VERSION.tar.gz -C "$ROOT/dl"
  rm -rf "$ROOT/src" && mv "$ROOT/dl/llama_cpp_python-$VERSION/vendor/llama.cpp" "$ROOT/src"
fi
command -v cmake >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake >/dev/null; }
echo "llama.cpp: building ${TARGETS[*]} (about 7 minutes on 2 cores)" >&2
cmake -S "$ROOT/src" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=ON -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF >&2
for t in "${TARGETS[@]}"; do
  cmake --build "$ROOT/build" --target "$t" -j "$(nproc)" >&2 || echo "llama.cpp: target $t failed to build" >&2
done
echo "$BIN"
