/// WordPiece (BERT, MiniLM): normalized words split greedily into the longest vocabulary entries,
/// continuations spelled with "##"; a word that cannot be split is [UNK].
public struct WordPieceTokenizer: Tokenizer {
    /// Vocabulary entries ("the", "##ing", "[CLS]").
    public let tokens: [String]
    /// Kind of each entry (the bracketed special tokens are control tokens).
    public let types: [TokenType]
    /// Normalizer and pre-tokenizer settings.
    public let normalizer: BertNormalizer
    /// Id of [UNK].
    public let unknownID: Int32
    /// Ids put before / after the text when `addSpecial` is true ([CLS] and [SEP]).
    public let prefix: [Int32], suffix: [Int32]
    /// Marker of a word's continuation pieces.
    public let continuingPrefix: String
    /// Words longer than this (in characters) become [UNK].
    public let maxInputCharsPerWord: Int
    /// Longest sequence the model takes, special tokens included (nil when the files do not say).
    public let maxLength: Int?

    private let table: ByteStringTable
    private let added: AddedTokens

    public var vocabSize: Int { tokens.count }
    public var bosID: Int32? { prefix.first }
    public var eosID: Int32? { suffix.last }

    /// Builds the tokenizer; `unknownToken`, and the tokens of `prefix`/`suffix`, must be in `tokens`.
    public init(tokens: [String], types: [TokenType]? = nil, normalizer: BertNormalizer = BertNormalizer(),
                unknownToken: String = "[UNK]", prefix: [String] = ["[CLS]"], suffix: [String] = ["[SEP]"],
                continuingPrefix: String = "##", maxInputCharsPerWord: Int = 100, maxLength: Int? = nil) throws {
        if let types, types.count != tokens.count {
            throw TokenizerError.invalid(what: "token types", reason: "\(types.count) types for \(tokens.count) tokens")
        }
        var ids: [String: Int32] = [:]
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = Int32(i) }
        func lookup(_ t: String) throws -> Int32 {
            guard let id = ids[t] else { throw TokenizerError.missing(what: "token '\(t)' in the vocabulary", in: "WordPiece") }
            return id
        }
        self.unknownID = try lookup(unknownToken)
        self.prefix = try prefix.map(lookup)
        self.suffix = try suffix.map(lookup)
        var types = types ?? tokens.map { _ in TokenType.normal }
        if types.allSatisfy({ $0 == .normal }) {
            // A plain vocab.txt: the tokens the model adds itself are its control tokens.
            for id in self.prefix + self.suffix + [self.unknownID] { types[Int(id)] = .control }
            for t in ["[PAD]", "[MASK]"] { if let id = ids[t] { types[Int(id)] = .control } }
        }
        self.tokens = tokens; self.types = types; self.normalizer = normalizer
        self.continuingPrefix = continuingPrefix; self.maxInputCharsPerWord = maxInputCharsPerWord; self.maxLength = maxLength
        self.table = ByteStringTable(tokens.enumerated().reversed().map { (Array($1.utf8), Int32($0)) })
        var added = AddedTokens()
        for (i, t) in tokens.enumerated() where types[i].isAdded { added.add(Array(t.utf8), id: Int32(i), special: types[i] != .userDefined) }
        self.added = added
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = addSpecial ? prefix : []
        let utf8 = Array(text.utf8)
        let fragments = utf8.withUnsafeBufferPointer { added.split($0, parseSpecial: parseSpecial) }
        for fragment in fragments {
            switch fragment {
            case .token(let id): out.append(id)
            case .text(let range):
                let piece = String(decoding: utf8[range], as: UTF8.self)
                for word in normalizer.words(Substring(piece)) { encodeWord(word, &out) }
            }
        }
        if addSpecial { out += suffix }
        return out
    }

    /// `encode` truncated to `maxLength` tokens (special tokens included) by dropping text tokens from the end,
    /// as Hugging Face's truncation of a single sequence does.
    public func encode(_ text: String, addSpecial: Bool = true, maxLength: Int) -> [Int32] {
        let body = encode(text, addSpecial: false, parseSpecial: true)
        let room = max(0, maxLength - (addSpecial ? prefix.count + suffix.count : 0))
        let kept = Array(body.prefix(room))
        return addSpecial ? prefix + kept + suffix : kept
    }

    private func encodeWord(_ word: [Unicode.Scalar], _ out: inout [Int32]) {
        if word.count > maxInputCharsPerWord { out.append(unknownID); return }
        var utf8: [UInt8] = [], offsets: [Int] = []
        for s in word { offsets.append(utf8.count); utf8 += Array(String(s).utf8) }
        offsets.append(utf8.count)
        let marker = Array(continuingPrefix.utf8)
        var pieces: [Int32] = []
        var start = 0
        var key: [UInt8] = []
        while start < word.count {
            var end = word.count
            var found: Int32? = nil
            while end > start {
                key.removeAll(keepingCapacity: true)
                if start > 0 { key += marker }
                key += utf8[offsets[start]..<offsets[end]]
                if let id = table.lookup(key) { found = id; break }
                end -= 1
            }
            guard let id = found else { out.append(unknownID); return }
            pieces.append(id)
            start = end
        }
        out += pieces
    }

    public func pieceBytes(_ id: Int32, position: Int, skipSpecial: Bool) throws -> [UInt8]? {
        let i = try checked(id)
        if skipSpecial && types[i].isSpecial { return nil }
        let t = tokens[i]
        if position > 0 {
            // Compare bytes: "##" followed by a combining mark is one Character, so String.hasPrefix would miss it.
            if t.utf8.starts(with: continuingPrefix.utf8) { return Array(t.utf8.dropFirst(continuingPrefix.utf8.count)) }
            return [32] + Array(t.utf8)
        }
        return Array(t.utf8)
    }

    /// Hugging Face's WordPiece decoder: pieces joined with spaces, "##" glued on, then its cleanup of spaces before punctuation.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) throws -> String {
        var out = ""
        var position = 0
        for id in ids {
            guard let piece = try pieceBytes(id, position: position, skipSpecial: skipSpecial) else { continue }
            position += 1
            out += Self.cleanup(String(decoding: piece, as: UTF8.self))
        }
        return out
    }

    /// Hugging Face's `cleanup`, applied per piece (on bytes, so no Unicode equivalence sneaks in).
    static func cleanup(_ s: String) -> String {
        var bytes = Array(s.utf8)
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                       (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            bytes = replace(bytes, Array(a.utf8), Array(b.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func replace(_ s: [UInt8], _ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if i + a.count <= s.count && s[i..<(i + a.count)].elementsEqual(a) { out += b; i += a.count } else { out.append(s[i]); i += 1 }
        }
        return out
    }

    public func token(_ id: Int32) throws -> String { tokens[try checked(id)] }

    public func id(of token: String) -> Int32? { table.lookup(Array(token.utf8)) }
}
