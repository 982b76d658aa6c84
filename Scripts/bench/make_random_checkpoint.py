#!/usr/bin/env python3
"""A random-weight bf16 Llama checkpoint of about 1.07B parameters, for the memory benchmark.

    python3 Scripts/bench/make_random_checkpoint.py [OUT_DIR] [--tokenizer tokenizer.json] [--7b-layers N]

Writes a Hugging Face directory (default ~/.cache/whittle/models/random-llama-1b-bf16): config.json
(hidden 2048, 16 layers, 32 query / 8 key-value heads, ffn 8192, vocab 49152, tied embeddings),
sharded bf16 safetensors with model.safetensors.index.json, and tokenizer.json when one is given
(SmolLM2's vocabulary has 49152 tokens). Needs only numpy. Values are N(0, 0.02²) rounded to bf16;
norms are ones. To keep generation quick, a pool of random values is drawn once and each tensor is a
random window of it (the checkpoint is for measuring memory and speed, not for modelling).

--7b-layers N makes N blocks of Llama-2-7B's shapes instead (hidden 4096, 32 heads and key-value heads,
ffn 11008, vocab 32000, untied output; default directory random-llama-7b-shape-NL-bf16): the measured
per-block figure behind the README's 7B plan, without 13.5 GB of weights.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

HIDDEN, LAYERS, HEADS, KV_HEADS, FFN, VOCAB, TIED = 2048, 16, 32, 8, 8192, 49152, True
SHARD_BYTES = 1 << 30


def main():
    args = [a for a in sys.argv[1:]]
    tokenizer = None
    if "--tokenizer" in args:
        i = args.index("--tokenizer")
        tokenizer = args[i + 1]
        del args[i:i + 2]
    global HIDDEN, LAYERS, HEADS, KV_HEADS, FFN, VOCAB, TIED
    name = "random-llama-1b-bf16"
    if "--7b-layers" in args:
        i = args.index("--7b-layers")
        LAYERS = int(args[i + 1])
        del args[i:i + 2]
        HIDDEN, HEADS, KV_HEADS, FFN, VOCAB, TIED = 4096, 32, 32, 11008, 32000, False
        name = "random-llama-7b-shape-%dL-bf16" % LAYERS
    out = args[0] if args else os.path.join(os.environ.get("WHITTLE_CACHE", os.path.expanduser("~/.cache/whittle")), "models", name)
    os.makedirs(out, exist_ok=True)
    head_dim = HIDDEN // HEADS
    shapes = [("model.embed_tokens.weight", (VOCAB, HIDDEN)), ("model.norm.weight", (HIDDEN,))]
    if not TIED:
        shapes.append(("lm_head.weight", (VOCAB, HIDDEN)))
    for i in range(LAYERS):
        p = "model.layers.%d." % i
        shapes += [(p + "input_layernorm.weight", (HIDDEN,)), (p + "post_attention_layernorm.weight", (HIDDEN,)),
                   (p + "self_attn.q_proj.weight", (HEADS * head_dim, HIDDEN)),
                   (p + "self_attn.k_proj.weight", (KV_HEADS * head_dim, HIDDEN)),
                   (p + "self_attn.v_proj.weight", (KV_HEADS * head_dim, HIDDEN)),
                   (p + "self_attn.o_proj.weight", (HIDDEN, HEADS * head_dim)),
                   (p + "mlp.gate_proj.weight", (FFN, HIDDEN)), (p + "mlp.up_proj.weight", (FFN, HIDDEN)),
                   (p + "mlp.down_proj.weight", (HIDDEN, FFN))]
    shapes.sort()
    rng = np.random.default_rng(1)
    pool32 = (rng.standard_normal(1 << 24, dtype=np.float32) * 0.02).view(np.uint32)
    pool = ((pool32 + 0x7FFF + ((pool32 >> 16) & 1)) >> 16).astype(np.uint16)  # round to nearest even
    one = np.uint16(0x3F80)  # bf16 1.0

    shards, current, size = [], [], 0
    for name, shape in shapes:
        n = int(np.prod(shape))
        if current and size + 2 * n > SHARD_BYTES:
            shards.append(current)
            current, size = [], 0
        current.append((name, shape))
        size += 2 * n
    shards.append(current)

    weight_map, total, params = {}, 0, 0
    for s, part in enumerate(shards):
        fname = "model-%05d-of-%05d.safetensors" % (s + 1, len(shards))
        header, offset = {}, 0
        for name, shape in part:
            n = int(np.prod(shape))
            header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + 2 * n]}
            offset += 2 * n
            weight_map[name] = fname
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * ((8 - len(h) % 8) % 8)
        with open(os.path.join(out, fname), "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for name, shape in part:
                n = int(np.prod(shape))
                if len(shape) == 1:
                    data = np.full(n, one, dtype=np.uint16)
                else:
                    data = np.empty(n, dtype=np.uint16)
                    done = 0
                    while done < n:
                        take = min(n - done, len(pool) // 2)
                        start = int(rng.integers(0, len(pool) - take))
                        data[done:done + take] = pool[start:start + take]
                        done += take
                f.write(data.tobytes())
                params += n
        total += offset
        print("wrote %s (%.2f GB)" % (fname, offset / 1e9), file=sys.stderr)
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
              "hidden_size": HIDDEN, "intermediate_size": FFN, "num_hidden_layers": LAYERS,
              "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS, "vocab_size": VOCAB,
              "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
              "tie_word_embeddings": TIED, "torch_dtype": "bfloat16", "bos_token_id": 1, "eos_token_id": 2}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    if tokenizer:
        shutil.copy(tokenizer, os.path.join(out, "tokenizer.json"))
    print("%s: %.3fB parameters, %.2f GB of bf16 weights" % (out, params / 1e9, total / 1e9))


if __name__ == "__main__":
    main()
