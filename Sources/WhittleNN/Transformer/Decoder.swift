import Foundation
import WhittleTensor

/// Everything a decoder-only architecture file decides: sizes from its configuration plus the
/// variations between families (biases, QK-norm, Gemma's norms and scales, local layers).
public struct DecoderSpec: Sendable {
    public var vocab = 0, hidden = 0, layers = 0, heads = 0, kvHeads = 0, headDim = 0, ffn = 0
    /// The longest context the model was trained for.
    public var maxContext = 2048
    public var normEps: Float = 1e-5
    /// Added to every RMSNorm weight (Gemma stores w - 1).
    public var normOffset: Float = 0
    public var activation = Activation.silu
    /// Rotary base of each layer (Gemma 3's local layers use their own).
    public var ropeTheta: [Double] = []
    /// Scaling applied to the global (full-attention) layers.
    public var ropeScaling: RoPEScaling?
    /// Adjacent pairs (GGUF Llama) or halves (HF, NeoX).
    public var ropeStyle = RoPE.Style.neox
    /// Each layer's window, nil for full causal attention.
    public var slidingWindow: [Int?] = []
    /// q/k/v biases (Qwen2), o bias, MLP biases.
    public var qkvBias = false, outputBias = false, mlpBias = false
    /// Per-head RMSNorm of q and k before RoPE (Qwen3, Gemma 3).
    public var qkNorm = false
    /// Gemma's post-attention and post-feed-forward norms.
    public var sandwichNorms = false
    /// Multiplies the embeddings (Gemma: sqrt(hidden)).
    public var embeddingScale: Float = 1
    /// Multiplies q·k; nil means 1/sqrt(head_dim).
    public var attentionScale: Float?
    /// The output head is the embedding table.
    public var tiedEmbeddings = false

    /// An empty spec (architecture files fill it from their configuration).
    public init() {}

    /// Throws unless the sizes are positive and consistent.
    func validate(_ source: String) throws {
        for (name, v) in [("vocab_size", vocab), ("hidden_size", hidden), ("num_hidden_layers", layers), ("num_attention_heads", heads),
                          ("num_key_value_heads", kvHeads), ("head_dim", headDim), ("intermediate_size", ffn), ("max_position_embeddings", maxContext)] {
            guard v > 0 else { throw NNError.invalidModel("\(source): \(name) must be positive, got \(v)") }
        }
        guard heads % kvHeads == 0 else { throw NNError.invalidModel("\(source): num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kvHeads)") }
        guard ropeTheta.count == layers, slidingWindow.count == layers else { throw NNError.invalidModel("\(source): per-layer settings do not cover \(layers) layers") }
    }
}

/// One decoder block: h = x + attn(norm(x)); y = h + mlp(norm(h)), with Gemma's extra norms.
public final class DecoderLayer: Module {
    let attention: SelfAttention
    let mlp: GatedMLP
    let inputNorm: RMSNorm
    let attentionOutputNorm: RMSNorm?
    let mlpInputNorm: RMSNorm
    let mlpOutputNorm: RMSNorm?
    private let normNames: [String]

    init(attention: SelfAttention, mlp: GatedMLP, inputNorm: RMSNorm, attentionOutputNorm: RMSNorm?,
         mlpInputNorm: RMSNorm, mlpOutputNorm: RMSNorm?, normNames: [String]) {
        (self.attention, self.mlp, self.inputNorm, self.attentionOutputNorm) = (attention, mlp, inputNorm, attentionOutputNorm)
        (self.mlpInputNorm, self.mlpOutputNorm, self.normNames) = (mlpInputNorm, mlpOutputNorm, normNames)
        super.init()
    }

    public override var typeName: String { "decoder_layer" }
    public override var children: [(name: String, module: Module)] {
        var c: [(name: String, module: Module)] = [("self_attn", attention), ("mlp", mlp)]
        let norms = [inputNorm, attentionOutputNorm, mlpInputNorm, mlpOutputNorm].compactMap { $0 }
        for (name, norm) in zip(normNames, norms) { c.append((name, norm)) }
        return c
    }

