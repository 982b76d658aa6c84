#!/usr/bin/env bash
# Cycles per 32 values, in cache, of each block dot product: Whittle's kernels at the AVX2 and
# AVX-512 levels (CKernels compiled straight from the sources with clang) next to llama.cpp's
# test-quantize-perf (min cycles/32 vals, vec_dot_q, 4096 values), native and AVX2-only builds
# (Scripts/bench/peers builds the latter). Lower is better; the ratio is llama/Whittle's GEMV.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${WHITTLE_CACHE:-$HOME/.cache/whittle}/llama.cpp-0.3.36"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
S="$ROOT/Sources/CKernels"
clang -O2 -I"$S/include" -I"$S" "$ROOT/Scripts/bench/peers_cycles.c" "$S"/*.c -lm -o "$OUT/cycles"
llama() {  # bin dir, type -> min cycles/32 or -
    [ -x "$1/test-quantize-perf" ] || { echo -; return; }
    "$1/test-quantize-perf" --op vec_dot_q --type "$2" --size 4096 -i 2000 2>/dev/null | awk '/min cycles/ {print $NF}'
}
echo "| type | Whittle dot [avx2] | Whittle GEMV [avx2] | llama.cpp AVX2 build | ratio | Whittle GEMV [avx512] | llama.cpp native | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
"$OUT/cycles" 1 > "$OUT/avx2"
"$OUT/cycles" 2 > "$OUT/avx512" 2>/dev/null || : > "$OUT/avx512"
while read -r t dot gemv; do
    l2="$(llama "$CACHE/build-avx2/bin" "$t")"; ln="$(llama "$CACHE/build/bin" "$t")"
    g5="$(awk -v t="$t" '$1 == t {print $3}' "$OUT/avx512")"
    r2="$(awk -v a="$l2" -v b="$gemv" 'BEGIN {print (a == "-" ? "-" : sprintf("%.2fx", a / b))}')"
    r5="$(awk -v a="$ln" -v b="${g5:--}" 'BEGIN {print (a == "-" || b == "-" ? "-" : sprintf("%.2fx", a / b))}')"
    echo "| $t | $dot | $gemv | $l2 | $r2 | ${g5:--} | $ln | $r5 |"
done < "$OUT/avx2"
