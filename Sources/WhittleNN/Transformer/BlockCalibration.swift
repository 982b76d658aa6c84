import WhittleTensor

/// The block-by-block view the calibrated passes (GPTQ, SparseGPT, imatrix) use: hidden
/// states are pushed through one decoder block at a time, and the block's projections can be
/// observed (their inputs) and rewritten (their weights) in between, so only one block's
/// activations and f32 weights are ever materialised.
extension DecoderModel {
    /// Decoder blocks.
    public var blockCount: Int { layers.count }

    /// The first block's input for `ids`: embeddings times the model's embedding scale.
    public func blockInput(_ ids: [Int]) throws -> Tensor {
        try embedTokens.lookup(ids, scale: spec.embeddingScale)
    }

    /// Block `i` applied to one sequence's hidden states x (tokens, hidden), from position 0.
    public func runBlock(_ i: Int, _ x: Tensor) throws -> Tensor {
        guard layers.indices.contains(i) else { throw NNError.invalidArgument("block \(i) out of range (0..<\(layers.count))") }
        return try layers[i].forward(x, cache: KVCache.Layer(width: spec.kvHeads * spec.headDim))
    }

    /// Block `i`'s projections in execution order, with their checkpoint names
    /// ("model.layers.3.self_attn.q_proj"); projections listed together read the same input.
    public func blockProjections(_ i: Int) -> [[(name: String, projection: Projection)]] {
        guard layers.indices.contains(i) else { return [] }
        let stem = children.first?.name ?? "model"
        let p = "\(stem).layers.\(i)."
        let a = layers[i].attention, m = layers[i].mlp
        return [
            [(p + "self_attn.q_proj", a.q), (p + "self_attn.k_proj", a.k), (p + "self_attn.v_proj", a.v)],
            [(p + "self_attn.o_proj", a.o)],
            [(p + "mlp.gate_proj", m.gate), (p + "mlp.up_proj", m.up)],
            [(p + "mlp.down_proj", m.down)],
        ]
    }
}

/// GGUF tensor names for the Hugging Face names the model tree uses (the inverse of the
/// loader's mapping), so importance matrices line up with llama-quantize's.
public enum GGUFTensorNames {
    /// llama.cpp's name for `hf` ("model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight").
    public static func gguf(fromHF hf: String, architecture: String) -> String {
        switch hf {
        case "model.embed_tokens.weight": return "token_embd.weight"
        case "model.norm.weight": return "output_norm.weight"
        case "lm_head.weight": return "output.weight"
        default: break
        }
        let parts = hf.split(separator: ".", maxSplits: 3).map(String.init)
        guard parts.count == 4, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
              let dot = parts[3].lastIndex(of: ".") else { return hf }
        let suffix = String(parts[3][dot...])
        for base in ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down", "attn_norm", "ffn_norm",
                     "attn_q_norm", "attn_k_norm", "post_attention_norm", "post_ffw_norm"] {
            let candidate = "blk.\(layer).\(base)\(suffix)"
            if GGUFWeights.hfName(candidate, architecture: architecture) == hf { return candidate }
        }
        return hf
    }
}
