/// BPE over characters with byte fallback: the tokenizer.json form of SentencePiece models (Llama 2,
/// TinyLlama, Mistral, Gemma). Spaces become "▁" (normalizer or Metaspace pre-tokenizer), merges join
/// characters by rank, and a character outside the vocabulary becomes its <0xXX> byte tokens (else <unk>).
public struct CharBPETokenizer: Tokenizer {
    /// A normalizer step, applied to each piece of text between added tokens.
    public enum NormalizerStep: Equatable, Sendable {
        /// Put `text` in front of a non-empty piece.
        case prepend(String)
        /// Replace every occurrence of `pattern` with `content`.
        case replace(pattern: String, content: String)
    }

    /// Hugging Face's Metaspace pre-tokenizer: spaces to `replacement`, a leading one added
    /// (`prependFirst`: only for text at the start of the input), then split before each replacement.
    public struct Metaspace: Equatable, Sendable {
        public var replacement: String
        public var prepend: Bool, prependFirst: Bool, split: Bool
        public init(replacement: String = "\u{2581}", prepend: Bool = true, prependFirst: Bool = true, split: Bool = true) {
            self.replacement = replacement; self.prepend = prepend; self.prependFirst = prependFirst; self.split = split
        }
    }

    /// Vocabulary entries as stored ("▁the", "<0x0A>").
    public let tokens: [String]
    /// Kind of each entry.
    public let types: [TokenType]
    public let bosID: Int32?
    public let eosID: Int32?
    /// Ids put before / after the text when `addSpecial` is true.
    public let prefix: [Int32], suffix: [Int32]
    /// Normalizer steps, in order.
    public let normalizer: [NormalizerStep]
    /// The Metaspace pre-tokenizer, if any (else the whole piece is one word).
    public let metaspace: Metaspace?
    /// Leading spaces the decoder strips from the decoded text (Strip decoder / Metaspace prepend).
    public let decodeStripLeadingSpaces: Int
    /// Consecutive unknown characters become one <unk>.
    public let fuseUnknown: Bool
    /// Id of <unk>, if the model has one.
    public let unknownID: Int32?
    /// The merges as given (rank = position).
    public let mergePairs: [(String, String)]

    private let pieces: [[UInt8]]
    private let ids: [String: Int32]
    private let byteIDs: [Int32]
    private let merges: BPEMerges
    private let added: AddedTokens

    public var vocabSize: Int { tokens.count }

    /// Builds the tokenizer; entries spelled <0xXX> are the byte-fallback tokens.
    public init(tokens: [String], types: [TokenType]? = nil, merges: [(String, String)], normalizer: [NormalizerStep],
                metaspace: Metaspace?, unknownID: Int32?, byteFallback: Bool = true, fuseUnknown: Bool = true,
                bosID: Int32? = nil, eosID: Int32? = nil, prefix: [Int32] = [], suffix: [Int32] = [],
                decodeStripLeadingSpaces: Int = 0) throws {
        if let types, types.count != tokens.count {
            throw TokenizerError.invalid(what: "token types", reason: "\(types.count) types for \(tokens.count) tokens")
        }
        for id in [bosID, eosID, unknownID].compactMap({ $0 }) + prefix + suffix where id < 0 || Int(id) >= tokens.count {
            throw TokenizerError.invalid(what: "special token id", reason: "\(id) is outside the vocabulary of \(tokens.count)")
        }
        var types = types ?? [TokenType](repeating: .normal, count: tokens.count)
        var ids: [String: Int32] = [:], byteIDs = [Int32](repeating: -1, count: 256)
        var pieces: [[UInt8]] = [], added = AddedTokens()
        for (i, t) in tokens.enumerated() {
            if ids[t] == nil || types[i] == .normal { ids[t] = Int32(i) }
            if types[i] == .normal, let b = SentencePieceTokenizer.byteValue(t) { types[i] = .byte; if byteFallback { byteIDs[Int(b)] = Int32(i) } }
            switch types[i] {
            case .byte: pieces.append(SentencePieceTokenizer.byteValue(t).map { [$0] } ?? Array(t.utf8))
            case .normal: pieces.append(SentencePieceTokenizer.unescape(Array(t.utf8)))
            case .unused: pieces.append([])
            default: pieces.append(Array(t.utf8))
            }
            if types[i].isAdded { added.add(Array(t.utf8), id: Int32(i), special: types[i] != .userDefined) }
        }
        var m = BPEMerges()
        for (rank, pair) in merges.enumerated() {
            guard let a = ids[pair.0], let b = ids[pair.1], let c = ids[pair.0 + pair.1] else { continue }
            m.add(left: a, right: b, merged: c, rank: rank)
        }
        self.tokens = tokens; self.types = types; self.bosID = bosID; self.eosID = eosID
        self.prefix = prefix; self.suffix = suffix; self.normalizer = normalizer; self.metaspace = metaspace
        self.decodeStripLeadingSpaces = decodeStripLeadingSpaces; self.fuseUnknown = fuseUnknown; self.unknownID = unknownID
        self.mergePairs = merges; self.pieces = pieces; self.ids = ids; self.byteIDs = byteIDs; self.merges = m; self.added = added
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = addSpecial ? prefix : []
        let utf8 = Array(text.utf8)
        let fragments = utf8.withUnsafeBufferPointer { added.split($0, parseSpecial: parseSpecial) }
        var cache: [String: [Int32]] = [:]
        for fragment in fragments {
            switch fragment {
            case .token(let id): out.append(id)
            case .text(let range):
                var piece = String(decoding: utf8[range], as: UTF8.self)
                for step in normalizer {
                    switch step {
                    case .prepend(let p): if !piece.isEmpty { piece = p + piece }
                    case .replace(let a, let b): piece = Self.replaceAll(piece, a, b)
                    }
                }
                for word in words(piece, atStart: range.lowerBound == 0) {
                    if let hit = cache[word] { out += hit; continue }
                    let ids = encodeWord(word)
                    cache[word] = ids
                    out += ids
                }
            }
        }
        if addSpecial { out += suffix }
        return out
    }

