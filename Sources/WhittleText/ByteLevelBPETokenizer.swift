import Foundation

/// Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2): the text is split by the pre-tokenizer,
/// each word's UTF-8 bytes become byte tokens, and rank-ordered merges join them.
public struct ByteLevelBPETokenizer: Tokenizer {
    /// Vocabulary entries as stored (byte-level spelling, e.g. "Ġthe").
    public let tokens: [String]
    /// Kind of each entry.
    public let types: [TokenType]
    public let bosID: Int32?
    public let eosID: Int32?
    /// Ids put before / after the text when `addSpecial` is true.
    public let prefix: [Int32], suffix: [Int32]
    /// How the text is split into words.
    public let preTokenizer: PreTokenizer
    /// A word that is itself a vocabulary entry is taken whole (Llama 3's `ignore_merges`).
    public let ignoreMerges: Bool
    /// The text is put in Unicode NFC first (Qwen2's normalizer).
    public let nfc: Bool
    /// The merges as given (rank = position), kept for writing tokenizer.json.
    public let mergePairs: [(String, String)]

    private let pieces: [[UInt8]]
    private let byteIDs: [Int32]
    private let table: ByteStringTable
    private let merges: BPEMerges
    private let added: AddedTokens

    public var vocabSize: Int { tokens.count }

    /// Builds the tokenizer from a vocabulary in byte-level spelling and merge pairs (rank = position). Entries typed control/user-defined/unknown are matched verbatim in the text.
    public init(tokens: [String], types: [TokenType]? = nil, merges: [(String, String)], preTokenizer: PreTokenizer,
                bosID: Int32? = nil, eosID: Int32? = nil, prefix: [Int32] = [], suffix: [Int32] = [],
                ignoreMerges: Bool = false, nfc: Bool = false) throws {
        if let types, types.count != tokens.count {
            throw TokenizerError.invalid(what: "token types", reason: "\(types.count) types for \(tokens.count) tokens")
        }
        let types = types ?? [TokenType](repeating: .normal, count: tokens.count)
        for id in [bosID, eosID].compactMap({ $0 }) + prefix + suffix where id < 0 || Int(id) >= tokens.count {
            throw TokenizerError.invalid(what: "special token id", reason: "\(id) is outside the vocabulary of \(tokens.count)")
        }
        self.tokens = tokens; self.types = types
        self.bosID = bosID; self.eosID = eosID; self.prefix = prefix; self.suffix = suffix
        self.preTokenizer = preTokenizer; self.ignoreMerges = ignoreMerges; self.nfc = nfc
        self.mergePairs = merges

        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        var pieces: [[UInt8]] = []
        pieces.reserveCapacity(tokens.count)
        var entries: [([UInt8], Int32)] = []
        var added = AddedTokens()
        for (i, t) in tokens.enumerated() {
            let id = Int32(i)
            if ids[t] == nil || types[i] == .normal { ids[t] = id }
            let raw = types[i] == .normal || types[i] == .byte ? (ByteLevelMapping.decode(t) ?? Array(t.utf8)) : Array(t.utf8)
            pieces.append(types[i] == .unused ? [] : raw)
            if types[i] == .normal { entries.append((raw, id)) }
            if types[i].isAdded { added.add(Array(t.utf8), id: id, special: types[i] != .userDefined) }
        }
        self.pieces = pieces
        self.table = ByteStringTable(entries)
        self.added = added
        self.byteIDs = (0..<256).map { ids[String(ByteLevelMapping.byteToScalar[$0])] ?? -1 }

        var m = BPEMerges()
        for (rank, pair) in merges.enumerated() {
            // Merges whose parts or result are not tokens can never fire (Hugging Face rejects them; llama.cpp ignores them).
            guard let a = ids[pair.0], let b = ids[pair.1], let c = ids[pair.0 + pair.1] else { continue }
            m.add(left: a, right: b, merged: c, rank: rank)
        }
        self.merges = m
    }

    /// Splits merge lines "left right" at the first space after the first character, as llama.cpp does.
    public static func parseMerges(_ lines: [String]) throws -> [(String, String)] {
        try lines.enumerated().map { rank, line in
            let u = Array(line.unicodeScalars)
            guard u.count >= 3, let sp = u.dropFirst().firstIndex(of: " ") else {
                throw TokenizerError.invalid(what: "merge \(rank)", reason: "'\(line)' is not two tokens separated by a space")
            }
            var l = String.UnicodeScalarView(), r = String.UnicodeScalarView()
            l.append(contentsOf: u[..<sp]); r.append(contentsOf: u[(sp + 1)...])
            return (String(l), String(r))
        }
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = addSpecial ? prefix : []
        var cache: [ArraySlice<UInt8>: [Int32]] = [:]
        var utf8 = Array((nfc ? text.precomposedStringWithCanonicalMapping : text).utf8)
        utf8.withUnsafeMutableBufferPointer { mp in
            let p = UnsafeBufferPointer(mp)
            for fragment in added.split(p, parseSpecial: parseSpecial) {
                switch fragment {
                case .token(let id): out.append(id)
                case .text(let range): encodeText(p, range, &out, &cache)
                }
            }
        }
        if addSpecial { out += suffix }
        return out
    }

    private func encodeText(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ out: inout [Int32],
                            _ cache: inout [ArraySlice<UInt8>: [Int32]]) {
        let scanned = ScannedText(p, range)
        var start = 0
        for end in preTokenizer.split(scanned.scalars, scanned.classes) {
            let a = scanned.offsets[start], b = scanned.offsets[end]
            start = end
            let word = UnsafeBufferPointer(rebasing: p[a..<b])
            if ignoreMerges, let id = table.lookup(word) { out.append(id); continue }
            let key = ArraySlice(word)
            if let hit = cache[key] { out += hit; continue }
            var symbols: [Int32] = []
            symbols.reserveCapacity(word.count)
            for byte in word where byteIDs[Int(byte)] >= 0 { symbols.append(byteIDs[Int(byte)]) }
            merges.apply(&symbols)
            cache[key] = symbols
            out += symbols
        }
    }

    public func pieceBytes(_ id: Int32, position: Int, skipSpecial: Bool) throws -> [UInt8]? {
        let i = try checked(id)
        if skipSpecial && types[i].isSpecial { return nil }
        return pieces[i]
    }

    public func token(_ id: Int32) throws -> String { tokens[try checked(id)] }

    public func id(of token: String) -> Int32? {
        if let raw = ByteLevelMapping.decode(token), let id = table.lookup(raw), tokens[Int(id)] == token { return id }
        return tokens.firstIndex(of: token).map { Int32($0) }
    }
}
