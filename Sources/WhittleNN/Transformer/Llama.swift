import Foundation
import WhittleTensor

/// config.json of `llama` models (SmolLM2, TinyLlama, Llama 2/3) and `mistral`; keys are its own names.
public struct LlamaConfiguration: Codable, Sendable {
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
    public var attentionBias: Bool?
    public var mlpBias: Bool?
    /// Mistral's local attention window (every layer), when set.
    public var slidingWindow: Int?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim", maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", hiddenAct = "hidden_act"
        case tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias", mlpBias = "mlp_bias"
        case slidingWindow = "sliding_window"
    }

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
        s.maxContext = maxPositionEmbeddings ?? 2048
        s.normEps = Float(rmsNormEps ?? 1e-6)
        s.activation = try activation(hiddenAct ?? "silu")
        s.ropeTheta = Array(repeating: ropeTheta ?? 10000, count: max(0, numHiddenLayers))
        s.ropeScaling = ropeScaling
        s.slidingWindow = Array(repeating: slidingWindow, count: max(0, numHiddenLayers))
        s.qkvBias = attentionBias ?? false
        s.outputBias = attentionBias ?? false
        s.mlpBias = mlpBias ?? false
        s.tiedEmbeddings = tieWordEmbeddings ?? false
        return s
    }
}

/// The per-layer norm names of Llama-style layers (the second is the pre-MLP norm, despite its name).
public let llamaNormNames = ["input_layernorm", "post_attention_layernorm"]

/// Parses an activation name from config.json, naming the supported ones when unknown.
func activation(_ name: String) throws -> Activation {
    guard let a = Activation(configName: name) else {
        throw NNError.invalidModel("config.json: activation '\(name)' is not supported (supported: silu, gelu, gelu_pytorch_tanh)")
    }
    return a
}

/// Builds a Llama-family decoder from its configuration and weights.
public func makeLlama(_ config: LlamaConfiguration, _ reader: WeightReader) throws -> DecoderModel {
    try DecoderModel(spec: config.spec(), reader: reader, normNames: llamaNormNames)
}
