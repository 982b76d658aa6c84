import WhittleTensor

/// The parts of one decoder block that activation-aware scaling (AWQ, SmoothQuant) rewrites:
/// the norms whose outputs feed the projections (they absorb 1/s), and the projection pairs
/// where one's output rows feed the other's input columns (v -> o, up -> down).
public struct DecoderBlockParts {
    /// The norm before q/k/v (input_layernorm).
    public let attentionNorm: RMSNorm
    /// The norm before gate/up (post_attention_layernorm; Gemma's pre_feedforward_layernorm).
    public let mlpNorm: RMSNorm
    public let q: Projection, k: Projection, v: Projection, o: Projection
    public let gate: Projection, up: Projection, down: Projection
    /// Query heads, key/value heads and head width: o's input column h·headDim + d reads
    /// v's output row (h / (heads / kvHeads))·headDim + d.
    public let heads: Int, kvHeads: Int, headDim: Int
    /// Checkpoint name prefix of the block ("model.layers.3.").
    public let prefix: String
}

extension DecoderModel {
    /// Block `i`'s scalable parts, or nil when out of range.
    public func blockParts(_ i: Int) -> DecoderBlockParts? {
        guard layers.indices.contains(i) else { return nil }
        let l = layers[i], a = l.attention, m = l.mlp
        let stem = children.first?.name ?? "model"
        return DecoderBlockParts(attentionNorm: l.inputNorm, mlpNorm: l.mlpInputNorm, q: a.q, k: a.k, v: a.v, o: a.o,
                                 gate: m.gate, up: m.up, down: m.down, heads: a.heads, kvHeads: a.kvHeads, headDim: a.headDim,
                                 prefix: "\(stem).layers.\(i).")
    }
}
