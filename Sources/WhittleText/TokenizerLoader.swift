import Foundation
import WhittleFormats

/// Entry points that build the tokenizer a model file describes.
public enum TokenizerLoader {
    /// The tokenizer of a model path: a GGUF file, or a Hugging Face directory (or its tokenizer.json).
    public static func load(path: String) throws -> any Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TokenizerError.missing(what: "the file or directory", in: path)
        }
        if isDirectory.boolValue { return try fromHF(directory: path) }
        if path.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: path) else { throw TokenizerError.missing(what: "readable contents", in: path) }
            let config = (path as NSString).deletingLastPathComponent + "/tokenizer_config.json"
            return try TokenizerJSON.parse([UInt8](data), config: FileManager.default.contents(atPath: config).map { [UInt8]($0) }, source: path)
        }
        return try fromGGUF(try GGUFFile.open(path))
    }

    /// The tokenizer of a GGUF file, from its `tokenizer.ggml.*` metadata.
    public static func fromGGUF(_ file: GGUFFile) throws -> any Tokenizer {
        do { return try fromGGUF(metadata: file.metadata) } catch let e as TokenizerError {
            throw TokenizerError.invalid(what: "tokenizer of \(file.path)", reason: e.description)
        }
    }

    /// The tokenizer described by GGUF metadata.
    public static func fromGGUF(metadata: GGUFMetadata) throws -> any Tokenizer {
        try GGUFVocabulary(metadata: metadata).makeTokenizer()
    }

    /// The tokenizer of a Hugging Face model directory (tokenizer.json, tokenizer_config.json).
    public static func fromHF(directory: String) throws -> any Tokenizer {
        try TokenizerJSON.load(directory: directory)
    }
}

extension GGUFVocabulary {
    /// Reads the `tokenizer.ggml.*` keys, with the value types llama.cpp accepts for each.
    public init(metadata m: GGUFMetadata) throws {
        let p = "tokenizer.ggml."
        func wrongType(_ key: String, _ want: String) -> TokenizerError {
            .invalid(what: p + key, reason: "expected \(want), found \(m[p + key].map { "\($0.type)" } ?? "nothing")")
        }
        guard let model = m.string(p + "model") else {
            throw m.contains(p + "model") ? wrongType("model", "a string") : TokenizerError.missing(what: p + "model", in: "GGUF metadata")
        }
        guard m.contains(p + "tokens") else { throw TokenizerError.missing(what: p + "tokens", in: "GGUF metadata") }
        guard case .string(let tokens)? = m.array(p + "tokens") else { throw wrongType("tokens", "an array of strings") }
        if m.contains(p + "pre"), m.string(p + "pre") == nil { throw wrongType("pre", "a string") }
        self.init(model: model, pre: m.string(p + "pre"), tokens: tokens)
        if m.contains(p + "merges") {
            guard case .string(let merges)? = m.array(p + "merges") else { throw wrongType("merges", "an array of strings") }
            self.merges = merges
        }
        if m.contains(p + "scores") {
            switch m.array(p + "scores") {
            case .float32(let s)?: scores = s
            case .int32(let s)?: scores = s.map(Float.init)
            default: throw wrongType("scores", "an array of f32 or i32")
            }
        }
        if m.contains(p + "token_type") {
            guard case .int32(let t)? = m.array(p + "token_type") else { throw wrongType("token_type", "an array of i32") }
            tokenTypes = t
        }
        func id(_ key: String) throws -> UInt32? {
            guard m.contains(p + key) else { return nil }
            guard let v = m.int(p + key) else { throw wrongType(key, "an integer") }
            return v >= 0 && v <= Int(UInt32.max) ? UInt32(v) : UInt32.max   // out of range: ignored as llama.cpp does
        }
        bosID = try id("bos_token_id")
        eosID = try id("eos_token_id")
        unknownID = try id("unknown_token_id")
        separatorID = try id("seperator_token_id")
        func flag(_ key: String) throws -> Bool? {
            guard m.contains(p + key) else { return nil }
            guard let b = m.bool(p + key) else { throw wrongType(key, "a bool") }
            return b
        }
        addBOS = try flag("add_bos_token")
        addEOS = try flag("add_eos_token")
        addSpacePrefix = try flag("add_space_prefix")
    }
}
