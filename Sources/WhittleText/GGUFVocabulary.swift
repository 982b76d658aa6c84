/// The `tokenizer.ggml.*` metadata of a GGUF file as plain values, and the tokenizer they describe
/// (following llama.cpp's `llama_vocab::load`: defaults per model, then the file's overrides).
public struct GGUFVocabulary: Sendable {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE), "llama" (SentencePiece BPE) or "bert" (WordPiece).
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer name of a "gpt2" model.
    public var pre: String?
    /// `tokenizer.ggml.tokens`.
    public var tokens: [String]
    /// `tokenizer.ggml.merges` ("left right").
    public var merges: [String]?
    /// `tokenizer.ggml.scores`.
    public var scores: [Float]?
    /// `tokenizer.ggml.token_type` (GGUF numbering).
    public var tokenTypes: [Int32]?
    /// `tokenizer.ggml.bos_token_id`, `eos_token_id`, `unknown_token_id`, `seperator_token_id`.
    public var bosID: UInt32?, eosID: UInt32?, unknownID: UInt32?, separatorID: UInt32?
    /// `tokenizer.ggml.add_bos_token`, `add_eos_token`, `add_space_prefix` (nil: the model's default).
    public var addBOS: Bool?, addEOS: Bool?, addSpacePrefix: Bool?

    /// Metadata with only the required keys; set the others as the file has them.
    public init(model: String, pre: String? = nil, tokens: [String]) {
        self.model = model; self.pre = pre; self.tokens = tokens
    }

    /// The tokenizer these keys describe.
    public func makeTokenizer() throws -> any Tokenizer {
        let n = tokens.count
        guard n > 0 else { throw TokenizerError.missing(what: "tokenizer.ggml.tokens", in: "GGUF metadata") }
        if let t = tokenTypes, t.count < n {
            throw TokenizerError.invalid(what: "tokenizer.ggml.token_type", reason: "\(t.count) entries for \(n) tokens")
        }
        let types = tokenTypes.map { t in (0..<n).map { TokenType(gguf: t[$0]) } }
        // llama.cpp ignores a special-token id outside the vocabulary (keeping the default).
        func valid(_ id: UInt32?, default d: Int32?) -> Int32? {
            if let id, Int(id) < n { return Int32(id) }
            if let d, Int(d) < n { return d }
            return nil
        }
        switch model {
        case "gpt2":
            guard let merges else { throw TokenizerError.missing(what: "tokenizer.ggml.merges", in: "GGUF metadata (model gpt2)") }
            let preName = pre ?? "default"
            guard let preTokenizer = PreTokenizer.named(preName) else {
                throw TokenizerError.unsupported(what: "tokenizer.ggml.pre", value: preName, supported: PreTokenizer.supportedNames)
            }
            let llama3 = ["llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"].contains(preName)
            let bos = valid(bosID, default: 11), eos = valid(eosID, default: 11)
            let addBOS = self.addBOS ?? llama3, addEOS = self.addEOS ?? false
            if addBOS && bos == nil { throw TokenizerError.missing(what: "tokenizer.ggml.bos_token_id (add_bos_token is set)", in: "GGUF metadata") }
            if addEOS && eos == nil { throw TokenizerError.missing(what: "tokenizer.ggml.eos_token_id (add_eos_token is set)", in: "GGUF metadata") }
            return try ByteLevelBPETokenizer(tokens: tokens, types: types, merges: try ByteLevelBPETokenizer.parseMerges(merges),
                                             preTokenizer: preTokenizer, bosID: bos, eosID: eos,
                                             prefix: addBOS ? bos.map { [$0] } ?? [] : [], suffix: addEOS ? eos.map { [$0] } ?? [] : [],
                                             ignoreMerges: llama3 || preName == "tekken")
        case "llama":
            guard let scores else { throw TokenizerError.missing(what: "tokenizer.ggml.scores", in: "GGUF metadata (model llama)") }
            guard scores.count >= n else {
                throw TokenizerError.invalid(what: "tokenizer.ggml.scores", reason: "\(scores.count) entries for \(n) tokens")
            }
            return try SentencePieceTokenizer(tokens: tokens, scores: Array(scores.prefix(n)), types: types,
                                              bosID: valid(bosID, default: 1), eosID: valid(eosID, default: 2),
                                              unknownID: valid(unknownID, default: 0), addBOS: addBOS ?? true, addEOS: addEOS ?? false,
                                              addSpacePrefix: addSpacePrefix ?? true)
        case "bert":
            let unk = valid(unknownID, default: 100), cls = valid(bosID, default: 101), sep = valid(separatorID, default: 102)
            guard let unk, let cls, let sep else { throw TokenizerError.missing(what: "[UNK]/[CLS]/[SEP] ids", in: "GGUF metadata (model bert)") }
            // llama.cpp's converter writes WordPiece continuations without "##" and word starts with "▁".
            let words = tokens.map { t -> String in
                let u = t.unicodeScalars
                if u.first == "\u{2581}" { return String(u.dropFirst()) }
                if u.first == "[" && u.last == "]" { return t }
                return "##" + t
            }
            return try WordPieceTokenizer(tokens: words, types: types, unknownToken: words[Int(unk)],
                                          prefix: [words[Int(cls)]], suffix: [words[Int(sep)]])
        default:
            throw TokenizerError.unsupported(what: "tokenizer.ggml.model", value: model, supported: ["gpt2", "llama", "bert"])
        }
    }
}
