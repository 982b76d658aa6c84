#!/usr/bin/env bash
# Whittle's KL divergence against llama.cpp's on the same files: SmolLM2-135M-Instruct Q4_1 (the
# cached model) is the base; it is requantized with llama-quantize --allow-requantize to each TYPE;
# llama-perplexity --kl-divergence-base / --kl-divergence and `whittle perplexity --base` then score
# the same Persuasion chunks (ctx 512). llama.cpp runs with its exact attention (f32 KV cache, no
# flash attention), the attention Whittle computes.
#   Scripts/bench/kld_vs_llama.sh [CHUNKS] [TYPE...]      (default: 3 chunks, Q4_0 Q8_0)
source "$(dirname "$0")/llm_peer_paths.sh"
BASE="$SMOL"
CTX=512; CHUNKS="${1:-3}"; shift || true
TYPES=("$@"); [ ${#TYPES[@]} -eq 0 ] && TYPES=(Q4_0 Q8_0)
THREADS="${THREADS:-2}"
EXACT=(-fa off -ctk f32 -ctv f32)
for t in llama-perplexity llama-quantize; do
  [ -x "$BIN/$t" ] || { echo "kld_vs_llama: $BIN/$t missing: run Scripts/peers/llama_cpp.sh" >&2; exit 1; }
done
[ -f "$BASE" ] || { echo "kld_vs_llama: $BASE missing: run Scripts/models/fetch.sh" >&2; exit 1; }
WHITTLE=.build/release/whittle
[ -x "$WHITTLE" ] || swift build -c release --product whittle >&2
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT

"$BIN/llama-perplexity" -m "$BASE" -f "$TEXT" -c "$CTX" --chunks "$CHUNKS" -t "$THREADS" "${EXACT[@]}" \
  --kl-divergence-base "$WORK/base.kld" >/dev/null 2>&1
pick() {  # the figures both tools print in llama.cpp's statistics block
  python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
def f(label, pct=False):
    m = re.search(label + r"\s*:\s*(-?[0-9.]+)(?:\s*±\s*(-?[0-9.]+))?", t)
    return m.group(1) if m else "?"
print(" ".join([f(r"Mean PPL\(Q\)"), f(r"Mean PPL\(base\)"), f(r"Mean ln\(PPL\(Q\)/PPL\(base\)\)"),
                f(r"Mean    KLD"), f(r"99\.0%   KLD"), f(r"Maximum KLD"), f(r"RMS Δp   "), f(r"Same top p")]))
PY
}
echo "KL divergence vs $(basename "$BASE") on $TEXT (ctx $CTX, $CHUNKS chunks, llama.cpp ${EXACT[*]})"
printf "%-6s %-9s %10s %10s %10s %10s %10s %10s %8s %8s\n" type tool "PPL(Q)" "PPL(base)" "ln ratio" "KLD" "KLD p99" "KLD max" "RMS Δp%" "top1%"
for q in "${TYPES[@]}"; do
  model="$WORK/model-$q.gguf"
  "$BIN/llama-quantize" --allow-requantize "$BASE" "$model" "$q" "$THREADS" >/dev/null 2>&1
  "$BIN/llama-perplexity" -m "$model" -c "$CTX" -t "$THREADS" "${EXACT[@]}" --kl-divergence-base "$WORK/base.kld" \
    --kl-divergence > "$WORK/llama-$q.txt" 2>&1
  "$WHITTLE" perplexity "$model" "$TEXT" --base "$BASE" --ctx "$CTX" --chunks "$CHUNKS" --threads "$THREADS" \
    > "$WORK/whittle-$q.txt" 2>/dev/null
  for tool in llama whittle; do
    # shellcheck disable=SC2046
    printf "%-6s %-9s %10s %10s %10s %10s %10s %10s %8s %8s\n" "$q" "$tool" $(pick "$WORK/$tool-$q.txt")
  done
done
