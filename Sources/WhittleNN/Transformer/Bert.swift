import Foundation
import WhittleTensor

/// config.json of `bert` encoders (MiniLM, BGE, all-MiniLM-L6-v2); keys are its own names.
public struct BertConfiguration: Codable, Sendable {
    public var modelType: String?
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: String?
    public var maxPositionEmbeddings: Int?
    public var typeVocabSize: Int?
    public var layerNormEps: Double?
    public var positionEmbeddingType: String?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size", hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps", positionEmbeddingType = "position_embedding_type"
    }
}

/// One post-LayerNorm BERT layer: h = LN(x + attn(x)); y = LN(h + W2·gelu(W1·h)).
final class BertLayer: Module {
    let query: Projection, key: Projection, value: Projection
    let attentionOut: Projection, attentionNorm: LayerNorm
    let intermediate: Projection, output: Projection, outputNorm: LayerNorm
    let heads: Int
    let activation: Activation
    private let tree: [(name: String, module: Module)]

    init(_ r: WeightReader, prefix p: String, config c: BertConfiguration, activation: Activation) throws {
        let h = c.hiddenSize, f = c.intermediateSize, eps = Float(c.layerNormEps ?? 1e-12)
        func proj(_ name: String, _ out: Int, _ inp: Int) throws -> Projection {
            try Projection(weight: r.require(p + name + ".weight", shape: [out, inp]), bias: r.require(p + name + ".bias", shape: [out]))
        }
        func norm(_ name: String) throws -> LayerNorm {
            try LayerNorm(weight: r.require(p + name + ".weight", shape: [h]), bias: r.require(p + name + ".bias", shape: [h]), eps: eps)
        }
        query = try proj("attention.self.query", h, h)
        key = try proj("attention.self.key", h, h)
        value = try proj("attention.self.value", h, h)
        attentionOut = try proj("attention.output.dense", h, h)
        attentionNorm = try norm("attention.output.LayerNorm")
        intermediate = try proj("intermediate.dense", f, h)
        output = try proj("output.dense", h, f)
        outputNorm = try norm("output.LayerNorm")
        heads = c.numAttentionHeads
        self.activation = activation
        tree = [
            ("attention", ModuleGroup("bert_attention", [
                ("self", ModuleGroup("bert_self_attention", [("query", query), ("key", key), ("value", value)])),
                ("output", ModuleGroup("bert_output", [("dense", attentionOut), ("LayerNorm", attentionNorm)])),
            ])),
            ("intermediate", ModuleGroup("bert_intermediate", [("dense", intermediate)])),
            ("output", ModuleGroup("bert_output", [("dense", output), ("LayerNorm", outputNorm)])),
        ]
        super.init()
    }

    override var typeName: String { "bert_layer" }
    override var children: [(name: String, module: Module)] { tree }

    override func forward(_ x: Tensor) throws -> Tensor {
        let n = x.shape[0], h = x.shape[1], hd = h / heads
        let q = try query.apply(x), k = try key.apply(x), v = try value.apply(x)
        let ctx = try Tensor(zeros: [n, h])
        AttentionCore.attend(q: q.floats, n: n, keys: k.floats, values: v.floats, total: n, firstPosition: 0,
                             heads: heads, kvHeads: heads, headDim: hd, scale: 1 / Float(hd).squareRoot(),
                             mask: .bidirectional, out: ctx.floats)
        let a = try attentionOut.apply(ctx)
        for i in 0..<a.count { a.floats[i] += x.floats[i] }
        try attentionNorm.applyInPlace(a)
        let mid = try intermediate.apply(a)
        activation.apply(mid.floats, mid.count)
        let y = try output.apply(mid)
        for i in 0..<y.count { y.floats[i] += a.floats[i] }
        try outputNorm.applyInPlace(y)
        return y
    }
}

/// A BERT encoder with sentence-transformers' mean pooling and L2 normalisation.
/// Module paths are the checkpoint's: "embeddings.word_embeddings.weight", "encoder.layer.0...".
public final class BertModel: Module {
    /// The configuration it was built from.
    public let config: BertConfiguration
    let wordEmbeddings: TokenEmbedding, positionEmbeddings: TokenEmbedding, tokenTypeEmbeddings: TokenEmbedding
    let embeddingNorm: LayerNorm
    let layers: [BertLayer]
    private let tree: [(name: String, module: Module)]