    /// Runs the block on x (n, hidden) in place of a new tensor, extending `cache`.
    func forward(_ x: Tensor, cache: KVCache.Layer) throws -> Tensor {
        let a = x.clone()
        try inputNorm.applyInPlace(a)
        let attn = try attention.forward(a, cache: cache)
        try attentionOutputNorm?.applyInPlace(attn)
        for i in 0..<x.count { attn.floats[i] += x.floats[i] }
        let m = attn.clone()
        try mlpInputNorm.applyInPlace(m)
        let y = try mlp.forward(m)
        try mlpOutputNorm?.applyInPlace(y)
        for i in 0..<y.count { y.floats[i] += attn.floats[i] }
        return y
    }
}

/// A decoder-only language model: embed_tokens, layers, norm, lm_head (or the tied table).
/// Module paths are the checkpoint's names: "model.layers.0.self_attn.q_proj.weight".
public final class DecoderModel: Module {
    /// The configuration the model was built from.
    public let spec: DecoderSpec
    /// model.embed_tokens.
    public let embedTokens: TokenEmbedding
    let layers: [DecoderLayer]
    let norm: RMSNorm
    let lmHead: Projection?
    private let modelGroup: ModuleGroup

    /// Builds the model from `reader`'s tensors, named as in Hugging Face checkpoints.
    /// `normNames` are the per-layer norm names in order (input, [post-attn], pre-mlp, [post-mlp]).
    public init(spec: DecoderSpec, reader r: WeightReader, prefix: String = "model.", normNames: [String]) throws {
        try spec.validate(r.configName)
        self.spec = spec
        let h = spec.hidden, hd = spec.headDim
        embedTokens = try TokenEmbedding(weight: r.require("\(prefix)embed_tokens.weight", shape: [spec.vocab, h]))
        func makeNorm(_ name: String, _ d: Int) throws -> RMSNorm {
            try RMSNorm(weight: r.require(name, shape: [d]), eps: spec.normEps, offset: spec.normOffset)
        }
        func proj(_ name: String, out: Int, in k: Int, bias: Bool) throws -> Projection {
            let b = bias ? try r.require("\(name).bias", shape: [out]) : try r.optional("\(name).bias", shape: [out])
            let w = try r.require("\(name).weight", shape: [out, k])
            let projection = try Projection(weight: w, bias: b)
            if w.dtype == .i8 {  // W8A8 (compressed-tensors, per-channel int8): its row scales come too
                try projection.setW8A8(values: w, scales: try r.require("\(name).weight_scale", shape: [out, 1]).checkedF32().reshaped([out]))
            }
            return projection
        }
        var built: [DecoderLayer] = []
        for i in 0..<spec.layers {
            let p = "\(prefix)layers.\(i)."
            let window = spec.slidingWindow[i]
            let rope = try RoPE(dimensions: hd, theta: spec.ropeTheta[i], style: spec.ropeStyle,
                                scaling: window == nil ? spec.ropeScaling : nil)
            let attention = try SelfAttention(
                heads: spec.heads, kvHeads: spec.kvHeads, headDim: hd,
                scale: spec.attentionScale ?? 1 / Float(hd).squareRoot(),
                mask: window.map { .slidingWindow($0) } ?? .causal, rope: rope,
                q: proj(p + "self_attn.q_proj", out: spec.heads * hd, in: h, bias: spec.qkvBias),
                k: proj(p + "self_attn.k_proj", out: spec.kvHeads * hd, in: h, bias: spec.qkvBias),
                v: proj(p + "self_attn.v_proj", out: spec.kvHeads * hd, in: h, bias: spec.qkvBias),
                o: proj(p + "self_attn.o_proj", out: h, in: spec.heads * hd, bias: spec.outputBias),
                qNorm: spec.qkNorm ? makeNorm(p + "self_attn.q_norm.weight", hd) : nil,
                kNorm: spec.qkNorm ? makeNorm(p + "self_attn.k_norm.weight", hd) : nil)
            let mlp = try GatedMLP(gate: proj(p + "mlp.gate_proj", out: spec.ffn, in: h, bias: spec.mlpBias),
                                   up: proj(p + "mlp.up_proj", out: spec.ffn, in: h, bias: spec.mlpBias),
                                   down: proj(p + "mlp.down_proj", out: h, in: spec.ffn, bias: spec.mlpBias),
                                   activation: spec.activation)
            let norms = try normNames.map { try makeNorm(p + $0 + ".weight", h) }
            guard norms.count == (spec.sandwichNorms ? 4 : 2) else {
                throw NNError.invalidModel("decoder: \(norms.count) norm names for a layer with \(spec.sandwichNorms ? 4 : 2) norms")
            }
            built.append(DecoderLayer(attention: attention, mlp: mlp, inputNorm: norms[0],
                                      attentionOutputNorm: spec.sandwichNorms ? norms[1] : nil,
                                      mlpInputNorm: norms[spec.sandwichNorms ? 2 : 1],
                                      mlpOutputNorm: spec.sandwichNorms ? norms[3] : nil, normNames: normNames))
        }
        layers = built
        norm = try makeNorm("\(prefix)norm.weight", h)
        if let head = try r.optional("lm_head.weight", shape: [spec.vocab, h]) {
            lmHead = try Projection(weight: head)
        } else if spec.tiedEmbeddings {
            lmHead = nil
        } else {
            throw NNError.invalidModel("\(r.source.location(of: "lm_head.weight")): missing tensor 'lm_head.weight' and tie_word_embeddings is false")
        }
        let layerGroup = ModuleGroup("layers", built.enumerated().map { (name: String($0.offset), module: $0.element as Module) })
        let stem = prefix.hasSuffix(".") ? String(prefix.dropLast()) : prefix
        modelGroup = ModuleGroup(stem, [("embed_tokens", embedTokens), ("layers", layerGroup), ("norm", norm)])
        super.init()
    }

