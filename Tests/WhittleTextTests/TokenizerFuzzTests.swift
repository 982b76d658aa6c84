import Foundation
import WhittleFormats
import WhittleText
import XCTest

/// Corrupted tokenizer files give a tokenizer or a typed error, never a trap; whatever loads encodes and decodes.
final class TokenizerFuzzTests: XCTestCase {
    static let seedFiles: [String] = [
        """
        {"added_tokens": [{"id": 5, "content": "<s>", "special": true}, {"id": 6, "content": "<u>", "special": false}],
         "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true},
            {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]},
         "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}],
            "special_tokens": {"<s>": {"ids": [5]}}},
         "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġab": 4}, "merges": ["a b", "Ġ ab"]}}
        """,
        """
        {"added_tokens": [{"id": 0, "content": "[UNK]", "special": true}, {"id": 1, "content": "[CLS]", "special": true},
            {"id": 2, "content": "[SEP]", "special": true}],
         "normalizer": {"type": "BertNormalizer", "lowercase": true}, "pre_tokenizer": {"type": "BertPreTokenizer"},
         "post_processor": {"type": "BertProcessing", "cls": ["[CLS]", 1], "sep": ["[SEP]", 2]},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "ab": 3, "##c": 4}}}
        """,
    ]

    func testMutatedTokenizerJSONNeverTraps() {
        var rng = SystemRandomNumberGenerator()
        var loaded = 0, rejected = 0
        let texts = ["ab abc 12 <s><u> é🍕", "", "[CLS] ABC", String(repeating: "ab", count: 50)]
        for seed in Self.seedFiles {
            let original = Array(seed.utf8)
            XCTAssertNoThrow(try TokenizerJSON.parse(original), "the unmutated file loads")
            for _ in 0..<400 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes.remove(at: i)
                    default: bytes.insert(Array("0123456789\"{}[],:-".utf8).randomElement(using: &rng) ?? 48, at: i)
                    }
                    if bytes.isEmpty { bytes = [123] }
                }
                do {
                    let tok = try TokenizerJSON.parse(bytes)
                    loaded += 1
                    for t in texts {
                        let ids = tok.encode(t, addSpecial: true)
                        XCTAssertTrue(ids.allSatisfy { $0 >= 0 && Int($0) < tok.vocabSize })
                        _ = try tok.decode(ids)
                    }
                    XCTAssertThrowsError(try tok.decode([Int32(tok.vocabSize)]))
                } catch is TokenizerError {
                    rejected += 1
                } catch {
                    XCTFail("untyped error \(error)")
                }
            }
        }
        XCTAssertGreaterThan(loaded, 0)
        XCTAssertGreaterThan(rejected, 0)
    }
}
