/// Kind of a vocabulary entry, with GGUF's `tokenizer.ggml.token_type` numbering.
public enum TokenType: Int32, Sendable {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6

    /// GGUF's number for a type; unknown numbers count as normal tokens (llama.cpp marks them undefined).
    public init(gguf value: Int32) { self = TokenType(rawValue: value) ?? .normal }

    /// Matched verbatim in the text before the model runs.
    var isAdded: Bool { self == .control || self == .userDefined || self == .unknown }
    /// Left out of decoded text when special tokens are skipped.
    var isSpecial: Bool { self == .control || self == .unknown }
}

/// Unicode scalars of a UTF-8 byte range with their classes and byte offsets (offsets has one more entry, the end).
struct ScannedText {
    var scalars: [Unicode.Scalar] = []
    var classes: [CharClass] = []
    var offsets: [Int] = []

    /// Decodes valid UTF-8 `bytes` (from a Swift String, so never malformed).
    init(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        scalars.reserveCapacity(range.count)
        classes.reserveCapacity(range.count)
        offsets.reserveCapacity(range.count + 1)
        var i = range.lowerBound
        while i < range.upperBound {
            let b0 = UInt32(bytes[i])
            var v = b0, len = 1
            if b0 >= 0xF0 { len = 4; v = b0 & 0x07 } else if b0 >= 0xE0 { len = 3; v = b0 & 0x0F } else if b0 >= 0xC0 { len = 2; v = b0 & 0x1F }
            if i + len > range.upperBound { len = range.upperBound - i }
            for k in 1..<max(len, 1) { v = v << 6 | (UInt32(bytes[i + k]) & 0x3F) }
            let s = Unicode.Scalar(v) ?? "\u{FFFD}"
            scalars.append(s)
            classes.append(CharClass.of(s))
            offsets.append(i)
            i += len
        }
        offsets.append(range.upperBound)
    }
}