    private func words(_ piece: String, atStart: Bool) -> [String] {
        guard let m = metaspace else { return piece.isEmpty ? [] : [piece] }
        var s = Self.replaceAll(piece, " ", m.replacement)
        if m.prepend && (!m.prependFirst || atStart) && !s.unicodeScalars.starts(with: m.replacement.unicodeScalars) { s = m.replacement + s }
        guard m.split, let mark = m.replacement.unicodeScalars.first, m.replacement.unicodeScalars.count == 1 else { return s.isEmpty ? [] : [s] }
        var out: [String] = [], current = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if u == mark && !current.isEmpty { out.append(String(current)); current = String.UnicodeScalarView() }
            current.append(u)
        }
        if !current.isEmpty { out.append(String(current)) }
        return out
    }

    /// Hugging Face's `BPE::merge_word`: characters (or their byte tokens, or <unk>), then merges.
    private func encodeWord(_ word: String) -> [Int32] {
        var symbols: [Int32] = []
        var previousUnknown = false
        for u in word.unicodeScalars {
            var ch = String.UnicodeScalarView(); ch.append(u)
            if let id = ids[String(ch)] { symbols.append(id); previousUnknown = false; continue }
            let bytes = Array(String(ch).utf8)
            if bytes.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                for b in bytes { symbols.append(byteIDs[Int(b)]) }
                previousUnknown = false
            } else if let unk = unknownID {
                if !(fuseUnknown && previousUnknown) { symbols.append(unk) }
                previousUnknown = true
            }
        }
        merges.apply(&symbols)
        return symbols
    }

    static func replaceAll(_ s: String, _ a: String, _ b: String) -> String {
        let sa = Array(s.utf8), aa = Array(a.utf8), ba = Array(b.utf8)
        guard !aa.isEmpty else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(sa.count)
        var i = 0
        while i < sa.count {
            if i + aa.count <= sa.count && sa[i..<(i + aa.count)].elementsEqual(aa) { out += ba; i += aa.count } else { out.append(sa[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public func pieceBytes(_ id: Int32, position: Int, skipSpecial: Bool) throws -> [UInt8]? {
        let i = try checked(id)
        if skipSpecial && types[i].isSpecial { return nil }
        var piece = pieces[i]
        if position == 0 {
            var n = 0
            while n < decodeStripLeadingSpaces && piece.first == 32 { piece.removeFirst(); n += 1 }
        }
        return piece
    }

    public func token(_ id: Int32) throws -> String { tokens[try checked(id)] }

    public func id(of token: String) -> Int32? { ids[token] }
}
