import WhittleTensor

/// Grouped-query self-attention of a decoder layer: q/k/v/o projections (HF names q_proj...),
/// optional per-head q/k RMSNorm (Qwen3, Gemma 3), RoPE, and the layer's KV cache rows.
public final class SelfAttention: Module {
    /// Query heads, key/value heads, elements per head.
    public let heads: Int, kvHeads: Int, headDim: Int
    /// Multiplies q·k (1/sqrt(head_dim), or Gemma's query_pre_attn_scalar^-1/2).
    public let scale: Float
    /// Causal or sliding-window.
    public let mask: AttentionMask
    /// The layer's rotary embedding.
    public let rope: RoPE
    let q: Projection, k: Projection, v: Projection, o: Projection
    let qNorm: RMSNorm?, kNorm: RMSNorm?

    init(heads: Int, kvHeads: Int, headDim: Int, scale: Float, mask: AttentionMask, rope: RoPE,
         q: Projection, k: Projection, v: Projection, o: Projection, qNorm: RMSNorm?, kNorm: RMSNorm?) throws {
        guard heads > 0, kvHeads > 0, heads % kvHeads == 0 else {
            throw NNError.invalidModel("attention: \(heads) query heads cannot share \(kvHeads) key/value heads")
        }
        (self.heads, self.kvHeads, self.headDim, self.scale, self.mask, self.rope) = (heads, kvHeads, headDim, scale, mask, rope)
        (self.q, self.k, self.v, self.o, self.qNorm, self.kNorm) = (q, k, v, o, qNorm, kNorm)
        super.init()
    }

    public override var typeName: String { "self_attention" }
    public override var description: String { "self_attention(heads \(heads), kv \(kvHeads), dim \(headDim), \(mask))" }
    public override var children: [(name: String, module: Module)] {
        var c: [(name: String, module: Module)] = [("q_proj", q), ("k_proj", k), ("v_proj", v), ("o_proj", o)]
        if let qNorm { c.append(("q_norm", qNorm)) }
        if let kNorm { c.append(("k_norm", kNorm)) }
        return c
    }

    /// Attends x (n, hidden) at positions cache.count..., appending its keys and values to `cache`.
    func forward(_ x: Tensor, cache: KVCache.Layer) throws -> Tensor {
        let n = x.shape[0], start = cache.count
        let qs = try q.apply(x), ks = try k.apply(x), vs = try v.apply(x)
        try qNorm?.applyInPlace(qs)
        try kNorm?.applyInPlace(ks)
        let qw = heads * headDim, kw = kvHeads * headDim
        guard qs.shape[1] == qw, ks.shape[1] == kw, vs.shape[1] == kw, cache.width == kw else {
            throw NNError.invalidModel("attention: projections give \(qs.shape[1])/\(ks.shape[1]) features for \(heads)x\(headDim)/\(kvHeads)x\(headDim) heads")
        }
        for i in 0..<n {
            rope.apply(qs.floats + i * qw, heads: heads, headDim: headDim, position: start + i)
            rope.apply(ks.floats + i * kw, heads: kvHeads, headDim: headDim, position: start + i)
        }
        cache.keys.append(contentsOf: UnsafeBufferPointer(start: ks.floats, count: n * kw))
        cache.values.append(contentsOf: UnsafeBufferPointer(start: vs.floats, count: n * kw))
        let out = try Tensor(zeros: [n, qw])
        let total = cache.count
        cache.keys.withUnsafeBufferPointer { kb in
            cache.values.withUnsafeBufferPointer { vb in
                guard let kp = kb.baseAddress, let vp = vb.baseAddress else { return }
                AttentionCore.attend(q: qs.floats, n: n, keys: kp, values: vp, total: total, firstPosition: start,
                                     heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale, mask: mask, out: out.floats)
            }
        }
        return try o.apply(out)
    }
}

/// down(act(gate(x)) ⊙ up(x)): SwiGLU (Llama, Qwen) or GeGLU (Gemma).
public final class GatedMLP: Module {
    let gate: Projection, up: Projection, down: Projection
    /// The gate's activation.
    public let activation: Activation

    init(gate: Projection, up: Projection, down: Projection, activation: Activation) {
        (self.gate, self.up, self.down, self.activation) = (gate, up, down, activation)
        super.init()
    }

    public override var typeName: String { "gated_mlp" }
    public override var description: String { "gated_mlp(\(gate.inFeatures) -> \(gate.outFeatures), \(activation.rawValue))" }
    public override var children: [(name: String, module: Module)] { [("gate_proj", gate), ("up_proj", up), ("down_proj", down)] }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let g = try gate.apply(x), u = try up.apply(x)
        guard g.shape == u.shape else { throw NNError.invalidModel("mlp: gate and up projections differ in size") }
        activation.apply(g.floats, g.count)
        for i in 0..<g.count { g.floats[i] *= u.floats[i] }
        return try down.apply(g)
    }
}
