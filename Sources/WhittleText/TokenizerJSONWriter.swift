import WhittleFormats

extension TokenizerJSON {
    /// A Hugging Face tokenizer.json that reproduces `tokenizer` (byte-level BPE or WordPiece), for saving a
    /// model as a Hugging Face directory. SentencePiece vocabularies have scores, not merges: not written.
    public static func write(_ tokenizer: any Tokenizer) throws -> [UInt8] {
        let root: JSONValue
        switch tokenizer {
        case let t as ByteLevelBPETokenizer: root = byteLevel(t)
        case let t as WordPieceTokenizer: root = wordPiece(t)
        default:
            throw TokenizerError.unsupported(what: "tokenizer.json output for", value: "\(type(of: tokenizer))",
                                             supported: ["ByteLevelBPETokenizer", "WordPieceTokenizer"])
        }
        return Array(JSONWriter.compact(root).utf8)
    }

    /// The tokenizer_config.json that goes beside it: BOS/EOS names (tokenizer.json does not name them) and the length limit.
    public static func writeConfig(_ tokenizer: any Tokenizer) throws -> [UInt8] {
        var entries: [(key: String, value: JSONValue)] = []
        if let b = tokenizer.bosID { entries.append(("bos_token", .string(try tokenizer.token(b)))) }
        if let e = tokenizer.eosID { entries.append(("eos_token", .string(try tokenizer.token(e)))) }
        if let w = tokenizer as? WordPieceTokenizer {
            entries.append(("unk_token", .string(try w.token(w.unknownID))))
            entries.append(("do_lower_case", .bool(w.normalizer.lowercase)))
            if let m = w.maxLength { entries.append(("model_max_length", num(m))) }
        }
        entries.append(("tokenizer_class", .string(tokenizer is WordPieceTokenizer ? "BertTokenizer" : "PreTrainedTokenizerFast")))
        return Array(JSONWriter.compact(.object(entries)).utf8)
    }

    private static func num(_ i: Int) -> JSONValue { .number(String(i)) }

    private static func addedTokens(_ tokens: [String], _ types: [TokenType]) -> JSONValue {
        .array(tokens.indices.filter { types[$0].isAdded }.map { i in
            .object([("id", num(i)), ("content", .string(tokens[i])), ("single_word", .bool(false)), ("lstrip", .bool(false)),
                     ("rstrip", .bool(false)), ("normalized", .bool(false)), ("special", .bool(types[i] != .userDefined))])
        })
    }

    private static func template(_ prefix: [Int32], _ suffix: [Int32], _ tokens: [String]) -> JSONValue {
        if prefix.isEmpty && suffix.isEmpty { return .null }
        func special(_ id: Int32) -> JSONValue { .object([("SpecialToken", .object([("id", .string(tokens[Int(id)])), ("type_id", num(0))]))]) }
        func sequence(_ name: String, _ type: Int) -> JSONValue { .object([("Sequence", .object([("id", .string(name)), ("type_id", num(type))]))]) }
        let single = prefix.map(special) + [sequence("A", 0)] + suffix.map(special)
        let pair = single + [sequence("B", 1)] + suffix.map(special)
        var specials: [(key: String, value: JSONValue)] = []
        for id in Set(prefix + suffix).sorted() {
            let t = tokens[Int(id)]
            specials.append((t, .object([("id", .string(t)), ("ids", .array([num(Int(id))])), ("tokens", .array([.string(t)]))])))
        }
        return .object([("type", .string("TemplateProcessing")), ("single", .array(single)), ("pair", .array(pair)),
                        ("special_tokens", .object(specials))])
    }

    private static func vocabulary(_ tokens: [String], _ types: [TokenType]) -> JSONValue {
        var seen = Set<String>(), entries: [(key: String, value: JSONValue)] = []
        for (i, t) in tokens.enumerated() where types[i] != .unused && seen.insert(t).inserted { entries.append((t, num(i))) }
        return .object(entries)
    }

    private static func byteLevel(_ t: ByteLevelBPETokenizer) -> JSONValue {
        let regex = Dictionary(knownRegexes.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        var steps: [JSONValue] = t.preTokenizer.rules.map { rule in
            if case .digits(let individual) = rule {
                return .object([("type", .string("Digits")), ("individual_digits", .bool(individual))])
            }
            return .object([("type", .string("Split")), ("pattern", .object([("Regex", .string(regex[rule] ?? ""))])),
                            ("behavior", .string("Isolated")), ("invert", .bool(false))])
        }
        steps.append(.object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)), ("trim_offsets", .bool(true)),
                              ("use_regex", .bool(false))]))
        let model: JSONValue = .object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
            ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)),
            ("ignore_merges", .bool(t.ignoreMerges)), ("vocab", vocabulary(t.tokens, t.types)),
            ("merges", .array(t.mergePairs.map { .array([.string($0.0), .string($0.1)]) })),
        ])
        return .object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", addedTokens(t.tokens, t.types)),
            ("normalizer", t.nfc ? .object([("type", .string("NFC"))]) : .null),
            ("pre_tokenizer", .object([("type", .string("Sequence")), ("pretokenizers", .array(steps))])),
            ("post_processor", template(t.prefix, t.suffix, t.tokens)),
            ("decoder", .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)), ("trim_offsets", .bool(true)),
                                 ("use_regex", .bool(false))])),
            ("model", model),
        ])
    }

    private static func wordPiece(_ t: WordPieceTokenizer) -> JSONValue {
        let n = t.normalizer
        let model: JSONValue = .object([
            ("type", .string("WordPiece")), ("unk_token", .string(t.tokens[Int(t.unknownID)])),
            ("continuing_subword_prefix", .string(t.continuingPrefix)), ("max_input_chars_per_word", num(t.maxInputCharsPerWord)),
            ("vocab", vocabulary(t.tokens, t.types)),
        ])
        return .object([
            ("version", .string("1.0")),
            ("truncation", t.maxLength.map { .object([("direction", .string("Right")), ("max_length", num($0)), ("strategy", .string("LongestFirst")), ("stride", num(0))]) } ?? .null),
            ("padding", .null), ("added_tokens", addedTokens(t.tokens, t.types)),
            ("normalizer", .object([("type", .string("BertNormalizer")), ("clean_text", .bool(n.cleanText)),
                                    ("handle_chinese_chars", .bool(n.handleChineseChars)), ("strip_accents", n.stripAccents.map { .bool($0) } ?? .null),
                                    ("lowercase", .bool(n.lowercase))])),
            ("pre_tokenizer", .object([("type", .string("BertPreTokenizer"))])),
            ("post_processor", template(t.prefix, t.suffix, t.tokens)),
            ("decoder", .object([("type", .string("WordPiece")), ("prefix", .string(t.continuingPrefix)), ("cleanup", .bool(true))])),
            ("model", model),
        ])
    }
}
