#!/usr/bin/env bash
# The int8 GEMM 1024^3 (i32 out) and conv 3x3x64x64 against onnxruntime by thread CPU time, which other
# jobs on a shared machine barely move (wall-time figures of these 3-30 ms kernels move 2-5x under load).
# Whittle's kernels are compiled straight from CKernels with clang and run at the AVX2 level and, where
# the CPU has it, AVX-512; onnxruntime runs one intra-op thread (on the calling thread) with whatever
# kernels it picks for this CPU (AVX-512 VNNI on an AVX-512 machine). Ratio > 1: Whittle is faster.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/.venv-bench"
[ -x "$VENV/bin/python" ] || { python3 -m venv "$VENV"; "$VENV/bin/pip" install -q numpy onnxruntime onnx gguf; }
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
S="$ROOT/Sources/CKernels"
clang -O2 -I"$S/include" -I"$S" "$ROOT/Scripts/bench/peers_cputime.c" "$S"/*.c -lm -o "$OUT/cputime"
"$OUT/cputime" 1 > "$OUT/avx2"
"$OUT/cputime" 2 > "$OUT/avx512" 2>/dev/null || : > "$OUT/avx512"
OMP_NUM_THREADS=1 PYTHONPATH="$ROOT/Scripts/bench" "$VENV/bin/python" "$ROOT/Scripts/bench/peers_cputime.py" > "$OUT/ort"
echo "| case (thread CPU time) | Whittle [avx2] | Whittle [avx512] | onnxruntime | [avx2] ratio | [avx512] ratio |"
echo "|---|---:|---:|---:|---:|---:|"
while read -r name t2; do
    t5="$(awk -v c="$name" '$1 == c {print $2}' "$OUT/avx512")"; to="$(awk -v c="$name" '$1 == c {print $2}' "$OUT/ort")"
    awk -v c="$name" -v a="$t2" -v b="${t5:--}" -v o="$to" 'BEGIN {
        r5 = (b == "-") ? "-" : sprintf("%.2fx", o / b); b5 = (b == "-") ? "-" : sprintf("%.3f ms", b * 1e3);
        printf "| %s | %.3f ms | %s | %.3f ms | %.2fx | %s |\n", c, a * 1e3, b5, o * 1e3, o / a, r5 }'
done < "$OUT/avx2"
