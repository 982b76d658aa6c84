/// SentencePiece-style BPE (GGUF tokenizer model "llama": Llama 2, Gemma): spaces become "▁",
/// then adjacent pieces merge highest score first, as llama.cpp's `llm_tokenizer_spm`; characters
/// outside the vocabulary fall back to <0xXX> byte tokens.
public struct SentencePieceTokenizer: Tokenizer {
    /// Vocabulary entries as stored ("▁the", "<0x0A>", "<bos>").
    public let tokens: [String]
    /// Merge priority of each entry (higher merges first).
    public let scores: [Float]
    /// Kind of each entry.
    public let types: [TokenType]
    public let bosID: Int32?
    public let eosID: Int32?
    /// Id used for a byte with no byte token, if any.
    public let unknownID: Int32?
    /// BOS/EOS added by `encode(_:addSpecial: true)`.
    public let addBOS: Bool, addEOS: Bool
    /// A space is put before the text and after each special token (SentencePiece's add_dummy_prefix).
    public let addSpacePrefix: Bool

    private let pieces: [[UInt8]]
    private let table: ByteStringTable
    private let byteIDs: [Int32]
    private let added: AddedTokens

    public var vocabSize: Int { tokens.count }

    /// Builds the tokenizer from GGUF-style arrays (`tokens`, `scores`, `types` of equal length).
    public init(tokens: [String], scores: [Float], types: [TokenType]? = nil, bosID: Int32?, eosID: Int32?,
                unknownID: Int32? = nil, addBOS: Bool = true, addEOS: Bool = false, addSpacePrefix: Bool = true) throws {
        guard scores.count == tokens.count else {
            throw TokenizerError.invalid(what: "token scores", reason: "\(scores.count) scores for \(tokens.count) tokens")
        }
        if let types, types.count != tokens.count {
            throw TokenizerError.invalid(what: "token types", reason: "\(types.count) types for \(tokens.count) tokens")
        }
        for id in [bosID, eosID, unknownID].compactMap({ $0 }) where id < 0 || Int(id) >= tokens.count {
            throw TokenizerError.invalid(what: "special token id", reason: "\(id) is outside the vocabulary of \(tokens.count)")
        }
        if addBOS && bosID == nil { throw TokenizerError.missing(what: "BOS token id (add_bos is set)", in: "tokenizer") }
        if addEOS && eosID == nil { throw TokenizerError.missing(what: "EOS token id (add_eos is set)", in: "tokenizer") }
        let types = types ?? [TokenType](repeating: .normal, count: tokens.count)
        self.tokens = tokens; self.scores = scores; self.types = types
        self.bosID = bosID; self.eosID = eosID; self.unknownID = unknownID
        self.addBOS = addBOS; self.addEOS = addEOS; self.addSpacePrefix = addSpacePrefix

        var pieces: [[UInt8]] = [], entries: [([UInt8], Int32)] = []
        var byteIDs = [Int32](repeating: -1, count: 256)
        var single: [UInt8: Int32] = [:]
        var added = AddedTokens()
        pieces.reserveCapacity(tokens.count); entries.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() {
            let id = Int32(i), raw = Array(t.utf8)
            entries.append((raw, id))
            if raw.count == 1 { single[raw[0]] = id }
            switch types[i] {
            case .byte:
                if let b = Self.byteValue(t) { byteIDs[Int(b)] = id; pieces.append([b]) } else { pieces.append(raw) }
            case .normal: pieces.append(Self.unescape(raw))
            case .unused: pieces.append([])
            default: pieces.append(raw)
            }
            if types[i].isAdded { added.add(raw, id: id, special: types[i] != .userDefined) }
        }
        // llama.cpp's byte_to_token: the <0xXX> token, else the byte as a one-character token.
        for b in 0..<256 where byteIDs[b] < 0 { byteIDs[b] = single[UInt8(b)] ?? unknownID ?? -1 }
        self.pieces = pieces; self.table = ByteStringTable(entries); self.byteIDs = byteIDs; self.added = added
    }

