/// A text tokenizer: text to token ids and back, as the model's own tokenizer does it.
public protocol Tokenizer: Sendable {
    /// Number of token ids (valid ids are 0..<vocabSize).
    var vocabSize: Int { get }
    /// Beginning-of-sequence id, if the vocabulary has one.
    var bosID: Int32? { get }
    /// End-of-sequence id, if the vocabulary has one.
    var eosID: Int32? { get }
    /// Token ids of `text`; `addSpecial` adds what the model's files say to add (BOS, [CLS]/[SEP], ...).
    /// Special tokens written in the text are matched as such when `parseSpecial` is true.
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32]
    /// The bytes token `id` contributes at `position` of a decoded sequence (0 = first token not skipped);
    /// nil for a control token when `skipSpecial` is true.
    func pieceBytes(_ id: Int32, position: Int, skipSpecial: Bool) throws -> [UInt8]?
    /// Text of `ids`; throws `TokenizerError.idOutOfRange` for an id outside the vocabulary.
    func decode(_ ids: [Int32], skipSpecial: Bool) throws -> String
    /// The vocabulary entry of `id` as stored in the model files (e.g. "Ġthe", "▁the", "##ing").
    func token(_ id: Int32) throws -> String
    /// The id of a vocabulary entry, if present.
    func id(of token: String) -> Int32?
}

extension Tokenizer {
    /// Token ids of `text`, with special tokens in the text matched as such.
    public func encode(_ text: String, addSpecial: Bool = true) -> [Int32] {
        encode(text, addSpecial: addSpecial, parseSpecial: true)
    }

    /// Concatenation of the pieces, decoded as UTF-8 (invalid sequences become U+FFFD).
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) throws -> String {
        String(decoding: try decodeBytes(ids, skipSpecial: skipSpecial), as: UTF8.self)
    }

    /// The raw bytes of `ids` (byte-level tokenizers can produce bytes that are not UTF-8 on their own).
    public func decodeBytes(_ ids: [Int32], skipSpecial: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        var position = 0
        for id in ids {
            guard let piece = try pieceBytes(id, position: position, skipSpecial: skipSpecial) else { continue }
            position += 1
            out += piece
        }
        return out
    }

    /// Checks that `id` is a valid token id.
    func checked(_ id: Int32) throws -> Int {
        guard id >= 0, Int(id) < vocabSize else { throw TokenizerError.idOutOfRange(id: id, vocabSize: vocabSize) }
        return Int(id)
    }
}

/// Everything that can be wrong with a tokenizer's files or a decode request, each naming the culprit.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// A token id outside 0..<vocabSize.
    case idOutOfRange(id: Int32, vocabSize: Int)
    /// tokenizer.json (or GGUF metadata) lacks a required part.
    case missing(what: String, in: String)
    /// A model, pre-tokenizer or normalizer type Whittle does not implement.
    case unsupported(what: String, value: String, supported: [String])
    /// A malformed entry (bad merge line, wrong JSON type, inconsistent lengths...).
    case invalid(what: String, reason: String)

    public var description: String {
        switch self {
        case .idOutOfRange(let id, let n): return "token id \(id) is out of range (vocabulary has \(n) tokens)"
        case .missing(let what, let source): return "\(source): missing \(what)"
        case .unsupported(let what, let value, let supported):
            return "unsupported \(what) '\(value)' (supported: \(supported.joined(separator: ", ")))"
        case .invalid(let what, let reason): return "invalid \(what): \(reason)"
        }
    }
}
