/// Turns generated token ids into text as they arrive, holding back the bytes of a character
/// split across tokens until it is complete: the concatenated output equals `decode` of all ids.
public struct StreamingDecoder {
    /// The tokenizer whose pieces are decoded.
    public let tokenizer: any Tokenizer
    /// Control tokens produce no text when true.
    public let skipSpecial: Bool
    private var pending: [UInt8] = []
    private var position = 0

    /// A decoder for a new sequence.
    public init(tokenizer: any Tokenizer, skipSpecial: Bool = true) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// The text completed by `id` (possibly empty while a character is still incomplete).
    public mutating func push(_ id: Int32) throws -> String {
        guard let piece = try tokenizer.pieceBytes(id, position: position, skipSpecial: skipSpecial) else { return "" }
        position += 1
        pending += piece
        let complete = Self.completePrefix(pending)
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is still held back (an incomplete character becomes U+FFFD); call once at the end.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence that could still complete.
    static func completePrefix(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var i = n - 1, back = 0
        // Find the start of the last sequence (at most 3 continuation bytes back).
        while i >= 0 && back < 3 && bytes[i] & 0xC0 == 0x80 { i -= 1; back += 1 }
        guard i >= 0 else { return n }
        let lead = bytes[i]
        let need = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 && lead < 0xF0 ? 3 : lead >= 0xC2 && lead < 0xE0 ? 2 : 1
        return need > n - i ? i : n
    }
}