    /// The byte of a "<0xXX>" entry.
    static func byteValue(_ t: String) -> UInt8? {
        let u = Array(t.utf8)
        guard u.count == 6, u[0] == 60, u[1] == 48, u[2] == 120, u[5] == 62 else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    /// "▁" (E2 96 81) back to a space.
    static func unescape(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            if i + 2 < raw.count && raw[i] == 0xE2 && raw[i + 1] == 0x96 && raw[i + 2] == 0x81 { out.append(32); i += 3 } else { out.append(raw[i]); i += 1 }
        }
        return out
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        if addSpecial && addBOS, let bos = bosID { out.append(bos) }
        let utf8 = Array(text.utf8)
        var previousWasSpecial = true
        utf8.withUnsafeBufferPointer { p in
            for fragment in added.split(p, parseSpecial: parseSpecial) {
                switch fragment {
                case .token(let id):
                    out.append(id); previousWasSpecial = true
                case .text(let range):
                    var escaped: [UInt8] = []
                    escaped.reserveCapacity(range.count + 8)
                    if addSpacePrefix && previousWasSpecial { escaped += [0xE2, 0x96, 0x81] }
                    for b in p[range] { if b == 32 { escaped += [0xE2, 0x96, 0x81] } else { escaped.append(b) } }
                    encodePiece(escaped, &out)
                    previousWasSpecial = false
                }
            }
        }
        if addSpecial && addEOS, let eos = eosID { out.append(eos) }
        return out
    }

    private struct Symbol { var start: Int; var length: Int; var prev: Int; var next: Int }

    /// llama.cpp's `llm_tokenizer_spm_session::tokenize` on escaped text.
    private func encodePiece(_ text: [UInt8], _ out: inout [Int32]) {
        var symbols: [Symbol] = []
        symbols.reserveCapacity(text.count)
        var offset = 0
        while offset < text.count {
            let b = text[offset]
            let len = min(b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4, text.count - offset)
            symbols.append(Symbol(start: offset, length: len, prev: symbols.count - 1, next: offset + len == text.count ? -1 : symbols.count + 1))
            offset += len
        }
        if symbols.isEmpty { return }
        text.withUnsafeBufferPointer { p in
            var heap = BinaryHeap<ScoredMerge>()
            func tryAdd(_ left: Int, _ right: Int) {
                guard left >= 0, right >= 0 else { return }
                let a = symbols[left].start, n = symbols[left].length + symbols[right].length
                guard let id = table.lookup(UnsafeBufferPointer(rebasing: p[a..<(a + n)])) else { return }
                heap.push(ScoredMerge(score: scores[Int(id)], left: left, right: right, size: n))
            }
            for i in 1..<symbols.count { tryAdd(i - 1, i) }
            while let top = heap.pop() {
                let l = top.left, r = top.right
                if symbols[l].length == 0 || symbols[r].length == 0 || symbols[l].length + symbols[r].length != top.size { continue }
                symbols[l].length += symbols[r].length
                symbols[r].length = 0
                symbols[l].next = symbols[r].next
                if symbols[r].next >= 0 { symbols[symbols[r].next].prev = l }
                tryAdd(symbols[l].prev, l)
                tryAdd(l, symbols[l].next)
            }
            var i = 0
            while i >= 0 {
                let s = symbols[i]
                if let id = table.lookup(UnsafeBufferPointer(rebasing: p[s.start..<(s.start + s.length)])) {
                    out.append(id)
                } else {
                    for b in p[s.start..<(s.start + s.length)] where byteIDs[Int(b)] >= 0 { out.append(byteIDs[Int(b)]) }
                }
                i = s.next
            }
        }
    }

    public func pieceBytes(_ id: Int32, position: Int, skipSpecial: Bool) throws -> [UInt8]? {
        let i = try checked(id)
        if skipSpecial && types[i].isSpecial { return nil }
        let piece = pieces[i]
        // The space SentencePiece added before the text is not part of it.
        if position == 0 && addSpacePrefix && types[i] == .normal && piece.first == 32 { return Array(piece.dropFirst()) }
        return piece
    }

    public func token(_ id: Int32) throws -> String { tokens[try checked(id)] }

    public func id(of token: String) -> Int32? { table.lookup(Array(token.utf8)) }
}

/// A candidate merge of the pieces `left` and `right` (`size` bytes together): highest score
/// first, then leftmost, as llama.cpp's `llm_bigram_spm`.
private struct ScoredMerge: HeapOrdered {
    var score: Float
    var left: Int
    var right: Int
    var size: Int

    static func precedes(_ a: ScoredMerge, _ b: ScoredMerge) -> Bool {
        a.score != b.score ? a.score > b.score : a.left < b.left
    }
}
