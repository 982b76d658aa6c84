# Sourced by the language-model comparisons with llama.cpp (llm_table.sh, llm_vs_llama.sh,
# kld_vs_llama.sh, export_vs_llama.sh): strict mode, the repository root as working directory,
# and the paths they share. WHITTLE_CACHE moves the cache; LLAMA_BIN points at another llama.cpp build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
CACHE="${WHITTLE_CACHE:-$HOME/.cache/whittle}"
MODELS="$CACHE/models"
BIN="${LLAMA_BIN:-$CACHE/llama.cpp-0.3.36/build/bin}"
SMOL="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
TEXT=Data/text/austen_persuasion.txt
