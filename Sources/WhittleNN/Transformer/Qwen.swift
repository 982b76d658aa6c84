import Foundation
import WhittleTensor

/// config.json of `qwen2` (q/k/v biases) and `qwen3` (QK-norm, explicit head_dim) models.
public struct QwenConfiguration: Codable, Sendable {
    public var modelType: String?
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int?
    public var headDim: Int?
    public var maxPositionEmbeddings: Int?
    public var rmsNormEps: Double?
    public var ropeTheta: Double?
    public var ropeScaling: RoPEScaling?
    public var hiddenAct: String?
    public var tieWordEmbeddings: Bool?
    /// Qwen3's switch for q/k/v/o biases (Qwen2 always has q/k/v biases).
    public var attentionBias: Bool?
    /// Local attention on layers from max_window_layers on, when use_sliding_window is set.
    public var useSlidingWindow: Bool?
    public var slidingWindow: Int?
    public var maxWindowLayers: Int?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim", maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", hiddenAct = "hidden_act"
        case tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias"
        case useSlidingWindow = "use_sliding_window", slidingWindow = "sliding_window", maxWindowLayers = "max_window_layers"
    }

    /// True for Qwen3 (QK-norm, no default biases).
    public var isQwen3: Bool { modelType == "qwen3" }

    /// The decoder this configuration describes.
    public func spec() throws -> DecoderSpec {
        var s = DecoderSpec()
        s.vocab = vocabSize
        s.hidden = hiddenSize
        s.layers = numHiddenLayers
        s.heads = numAttentionHeads
        s.kvHeads = numKeyValueHeads ?? numAttentionHeads
        s.headDim = headDim ?? (numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0)
        s.ffn = intermediateSize
        s.maxContext = maxPositionEmbeddings ?? 32768
        s.normEps = Float(rmsNormEps ?? 1e-6)
        s.activation = try activation(hiddenAct ?? "silu")
        let n = max(0, numHiddenLayers)
        s.ropeTheta = Array(repeating: ropeTheta ?? 10000, count: n)
        s.ropeScaling = ropeScaling
        let firstLocal = maxWindowLayers ?? n
        s.slidingWindow = (0..<n).map { useSlidingWindow == true && $0 >= firstLocal ? slidingWindow : nil }
        s.qkvBias = isQwen3 ? (attentionBias ?? false) : true
        s.outputBias = isQwen3 ? (attentionBias ?? false) : false
        s.qkNorm = isQwen3
        s.tiedEmbeddings = tieWordEmbeddings ?? false
        return s
    }
}

/// Builds a Qwen2 or Qwen3 decoder from its configuration and weights.
public func makeQwen(_ config: QwenConfiguration, _ reader: WeightReader) throws -> DecoderModel {
    try DecoderModel(spec: config.spec(), reader: reader, normNames: llamaNormNames)
}
