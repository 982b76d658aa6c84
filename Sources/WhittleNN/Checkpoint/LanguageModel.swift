import Foundation
import WhittleFormats
import WhittleTensor

/// A loaded transformer: a decoder (Llama, Qwen, Gemma 3) or an encoder (BERT), with the
/// numbers `lm.config` shows and where it came from.
public final class LanguageModel {
    /// The network itself.
    public enum Network {
        case decoder(DecoderModel)
        case encoder(BertModel)
    }

    /// The configuration's architecture name ("llama", "qwen3", "gemma3", "bert").
    public let architecture: String
    /// The path it was loaded from.
    public let path: String
    /// The network.
    public let network: Network
    /// The tokenizer, when the checkpoint has one Whittle can read (set by the loader's caller).
    public var tokenizer: TextCodec?
    /// How the model was made: its source files, and the passes run on it (written by `save`).
    public var provenance = Provenance()
    /// The GGUF file it was loaded from (its metadata is kept on export), or nil.
    public internal(set) var ggufSource: GGUFFile?
    /// The config.json it was loaded from (kept on export as a Hugging Face directory), or nil.
    public internal(set) var hfConfig: Data?

    /// Wraps a built network.
    public init(architecture: String, path: String, network: Network) {
        self.architecture = architecture
        self.path = path
        self.network = network
    }

    /// The module tree (its parameter paths are the checkpoint's tensor names).
    public var module: Module {
        switch network {
        case .decoder(let d): return d
        case .encoder(let e): return e
        }
    }

    /// The decoder, or nil for an encoder.
    public var decoder: DecoderModel? { if case .decoder(let d) = network { return d }; return nil }
    /// The encoder, or nil for a decoder.
    public var encoder: BertModel? { if case .encoder(let e) = network { return e }; return nil }

    /// Vocabulary size.
    public var vocabSize: Int {
        switch network {
        case .decoder(let d): return d.spec.vocab
        case .encoder(let e): return e.config.vocabSize
        }
    }

    /// The longest context in tokens.
    public var maxContext: Int {
        switch network {
        case .decoder(let d): return d.spec.maxContext
        case .encoder(let e): return e.maxContext
        }
    }

    /// The headline numbers: arch, layers, hidden, heads, kv_heads, ffn, vocab, ctx.
    public var summaryConfig: [(key: String, value: Any)] {
        switch network {
        case .decoder(let d):
            let s = d.spec
            return [("arch", architecture), ("layers", s.layers), ("hidden", s.hidden), ("heads", s.heads), ("kv_heads", s.kvHeads),
                    ("head_dim", s.headDim), ("ffn", s.ffn), ("vocab", s.vocab), ("ctx", s.maxContext)]
        case .encoder(let e):
            let c = e.config
            return [("arch", architecture), ("layers", c.numHiddenLayers), ("hidden", c.hiddenSize), ("heads", c.numAttentionHeads),
                    ("kv_heads", c.numAttentionHeads), ("head_dim", c.hiddenSize / max(1, c.numAttentionHeads)),
                    ("ffn", c.intermediateSize), ("vocab", c.vocabSize), ("ctx", e.maxContext)]
        }
    }

    /// Throws unless every id is a valid token of this model.
    public func checkIDs(_ ids: [Int]) throws {
        guard !ids.isEmpty else { throw NNError.invalidArgument("no tokens (an empty input)") }
        for id in ids where id < 0 || id >= vocabSize {
            throw NNError.invalidArgument("token id \(id) is out of range for a vocabulary of \(vocabSize)")
        }
    }

    /// Logits (n, vocab) for a sequence of ids from an empty context (decoders only).
    public func logits(_ ids: [Int]) throws -> Tensor {
        guard let d = decoder else { throw NNError.invalidArgument("\(architecture) is an encoder: it has no logits (use embed)") }
        try checkIDs(ids)
        return try d.forward(ids: ids, cache: d.makeCache())
    }

    /// Sentence embeddings, one row per id sequence (encoders only).
    public func embed(_ sequences: [[Int]]) throws -> Tensor {
        guard let e = encoder else { throw NNError.invalidArgument("\(architecture) is a decoder: embeddings need an encoder model such as bert") }
        let d = e.config.hiddenSize
        let out = try Tensor(zeros: [sequences.count, d])
        for (i, ids) in sequences.enumerated() {
            try checkIDs(ids)
            let v = try e.embed(ids)
            v.withUnsafeBufferPointer { if let b = $0.baseAddress { (out.floats + i * d).update(from: b, count: d) } }
        }
        return out
    }
}
