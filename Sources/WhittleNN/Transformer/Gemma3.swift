import Foundation
import WhittleTensor

/// config.json of Gemma 3's text model (`gemma3_text`, or the `text_config` of a `gemma3` checkpoint).
public struct Gemma3Configuration: Codable, Sendable {
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
    /// Rotary base of the global layers.
    public var ropeTheta: Double?
    /// Rotary base of the local (sliding-window) layers.
    public var ropeLocalBaseFreq: Double?
    public var ropeScaling: RoPEScaling?
    public var hiddenActivation: String?
    /// q·k is scaled by query_pre_attn_scalar^-1/2 rather than head_dim^-1/2.
    public var queryPreAttnScalar: Double?
    public var slidingWindow: Int?
    /// Every n-th layer is global (older configs; newer ones list `layer_types`).
    public var slidingWindowPattern: Int?
    /// "sliding_attention" or "full_attention" per layer.
    public var layerTypes: [String]?
    public var attentionBias: Bool?
    public var finalLogitSoftcapping: Double?
    public var attnLogitSoftcapping: Double?
    public var tieWordEmbeddings: Bool?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim", maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeLocalBaseFreq = "rope_local_base_freq", ropeScaling = "rope_scaling"
        case hiddenActivation = "hidden_activation", queryPreAttnScalar = "query_pre_attn_scalar"
        case slidingWindow = "sliding_window", slidingWindowPattern = "sliding_window_pattern", layerTypes = "layer_types"
        case attentionBias = "attention_bias", finalLogitSoftcapping = "final_logit_softcapping"
        case attnLogitSoftcapping = "attn_logit_softcapping", tieWordEmbeddings = "tie_word_embeddings"
    }

    /// True when layer `i` uses the sliding window.
    public func isLocal(_ i: Int) -> Bool {
        if let t = layerTypes, i < t.count { return t[i] == "sliding_attention" }
        let pattern = slidingWindowPattern ?? 6
        return pattern <= 0 ? false : (i + 1) % pattern != 0
    }

    /// The decoder this configuration describes.
    public func spec() throws -> DecoderSpec {
        if finalLogitSoftcapping != nil || attnLogitSoftcapping != nil {
            throw NNError.invalidModel("config.json: logit soft-capping (Gemma 2) is not supported for gemma3")
        }
        var s = DecoderSpec()
        s.vocab = vocabSize
        s.hidden = hiddenSize
        s.layers = numHiddenLayers
        s.heads = numAttentionHeads
        s.kvHeads = numKeyValueHeads ?? numAttentionHeads
        s.headDim = headDim ?? 256
        s.ffn = intermediateSize
        s.maxContext = maxPositionEmbeddings ?? 131072
        s.normEps = Float(rmsNormEps ?? 1e-6)
        s.normOffset = 1
        s.activation = try activation(hiddenActivation ?? "gelu_pytorch_tanh")
        let n = max(0, numHiddenLayers)
        s.ropeTheta = (0..<n).map { isLocal($0) ? (ropeLocalBaseFreq ?? 10000) : (ropeTheta ?? 1_000_000) }
        s.ropeScaling = ropeScaling
        s.slidingWindow = (0..<n).map { isLocal($0) ? (slidingWindow ?? 4096) : nil }
        s.qkvBias = attentionBias ?? false
        s.outputBias = attentionBias ?? false
        s.qkNorm = true
        s.sandwichNorms = true
        s.embeddingScale = Float(hiddenSize).squareRoot()
        s.attentionScale = Float(1 / (queryPreAttnScalar ?? Double(s.headDim)).squareRoot())
        s.tiedEmbeddings = tieWordEmbeddings ?? true
        return s
    }
}

/// Gemma's four per-layer norms, in the decoder's order (input, post-attention, pre-MLP, post-MLP).
public let gemmaNormNames = ["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"]

/// Builds a Gemma 3 text decoder from its configuration and weights.
public func makeGemma3(_ config: Gemma3Configuration, _ reader: WeightReader) throws -> DecoderModel {
    try DecoderModel(spec: config.spec(), reader: reader, normNames: gemmaNormNames)
}
