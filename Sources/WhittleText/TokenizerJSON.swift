import Foundation
import WhittleFormats

/// Builds a tokenizer from a Hugging Face `tokenizer.json` (with `tokenizer_config.json` for BOS/EOS names).
public enum TokenizerJSON {
    /// The tokenizer of a Hugging Face model directory (its tokenizer.json and, if present, tokenizer_config.json).
    public static func load(directory: String) throws -> any Tokenizer {
        let path = (directory as NSString).appendingPathComponent("tokenizer.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError.missing(what: "tokenizer.json", in: directory)
        }
        let configPath = (directory as NSString).appendingPathComponent("tokenizer_config.json")
        let config = FileManager.default.contents(atPath: configPath).map { [UInt8]($0) }
        return try parse([UInt8](data), config: config, source: path)
    }

    /// Largest token id accepted (the biggest real vocabularies hold about 256K tokens).
    static let maxVocabulary: UInt64 = 1 << 22

    /// The tokenizer described by tokenizer.json bytes; `source` names the file in errors.
    public static func parse(_ json: [UInt8], config: [UInt8]? = nil, source: String = "tokenizer.json") throws -> any Tokenizer {
        let root: JSONValue
        do { root = try JSONParser.parse(json) } catch { throw TokenizerError.invalid(what: source, reason: "\(error)") }
        guard case .object = root else { throw TokenizerError.invalid(what: source, reason: "not a JSON object") }
        guard let model = root["model"], case .object = model else { throw TokenizerError.missing(what: "\"model\"", in: source) }
        var configRoot: JSONValue? = nil
        if let config { configRoot = try? JSONParser.parse(config) }

        // Vocabulary plus added tokens, by id.
        guard let vocab = model["vocab"], case .object(let entries) = vocab else {
            throw TokenizerError.missing(what: "model.vocab (an object of token -> id)", in: source)
        }
        var byID: [Int: String] = [:]
        for (token, value) in entries {
            guard let id = value.unsignedInteger, id < maxVocabulary else {
                throw TokenizerError.invalid(what: "\(source) model.vocab", reason: "id of '\(token)' is not a small non-negative integer")
            }
            byID[Int(id)] = token
        }
        var addedTypes: [Int: TokenType] = [:]
        for entry in root["added_tokens"]?.arrayValue ?? [] {
            guard let id = entry["id"]?.unsignedInteger, id < maxVocabulary, let content = entry["content"]?.stringValue else {
                throw TokenizerError.invalid(what: "\(source) added_tokens", reason: "entry without an integer id and a content string")
            }
            byID[Int(id)] = content
            addedTypes[Int(id)] = entry["special"]?.boolValue == true ? .control : .userDefined
        }
        let count = (byID.keys.max() ?? -1) + 1
        guard count > 0 else { throw TokenizerError.missing(what: "tokens in model.vocab", in: source) }
        var tokens = [String](repeating: "", count: count)
        var types = [TokenType](repeating: .normal, count: count)
        for (id, t) in byID { tokens[id] = t }
        for id in 0..<count where byID[id] == nil { types[id] = .unused }
        for (id, t) in addedTypes { types[id] = t }
        func id(_ t: String) -> Int32? { tokens.firstIndex(of: t).map { Int32($0) } }

        let (prefix, suffix) = try postProcessor(root["post_processor"], id: id, source: source)
        for i in prefix + suffix where Int(i) >= count {
            throw TokenizerError.invalid(what: "\(source) post_processor", reason: "token id \(i) is outside the vocabulary of \(count)")
        }
        let bos = configToken(configRoot, "bos_token").flatMap(id) ?? prefix.first
        let eos = configToken(configRoot, "eos_token").flatMap(id) ?? suffix.last

        let type = model["type"]?.stringValue ?? (model["merges"] != nil ? "BPE" : model["continuing_subword_prefix"] != nil ? "WordPiece" : "")
        switch type {
        case "BPE":
            if !isByteLevel(root) {
                return try charBPE(root, model: model, tokens: tokens, types: types, bos: bos, eos: eos, prefix: prefix, suffix: suffix,
                                   id: id, source: source)
            }
            if let n = root["normalizer"], n != .null, n["type"]?.stringValue != "NFC" {
                throw TokenizerError.unsupported(what: "\(source) normalizer for BPE", value: n["type"]?.stringValue ?? "?", supported: ["none", "NFC"])
            }
            let rules = try preTokenizerRules(root["pre_tokenizer"], source: source)
            let merges = try parseMerges(model["merges"], source: source)
            return try ByteLevelBPETokenizer(tokens: tokens, types: types, merges: merges, preTokenizer: PreTokenizer(rules),
                                             bosID: bos, eosID: eos, prefix: prefix, suffix: suffix,
                                             ignoreMerges: model["ignore_merges"]?.boolValue ?? false,
                                             nfc: root["normalizer"]?["type"]?.stringValue == "NFC")
        case "WordPiece":
            var normalizer = BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false)
            if let n = root["normalizer"], n != .null {
                guard n["type"]?.stringValue == "BertNormalizer" else {
                    throw TokenizerError.unsupported(what: "\(source) normalizer for WordPiece", value: n["type"]?.stringValue ?? "?", supported: ["BertNormalizer"])
                }
                normalizer = BertNormalizer(cleanText: n["clean_text"]?.boolValue ?? true,
                                            handleChineseChars: n["handle_chinese_chars"]?.boolValue ?? true,
                                            stripAccents: n["strip_accents"]?.boolValue,
                                            lowercase: n["lowercase"]?.boolValue ?? true)
            }
            if let p = root["pre_tokenizer"], p != .null, p["type"]?.stringValue != "BertPreTokenizer" {
                throw TokenizerError.unsupported(what: "\(source) pre_tokenizer for WordPiece", value: p["type"]?.stringValue ?? "?", supported: ["BertPreTokenizer"])
            }
            var maxLength = root["truncation"]?["max_length"]?.unsignedInteger.map { Int($0) }
            if maxLength == nil, let m = configRoot?["model_max_length"]?.unsignedInteger, m < 1_000_000 { maxLength = Int(m) }
            return try WordPieceTokenizer(tokens: tokens, types: types, normalizer: normalizer,
                                          unknownToken: model["unk_token"]?.stringValue ?? "[UNK]",
                                          prefix: prefix.map { tokens[Int($0)] }, suffix: suffix.map { tokens[Int($0)] },
                                          continuingPrefix: model["continuing_subword_prefix"]?.stringValue ?? "##",
                                          maxInputCharsPerWord: model["max_input_chars_per_word"]?.unsignedInteger.map { Int($0) } ?? 100,
                                          maxLength: maxLength)
        default:
            throw TokenizerError.unsupported(what: "\(source) model type", value: type.isEmpty ? "(none)" : type, supported: ["BPE", "WordPiece"])
        }
    }

    /// Byte-level BPE files have a ByteLevel pre-tokenizer or decoder; the others are SentencePiece-style.
    static func isByteLevel(_ root: JSONValue) -> Bool {
        func has(_ v: JSONValue?) -> Bool {
            guard let v, v != .null else { return false }
            if v["type"]?.stringValue == "ByteLevel" { return true }
            return (v["pretokenizers"]?.arrayValue ?? v["decoders"]?.arrayValue ?? []).contains { has($0) }
        }
        return has(root["pre_tokenizer"]) || has(root["decoder"])
    }

    /// A SentencePiece-style BPE (characters, byte fallback, "▁" for spaces).
    static func charBPE(_ root: JSONValue, model: JSONValue, tokens: [String], types: [TokenType], bos: Int32?, eos: Int32?,
                        prefix: [Int32], suffix: [Int32], id: (String) -> Int32?, source: String) throws -> any Tokenizer {
        var steps: [CharBPETokenizer.NormalizerStep] = []
        func normalizer(_ v: JSONValue?) throws {
            guard let v, v != .null else { return }
            switch v["type"]?.stringValue ?? "?" {
            case "Sequence": for n in v["normalizers"]?.arrayValue ?? [] { try normalizer(n) }
            case "Prepend": steps.append(.prepend(v["prepend"]?.stringValue ?? ""))
            case "Replace":
                guard let pattern = v["pattern"]?["String"]?.stringValue, let content = v["content"]?.stringValue else {
                    throw TokenizerError.unsupported(what: "\(source) Replace normalizer pattern", value: "regex", supported: ["String"])
                }
                steps.append(.replace(pattern: pattern, content: content))
            case let other:
                throw TokenizerError.unsupported(what: "\(source) normalizer for SentencePiece-style BPE", value: other, supported: ["Prepend", "Replace", "Sequence"])
            }
        }
        try normalizer(root["normalizer"])
        var metaspace: CharBPETokenizer.Metaspace? = nil
        if let p = root["pre_tokenizer"], p != .null {
            guard p["type"]?.stringValue == "Metaspace" else {
                throw TokenizerError.unsupported(what: "\(source) pre_tokenizer for SentencePiece-style BPE", value: p["type"]?.stringValue ?? "?", supported: ["Metaspace", "none"])
            }
            let scheme = p["prepend_scheme"]?.stringValue ?? (p["add_prefix_space"]?.boolValue == false ? "never" : "always")
            metaspace = .init(replacement: p["replacement"]?.stringValue ?? "\u{2581}", prepend: scheme != "never",
                              prependFirst: scheme == "first", split: p["split"]?.boolValue ?? true)
        }
        // How many leading spaces the decoder removes: Strip(" ", n, 0), or Metaspace's prepended one.
        var strip = 0
        func decoder(_ v: JSONValue?) {
            guard let v, v != .null else { return }
            switch v["type"]?.stringValue ?? "" {
            case "Sequence": for d in v["decoders"]?.arrayValue ?? [] { decoder(d) }
            case "Strip": if v["content"]?.stringValue == " " { strip = Int(v["start"]?.unsignedInteger ?? 0) }
            case "Metaspace":
                let scheme = v["prepend_scheme"]?.stringValue ?? (v["add_prefix_space"]?.boolValue == false ? "never" : "always")
                if scheme != "never" { strip = 1 }
            default: break
            }
        }
        decoder(root["decoder"])
        let unk = model["unk_token"]?.stringValue.flatMap(id)
        return try CharBPETokenizer(tokens: tokens, types: types, merges: try parseMerges(model["merges"], source: source),
                                    normalizer: steps, metaspace: metaspace, unknownID: unk,
                                    byteFallback: model["byte_fallback"]?.boolValue ?? false, fuseUnknown: model["fuse_unk"]?.boolValue ?? false,
                                    bosID: bos, eosID: eos, prefix: prefix, suffix: suffix, decodeStripLeadingSpaces: min(strip, 16))
    }

    /// Merges as "a b" strings or as [a, b] pairs (newer files).
    static func parseMerges(_ value: JSONValue?, source: String) throws -> [(String, String)] {
        guard let list = value?.arrayValue else { throw TokenizerError.missing(what: "model.merges", in: source) }
        var lines: [String] = [], pairs: [(String, String)] = []
        for m in list {
            if let s = m.stringValue { lines.append(s) } else if let a = m.arrayValue, a.count == 2, let l = a[0].stringValue, let r = a[1].stringValue {
                pairs.append((l, r))
            } else {
                throw TokenizerError.invalid(what: "\(source) model.merges", reason: "an entry is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        if !lines.isEmpty && !pairs.isEmpty { throw TokenizerError.invalid(what: "\(source) model.merges", reason: "mixes strings and pairs") }
        return lines.isEmpty ? pairs : try ByteLevelBPETokenizer.parseMerges(lines)
    }

    /// The regexes of the pre-tokenizers Whittle implements, as tokenizer.json writes them.
    static let knownRegexes: [String: PreTokenizerRule] = [
        "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+": .gpt2,
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": .llama3(maxDigits: 3),
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": .llama3(maxDigits: 1),
    ]

    /// The rule a tokenizer.json Split regex stands for, if Whittle implements it.
    public static func rule(forRegex pattern: String) -> PreTokenizerRule? { knownRegexes[pattern] }

    static func preTokenizerRules(_ value: JSONValue?, source: String) throws -> [PreTokenizerRule] {
        guard let value, value != .null else {
            throw TokenizerError.missing(what: "pre_tokenizer (a byte-level BPE needs one)", in: source)
        }
        let type = value["type"]?.stringValue ?? "?"
        switch type {
        case "Sequence":
            return try (value["pretokenizers"]?.arrayValue ?? []).flatMap { try preTokenizerRules($0, source: source) }
        case "ByteLevel":
            if value["add_prefix_space"]?.boolValue == true {
                throw TokenizerError.unsupported(what: "\(source) ByteLevel option", value: "add_prefix_space=true", supported: ["add_prefix_space=false"])
            }
            return value["use_regex"]?.boolValue == false ? [] : [.gpt2]
        case "Digits":
            return [.digits(individual: value["individual_digits"]?.boolValue ?? false)]
        case "Split":
            let pattern = value["pattern"]?["Regex"]?.stringValue ?? value["pattern"]?["String"]?.stringValue ?? ""
            guard let rule = knownRegexes[pattern], value["behavior"]?.stringValue ?? "Isolated" == "Isolated",
                  value["invert"]?.boolValue != true else {
                throw TokenizerError.unsupported(what: "\(source) Split pre-tokenizer regex", value: pattern,
                                                 supported: ["GPT-2's", "Llama 3's", "Qwen2's (behavior Isolated)"])
            }
            return [rule]
        default:
            throw TokenizerError.unsupported(what: "\(source) pre_tokenizer", value: type, supported: ["ByteLevel", "Split", "Digits", "Sequence"])
        }
    }

    /// Ids the post-processor adds before and after a single sequence.
    static func postProcessor(_ value: JSONValue?, id: (String) -> Int32?, source: String) throws -> ([Int32], [Int32]) {
        guard let value, value != .null else { return ([], []) }
        func need(_ t: String) throws -> Int32 {
            guard let i = id(t) else { throw TokenizerError.missing(what: "post_processor token '\(t)' in the vocabulary", in: source) }
            return i
        }
        switch value["type"]?.stringValue ?? "" {
        case "TemplateProcessing":
            var prefix: [Int32] = [], suffix: [Int32] = [], seenSequence = false
            for item in value["single"]?.arrayValue ?? [] {
                if item["Sequence"] != nil { seenSequence = true; continue }
                guard let name = item["SpecialToken"]?["id"]?.stringValue else { continue }
                let ids = try value["special_tokens"]?[name]?["ids"]?.arrayValue?.map { v -> Int32 in
                    guard let i = v.unsignedInteger, i < Int32.max else { throw TokenizerError.invalid(what: "\(source) post_processor", reason: "bad id for '\(name)'") }
                    return Int32(i)
                } ?? [try need(name)]
                if seenSequence { suffix += ids } else { prefix += ids }
            }
            return (prefix, suffix)
        case "BertProcessing", "RobertaProcessing":
            guard let cls = value["cls"]?.arrayValue?.first?.stringValue, let sep = value["sep"]?.arrayValue?.first?.stringValue else {
                throw TokenizerError.missing(what: "post_processor cls/sep", in: source)
            }
            return ([try need(cls)], [try need(sep)])
        case "Sequence":
            var prefix: [Int32] = [], suffix: [Int32] = []
            for p in value["processors"]?.arrayValue ?? [] {
                let (a, b) = try postProcessor(p, id: id, source: source)
                prefix += a; suffix += b
            }
            return (prefix, suffix)
        default:
            return ([], [])   // ByteLevel and friends only adjust offsets
        }
    }

    /// A token name from tokenizer_config.json ("bos_token": "<s>" or {"content": "<s>"}).
    static func configToken(_ config: JSONValue?, _ key: String) -> String? {
        guard let v = config?[key] else { return nil }
        return v.stringValue ?? v["content"]?.stringValue
    }
}

extension JSONValue {
    /// The member `key` of an object (the last one if repeated).
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }
    /// The elements, if this is an array.
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    /// The payload, if this is a boolean.
    var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
}