    public override var typeName: String { "decoder" }
    public override var children: [(name: String, module: Module)] {
        var c: [(name: String, module: Module)] = [(modelGroup.typeName, modelGroup)]
        if let lmHead { c.append(("lm_head", lmHead)) }
        return c
    }

    /// An empty KV cache sized for this model.
    public func makeCache() -> KVCache {
        KVCache(layers: spec.layers, width: spec.kvHeads * spec.headDim, maxLength: spec.maxContext)
    }

    /// Logits (n, vocab) for `ids` following the tokens already in `cache` (which grows by n);
    /// with `lastOnly`, only the last token's row (1, vocab).
    public func forward(ids: [Int], cache: KVCache, lastOnly: Bool = false) throws -> Tensor {
        try forward(ids: ids, cache: cache, outputsFrom: lastOnly ? ids.count - 1 : 0)
    }

    /// Logits (n - outputsFrom, vocab) for the positions from `outputsFrom` on: the output head, the
    /// largest product of a small model, runs only for the rows a caller scores (as llama.cpp's batch flags do).
    public func forward(ids: [Int], cache: KVCache, outputsFrom: Int) throws -> Tensor {
        guard !ids.isEmpty else { throw NNError.invalidArgument("no tokens to run") }
        guard outputsFrom >= 0 && outputsFrom < ids.count else {
            throw NNError.invalidArgument("outputs from position \(outputsFrom) of \(ids.count) tokens")
        }
        guard cache.layers.count == layers.count else { throw NNError.invalidArgument("KV cache was made for another model") }
        guard cache.length + ids.count <= spec.maxContext else {
            throw NNError.invalidArgument("context of \(cache.length + ids.count) tokens exceeds the model's maximum of \(spec.maxContext)")
        }
        let start = cache.length
        var x = try embedTokens.lookup(ids, scale: spec.embeddingScale)
        do {
            for (i, layer) in layers.enumerated() { x = try layer.forward(x, cache: cache.layers[i]) }
        } catch {
            cache.truncate(to: start)  // a failed step leaves the cache as it was
            throw error
        }
        if outputsFrom > 0 {
            let rows = ids.count - outputsFrom
            let kept = try Tensor(zeros: [rows, spec.hidden])
            kept.floats.update(from: x.floats + outputsFrom * spec.hidden, count: rows * spec.hidden)
            x = kept
        }
        try norm.applyInPlace(x)
        return try lmHead?.apply(x) ?? embedTokens.logits(x)
    }
}
