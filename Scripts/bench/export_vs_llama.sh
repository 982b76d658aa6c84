#!/usr/bin/env bash
# A Whittle-exported GGUF in llama.cpp: SmolLM2-135M dequantized to F32, GPTQ into Q4_0 blocks
# (whittle.lm.gptq, a few calibration windows), saved with lm:save("x.gguf"); then llama-perplexity
# and `whittle perplexity` on that same file (Persuasion, ctx 512, 20 chunks). Target: within 0.5%.
# The same model is also saved as a compressed-tensors directory, loaded back by Whittle (same
# perplexity expected) and checked with numpy by Scripts/fixtures/check_compressed_tensors.py.
#   Scripts/bench/export_vs_llama.sh [--quick]      (--quick: ctx 128, 4 chunks, 2 windows)
#   FORMAT=q4_1_zp Scripts/bench/export_vs_llama.sh  (GPTQ's grid: q4_0 by default; q4_1_zp gives Q4_1
#   blocks with integer zero points, exported as asymmetric pack-quantized int4)
source "$(dirname "$0")/llm_peer_paths.sh"
CTX=512; CHUNKS=20; THREADS="${THREADS:-2}"
# Calibration is not what is measured here (the file is): a few short windows keep it quick.
WINDOWS="${WINDOWS:-4}"; CALIB_CTX="${CALIB_CTX:-128}"; FORMAT="${FORMAT:-q4_0}"
[ "${1:-}" = "--quick" ] && { CTX=128; CHUNKS=4; WINDOWS=2; }
WORK="${WORK:-$(mktemp -d /tmp/whittle-export-XXXXXX)}"
mkdir -p "$WORK"
[ -x "$BIN/llama-perplexity" ] || { echo "export_vs_llama: $BIN/llama-perplexity missing: run Scripts/peers/llama_cpp.sh" >&2; exit 1; }
[ -f "$SMOL" ] || { echo "export_vs_llama: $SMOL missing: run Scripts/models/fetch.sh" >&2; exit 1; }
WHITTLE=.build/release/whittle
[ -x "$WHITTLE" ] || swift build -c release --product whittle >&2

"$WHITTLE" quantize "$SMOL" "$WORK/smollm2-f32.gguf" F32 --allow-requantize >/dev/null 2>&1
cat > "$WORK/export.lua" <<LUA
local w = whittle
local text = io.open("$TEXT"):read("a")
local lm = w.lm.load("$WORK/smollm2-f32.gguf")
-- calibrate on the second half of the book (the perplexity chunks come from its start)
w.lm.gptq(lm, text:sub(#text // 2), {format = "$FORMAT", ctx = $CALIB_CTX, windows = $WINDOWS})
lm:save("$WORK/smollm2-gptq-$FORMAT.gguf")
lm:save("$WORK/smollm2-gptq-ct/", {format = "compressed-tensors"})
lm:save("$WORK/smollm2-gptq-f32/", {dequantize = "f32"})
LUA
start=$(date +%s)
"$WHITTLE" run "$WORK/export.lua" 2>"$WORK/gptq.log"
echo "GPTQ ($WINDOWS windows of $CALIB_CTX) and three exports: $(( $(date +%s) - start )) s, in $WORK"

ppl_of() { sed -n 's/.*Final estimate: PPL = \([0-9.]*\) +\/- \([0-9.]*\).*/\1/p'; }
ref=$("$BIN/llama-perplexity" -m "$WORK/smollm2-gptq-$FORMAT.gguf" -f "$TEXT" -c "$CTX" --chunks "$CHUNKS" -t "$THREADS" 2>&1 | ppl_of)
got=$("$WHITTLE" perplexity "$WORK/smollm2-gptq-$FORMAT.gguf" "$TEXT" --ctx "$CTX" --chunks "$CHUNKS" --threads "$THREADS" 2>/dev/null | ppl_of)
ct=$("$WHITTLE" perplexity "$WORK/smollm2-gptq-ct" "$TEXT" --ctx "$CTX" --chunks "$CHUNKS" --threads "$THREADS" 2>/dev/null | ppl_of)
echo "Perplexity on $TEXT (ctx $CTX, $CHUNKS chunks, $THREADS threads)"
printf "%-44s %12s\n" "llama-perplexity, Whittle's GGUF" "$ref"
printf "%-44s %12s  (%s vs llama.cpp)\n" "whittle perplexity, same GGUF" "$got" "$(python3 -c "print('%+.3f%%' % (100 * ($got - $ref) / $ref))")"
printf "%-44s %12s  (%s vs the GGUF)\n" "whittle perplexity, compressed-tensors dir" "$ct" "$(python3 -c "print('%+.4f%%' % (100 * ($ct - $got) / $got))")"
python3 Scripts/fixtures/check_compressed_tensors.py check "$WORK/smollm2-gptq-ct" "$WORK/smollm2-gptq-f32"
