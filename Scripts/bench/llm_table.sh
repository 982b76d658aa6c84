#!/usr/bin/env bash
# The README's language-model reproduction table in one run: every method of
# Scripts/recipes/llm_table.lua on SmolLM2-135M-Instruct (F32, dequantized from the shipped Q4_1),
# at one setting, then llama-perplexity on every GGUF the recipe saved (the cross-check column:
# the same first CHUNKS chunks of 512 tokens of Persuasion that Whittle scored).
#   Scripts/bench/llm_table.sh [-c CHUNKS=20] [-w WINDOWS=128] [-o OUTDIR] [-m rtn,gptq,...] [--check-only]
# Prints the markdown table; OUTDIR keeps the models, table.tsv and the logs. --check-only runs just
# the llama-perplexity column over the rows OUTDIR/table.tsv already has.
source "$(dirname "$0")/llm_peer_paths.sh"
CHUNKS=20; WINDOWS=128; CHECK_ONLY=0; OUT="$CACHE/work/llm_table"; ONLY=""; THREADS="${THREADS:-2}"
while [ $# -gt 0 ]; do
  case "$1" in
    -c) CHUNKS="$2"; shift 2 ;;
    -w) WINDOWS="$2"; shift 2 ;;
    -o) OUT="$2"; shift 2 ;;
    -m) ONLY="$2"; shift 2 ;;
    --check-only) CHECK_ONLY=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "llm_table: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$BIN/llama-perplexity" ] || { echo "llm_table: $BIN/llama-perplexity missing: run Scripts/peers/llama_cpp.sh" >&2; exit 1; }
[ -f "$SMOL" ] || { echo "llm_table: $SMOL missing: run Scripts/models/fetch.sh" >&2; exit 1; }
WHITTLE="${WHITTLE:-.build/release/whittle}"
[ -x "$WHITTLE" ] || swift build -c release --product whittle >&2
mkdir -p "$OUT"
BASE="$OUT/smollm2-f32.gguf"
[ -f "$BASE" ] || "$WHITTLE" quantize "$SMOL" "$BASE" F32 --allow-requantize >/dev/null 2>&1

start=$(date +%s)
[ "$CHECK_ONLY" = 1 ] || "$WHITTLE" run Scripts/recipes/llm_table.lua "$BASE" "$OUT" "$CHUNKS" "$WINDOWS" $ONLY 2> "$OUT/recipe.log" | tee "$OUT/table.md"
[ "$CHECK_ONLY" = 1 ] || echo "recipe: $(( $(date +%s) - start )) s" >&2

# llama-perplexity on every GGUF in the table, beside Whittle's figure for the same tokens.
ppl_of() { sed -n 's/.*Final estimate: PPL = \([0-9.]*\) +\/- .*/\1/p'; }
echo
echo "| model file | whittle | llama-perplexity | difference |"
echo "|---|---:|---:|---:|"
tail -n +2 "$OUT/table.tsv" | while IFS=$'\t' read -r key method bpw file bytes ppl rest; do
  case "$file" in *.gguf) ;; *) continue ;; esac
  ref=$("$BIN/llama-perplexity" -m "$file" -f "$TEXT" -c 512 --chunks "$CHUNKS" -t "$THREADS" 2>&1 | tee "$OUT/llama-$key.log" | ppl_of)
  echo "| $(basename "$file") ($method) | $ppl | $ref | $(python3 -c "print('%+.3f%%' % (100 * ($ppl - $ref) / $ref))") |"
done | tee -a "$OUT/table.md"
