/// What the language-model code needs from a tokenizer: text to ids and back, and the special
/// tokens the checkpoint declares. WhittleText's tokenizers conform to it in the layer above.
public protocol TextCodec: AnyObject {
    /// The ids of `text`, with BOS (and any other special tokens the tokenizer adds) when `addSpecial`.
    func encode(_ text: String, addSpecial: Bool) throws -> [Int]
    /// The text of `ids` (special tokens dropped).
    func decode(_ ids: [Int]) throws -> String
    /// The beginning-of-sequence id, when the tokenizer adds one.
    var bosID: Int? { get }
    /// Ids that end generation (EOS, end-of-turn).
    var stopIDs: Set<Int> { get }
}
