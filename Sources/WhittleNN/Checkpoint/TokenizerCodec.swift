import Foundation
import WhittleFormats
import WhittleText

/// A WhittleText tokenizer seen as the language model's `TextCodec`: BOS only when the
/// tokenizer adds one (llama.cpp's add_bos rule), and the end-of-turn tokens as stop ids.
public final class TokenizerCodec: TextCodec {
    /// The tokenizer.
    public let tokenizer: any Tokenizer
    public let bosID: Int?
    public let stopIDs: Set<Int>

    /// Wraps `tokenizer`, finding whether it adds BOS and which ids end a turn.
    public init(_ tokenizer: any Tokenizer) {
        self.tokenizer = tokenizer
        let probe = tokenizer.encode("a", addSpecial: true, parseSpecial: false)
        if let b = tokenizer.bosID, probe.first == b { bosID = Int(b) } else { bosID = nil }
        var stops = Set<Int>()
        if let e = tokenizer.eosID { stops.insert(Int(e)) }
        for name in ["<|im_end|>", "<end_of_turn>", "<|endoftext|>", "<|eot_id|>", "</s>"] {
            if let id = tokenizer.id(of: name) { stops.insert(Int(id)) }
        }
        stopIDs = stops
    }

    public func encode(_ text: String, addSpecial: Bool) throws -> [Int] {
        tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: true).map(Int.init)
    }

    public func decode(_ ids: [Int]) throws -> String {
        try tokenizer.decode(ids.map { Int32(truncatingIfNeeded: $0) }, skipSpecial: true)
    }
}

extension TokenizerCodec {
    /// The tokenizer of a Hugging Face directory (tokenizer.json), or nil when it has none.
    static func load(directory: String) throws -> TokenizerCodec? {
        guard FileManager.default.fileExists(atPath: directory + "/tokenizer.json") else { return nil }
        return TokenizerCodec(try TokenizerJSON.load(directory: directory))
    }

    /// The tokenizer described by a GGUF file's `tokenizer.ggml.*` metadata, or nil when it has none.
    static func load(gguf f: GGUFFile) throws -> TokenizerCodec? {
        guard let model = f.string("tokenizer.ggml.model"), let tokens = f.stringArray("tokenizer.ggml.tokens") else { return nil }
        var v = GGUFVocabulary(model: model, pre: f.string("tokenizer.ggml.pre"), tokens: tokens)
        v.merges = f.stringArray("tokenizer.ggml.merges")
        v.scores = f.floatArray("tokenizer.ggml.scores")
        v.tokenTypes = f.intArray("tokenizer.ggml.token_type")?.map { Int32(truncatingIfNeeded: $0) }
        func id(_ key: String) -> UInt32? { f.int(key).flatMap { $0 >= 0 && $0 <= Int(UInt32.max) ? UInt32($0) : nil } }
        v.bosID = id("tokenizer.ggml.bos_token_id")
        v.eosID = id("tokenizer.ggml.eos_token_id")
        v.unknownID = id("tokenizer.ggml.unknown_token_id")
        v.separatorID = id("tokenizer.ggml.seperator_token_id")
        v.addBOS = f.bool("tokenizer.ggml.add_bos_token")
        v.addEOS = f.bool("tokenizer.ggml.add_eos_token")
        v.addSpacePrefix = f.bool("tokenizer.ggml.add_space_prefix")
        return TokenizerCodec(try v.makeTokenizer())
    }
}
