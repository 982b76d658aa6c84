#!/usr/bin/env bash
# Whittle against llama.cpp on the same GGUF files: perplexity on Persuasion (ctx 512,
# 20 chunks, llama-perplexity's method) and greedy continuations of a few prompts.
#   Scripts/bench/llm_vs_llama.sh [--quick]      (--quick: ctx 128, 4 chunks)
# Needs the test models (Scripts/models/fetch.sh) and llama.cpp's llama-perplexity,
# llama-completion and llama-quantize (Scripts/peers/llama_cpp.sh). SmolLM2 is also
# requantized to Q8_0 and F16 with llama-quantize --allow-requantize, into the model cache.
source "$(dirname "$0")/llm_peer_paths.sh"
CTX=512; CHUNKS=20; THREADS="${THREADS:-2}"; NTOK=32
[ "${1:-}" = "--quick" ] && { CTX=128; CHUNKS=4; }
for t in llama-perplexity llama-completion; do
  [ -x "$BIN/$t" ] || { echo "llm_vs_llama: $BIN/$t missing: run Scripts/peers/llama_cpp.sh" >&2; exit 1; }
done
WHITTLE=.build/release/whittle
[ -x "$WHITTLE" ] || swift build -c release --product whittle >&2

SMOL="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA="$MODELS/gemma-3-270m-q4_k_m.gguf"
[ -f "$SMOL" ] && [ -f "$GEMMA" ] || { echo "llm_vs_llama: models missing: run Scripts/models/fetch.sh" >&2; exit 1; }
list=("$SMOL" "$GEMMA")
if [ -x "$BIN/llama-quantize" ]; then
  for q in Q8_0 F16; do
    out="$MODELS/SmolLM2-135M-Instruct.$q.gguf"
    [ -f "$out" ] || "$BIN/llama-quantize" --allow-requantize "$SMOL" "$out" "$q" "$THREADS" >/dev/null 2>&1 || true
    [ -f "$out" ] && list+=("$out")
  done
fi

echo "Perplexity on $TEXT (ctx $CTX, $CHUNKS chunks, $THREADS threads)"
printf "%-36s %18s %18s %8s\n" model llama.cpp whittle diff
for m in "${list[@]}"; do
  ref=$("$BIN/llama-perplexity" -m "$m" -f "$TEXT" -c "$CTX" --chunks "$CHUNKS" -t "$THREADS" 2>&1 | sed -n 's/.*Final estimate: PPL = \([0-9.]*\) +\/- \([0-9.]*\).*/\1 \2/p')
  got=$("$WHITTLE" perplexity "$m" "$TEXT" --ctx "$CTX" --chunks "$CHUNKS" --threads "$THREADS" 2>/dev/null | sed -n 's/.*Final estimate: PPL = \([0-9.]*\) +\/- \([0-9.]*\).*/\1 \2/p')
  set -- $ref; r=$1; re=$2; set -- $got; g=$1; ge=$2
  diff=$(python3 -c "print('%+.3f%%' % (100 * ($g - $r) / $r))")
  printf "%-36s %10s ±%-7s %10s ±%-7s %8s\n" "$(basename "$m")" "$r" "$re" "$g" "$ge" "$diff"
done

echo
# Whittle keeps an f32 KV cache and exact softmax attention; llama.cpp's defaults (f16 cache, flash
# attention accumulating in f16) flip near-tied greedy choices of these small models within a few
# tokens (llama.cpp against itself with and without -fa), so continuations compare with its exact mode.
EXACT="${LLAMA_ATTN:--fa off -ctk f32 -ctv f32}"
echo "Greedy continuations ($NTOK tokens, llama.cpp $EXACT): identical characters before the first difference"
prompts=("The capital of France is" "Once upon a time, there was a" "Anne Elliot was" "def fibonacci(n):")
for m in "$SMOL" "$GEMMA"; do
  for p in "${prompts[@]}"; do
    ref=$("$BIN/llama-completion" -m "$m" -p "$p" -n "$NTOK" --temp 0 -no-cnv --no-display-prompt -t "$THREADS" --simple-io $EXACT 2>/dev/null </dev/null || true)
    got=$("$WHITTLE" generate "$m" -p "$p" -n "$NTOK" --threads "$THREADS" 2>/dev/null | tail -c +$((${#p} + 1)) || true)
    python3 - "$(basename "$m")" "$p" "$ref" "$got" <<'PY'
import sys
name, prompt, ref, got = sys.argv[1:]
ref, got = ref.rstrip(), got.rstrip()
n = 0
while n < min(len(ref), len(got)) and ref[n] == got[n]:
    n += 1
status = "identical" if ref == got else "first difference at char %d of %d" % (n, len(ref))
print("%-32s %-32r %s" % (name, prompt, status))
if ref != got:
    print("    llama.cpp: %r\n    whittle:   %r" % (ref, got))
PY
  done
done
