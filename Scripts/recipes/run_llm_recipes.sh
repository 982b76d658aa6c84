#!/usr/bin/env bash
# Runs every language-model recipe (Scripts/recipes/llm_*.lua) end to end, after the README's setup:
# makes their inputs (SmolLM2-135M-Instruct dequantized to F32, and its round-to-nearest Q4_0 with
# F32 embeddings) in a work folder, then each recipe at a small setting so the whole check takes a
# few minutes: CHUNKS chunks of 512 tokens for perplexity, WINDOWS calibration windows.
#
#   Scripts/recipes/run_llm_recipes.sh [-c CHUNKS=1] [-w WINDOWS=2] [-o WORKDIR]
#
# Prints one line per recipe (exit status and seconds) and exits 1 if any recipe failed; each
# recipe's output is kept in WORKDIR/<recipe>.log. The README's figures come from the same recipes
# at the settings their headers give.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHUNKS=1; WINDOWS=2; WORK="${WHITTLE_CACHE:-$HOME/.cache/whittle}/work/recipes"
while [ $# -gt 0 ]; do
  case "$1" in
    -c) CHUNKS="$2"; shift 2 ;;
    -w) WINDOWS="$2"; shift 2 ;;
    -o) WORK="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "run_llm_recipes: unknown argument $1" >&2; exit 2 ;;
  esac
done
Scripts/setup.sh
WHITTLE=.build/release/whittle
SMOL="$(Scripts/models/fetch.sh)/SmolLM2-135M-Instruct.Q4_1.gguf"
mkdir -p "$WORK"
F32="$WORK/smollm2-f32.gguf"; RTN="$WORK/smollm2-rtn-q4_0.gguf"
[ -f "$F32" ] || "$WHITTLE" quantize "$SMOL" "$F32" F32 --allow-requantize > "$WORK/make-f32.log" 2>&1
[ -f "$RTN" ] || "$WHITTLE" quantize "$F32" "$RTN" Q4_0 --pure --token-embedding-type f32 > "$WORK/make-rtn.log" 2>&1

failed=0
run() {
  local name="$1"; shift
  local start; start=$(date +%s)
  if "$WHITTLE" run "Scripts/recipes/$name.lua" "$@" > "$WORK/$name.log" 2>&1; then
    echo "$name: ok, $(( $(date +%s) - start )) s"
  else
    echo "$name: FAILED (exit $?), $(( $(date +%s) - start )) s; see $WORK/$name.log"
    failed=1
  fi
}
run llm_gptq "$F32" "$RTN" "$CHUNKS" "$WINDOWS" act_order
run llm_awq "$F32" "$RTN" "$CHUNKS" "$WINDOWS" "$WORK/awq-q4_0.gguf"
run llm_smoothquant "$F32" "$CHUNKS" "$WINDOWS"
run llm_sparsegpt "$F32" "$CHUNKS" "$WINDOWS"
run llm_mix "$F32" "$RTN" "$CHUNKS" "$WINDOWS"
mkdir -p "$WORK/table"
run llm_table "$F32" "$WORK/table" "$CHUNKS" "$WINDOWS" rtn,rtn_imatrix,gptq,w8a8
# A new llm_*.lua recipe must be added above, so that this check covers every one.
for f in Scripts/recipes/llm_*.lua; do
  n="$(basename "$f" .lua)"
  grep -q "^run $n " "$0" || { echo "$n: not run by $0 (add it)"; failed=1; }
done
exit "$failed"