    /// Builds the encoder from `reader` (names with or without a "bert." prefix).
    public init(_ c: BertConfiguration, _ r: WeightReader) throws {
        for (name, v) in [("vocab_size", c.vocabSize), ("hidden_size", c.hiddenSize), ("num_hidden_layers", c.numHiddenLayers),
                          ("num_attention_heads", c.numAttentionHeads), ("intermediate_size", c.intermediateSize)] {
            guard v > 0 else { throw NNError.invalidModel("\(r.configName): \(name) must be positive, got \(v)") }
        }
        guard c.hiddenSize % c.numAttentionHeads == 0 else {
            throw NNError.invalidModel("\(r.configName): hidden_size \(c.hiddenSize) is not a multiple of num_attention_heads \(c.numAttentionHeads)")
        }
        if let t = c.positionEmbeddingType, t != "absolute" {
            throw NNError.invalidModel("\(r.configName): position_embedding_type '\(t)' is not supported (supported: absolute)")
        }
        config = c
        let act = try activation(c.hiddenAct ?? "gelu")
        let p = r.has("bert.embeddings.word_embeddings.weight") ? "bert." : ""
        let h = c.hiddenSize, eps = Float(c.layerNormEps ?? 1e-12)
        wordEmbeddings = try TokenEmbedding(weight: r.require(p + "embeddings.word_embeddings.weight", shape: [c.vocabSize, h]))
        positionEmbeddings = try TokenEmbedding(weight: r.require(p + "embeddings.position_embeddings.weight", shape: [c.maxPositionEmbeddings ?? 512, h]))
        tokenTypeEmbeddings = try TokenEmbedding(weight: r.require(p + "embeddings.token_type_embeddings.weight", shape: [c.typeVocabSize ?? 2, h]))
        embeddingNorm = try LayerNorm(weight: r.require(p + "embeddings.LayerNorm.weight", shape: [h]),
                                      bias: r.require(p + "embeddings.LayerNorm.bias", shape: [h]), eps: eps)
        layers = try (0..<c.numHiddenLayers).map { try BertLayer(r, prefix: "\(p)encoder.layer.\($0).", config: c, activation: act) }
        let embeddings = ModuleGroup("bert_embeddings", [("word_embeddings", wordEmbeddings), ("position_embeddings", positionEmbeddings),
                                                         ("token_type_embeddings", tokenTypeEmbeddings), ("LayerNorm", embeddingNorm)])
        let encoder = ModuleGroup("bert_encoder", [("layer", ModuleGroup("layers", layers.enumerated().map { (String($0.offset), $0.element as Module) }))])
        let body: [(name: String, module: Module)] = [("embeddings", embeddings), ("encoder", encoder)]
        tree = p.isEmpty ? body : [("bert", ModuleGroup("bert", body))]
        super.init()
    }

    public override var typeName: String { "bert" }
    public override var children: [(name: String, module: Module)] { tree }

    /// The longest input in tokens.
    public var maxContext: Int { positionEmbeddings.count }

    /// Last hidden states (n, hidden) for one sequence of ids (token type 0).
    public func hiddenStates(_ ids: [Int]) throws -> Tensor {
        guard !ids.isEmpty else { throw NNError.invalidArgument("no tokens to embed") }
        guard ids.count <= maxContext else {
            throw NNError.invalidArgument("context of \(ids.count) tokens exceeds the model's maximum of \(maxContext)")
        }
        let x = try wordEmbeddings.lookup(ids)
        let pos = try positionEmbeddings.lookup(Array(0..<ids.count))
        let types = try tokenTypeEmbeddings.lookup(Array(repeating: 0, count: ids.count))
        for i in 0..<x.count { x.floats[i] += pos.floats[i] + types.floats[i] }
        try embeddingNorm.applyInPlace(x)
        var h = x
        for layer in layers { h = try layer.forward(h) }
        return h
    }

    /// The sentence embedding (hidden): mean of the hidden states, L2-normalised.
    public func embed(_ ids: [Int]) throws -> [Float] {
        let h = try hiddenStates(ids)
        let n = h.shape[0], d = h.shape[1]
        var mean = [Float](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += h.floats[i * d + j] } }
        var norm: Float = 0
        for j in 0..<d { mean[j] /= Float(n); norm += mean[j] * mean[j] }
        let inv = 1 / max(norm.squareRoot(), 1e-12)
        return mean.map { $0 * inv }
    }
}
