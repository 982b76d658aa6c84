import Foundation
import XCTest
import WhittleText

extension String {
    /// The string as a JSON string literal's contents.
    var jsonEscaped: String {
        var out = ""
        for s in unicodeScalars {
            switch s {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if s.value < 0x20 { out += String(format: "\\u%04x", s.value) } else { out.unicodeScalars.append(s) }
            }
        }
        return out
    }
}

/// Tokenizers on small hand-made vocabularies: no model files needed.
final class TinyVocabularyTests: XCTestCase {
    /// The 256 byte-level characters, then `extra` entries.
    func byteLevelTokens(_ extra: [String]) -> [String] {
        (0..<256).map { String(ByteLevelMapping.byteToScalar[$0]) } + extra
    }

    func testByteLevelMappingIsGPT2s() {
        XCTAssertEqual(Set(ByteLevelMapping.byteToScalar).count, 256)
        XCTAssertEqual(ByteLevelMapping.encode([32, 10, 65]), "\u{120}\u{10A}A")   // "ĠĊA"
        XCTAssertEqual(ByteLevelMapping.decode("\u{120}the"), Array(" the".utf8))
        XCTAssertNil(ByteLevelMapping.decode(" "), "a raw space is not a byte-level character")
        for b in 0..<256 { XCTAssertEqual(ByteLevelMapping.decode(ByteLevelMapping.encode([UInt8(b)])), [UInt8(b)]) }
    }

    func pieces(_ rules: [PreTokenizerRule], _ text: String) -> [String] { PreTokenizer(rules).pieces(text) }

    func testGPT2Regex() {
        XCTAssertEqual(pieces([.gpt2], "Hello world's 12345 !!?\n\n  x  "),
                       ["Hello", " world", "'s", " 12345", " !!?", "\n\n ", " x", "  "])
        XCTAssertEqual(pieces([.gpt2], "IT'S they'll"), ["IT", "'", "S", " they", "'ll"])
        XCTAssertEqual(pieces([.gpt2], "café 日本 a\tb"), ["café", " 日本", " a", "\t", "b"])
        XCTAssertEqual(pieces([.digits(individual: true), .gpt2], "x 2024!"), ["x", " ", "2", "0", "2", "4", "!"])
    }

    func testLlama3AndQwen2Regexes() {
        XCTAssertEqual(pieces([.llama3(maxDigits: 3)], "IT'S 1234567 (hello)\n\n  world\t"),
                       ["IT", "'S", " ", "123", "456", "7", " (", "hello", ")\n\n", " ", " world", "\t"])
        XCTAssertEqual(pieces([.llama3(maxDigits: 1)], "a 123"), ["a", " ", "1", "2", "3"])
        XCTAssertEqual(pieces([.llama3(maxDigits: 3)], "x  \n y"), ["x", "  \n", " y"])
    }

    func testBPEMergesByRank() throws {
        let extra = ["ab", "bc", "abc"]
        let a = try ByteLevelBPETokenizer(tokens: byteLevelTokens(extra), merges: [("a", "b"), ("b", "c"), ("ab", "c")],
                                          preTokenizer: PreTokenizer([.gpt2]))
        XCTAssertEqual(a.encode("abc", addSpecial: false), [258])   // ab, then abc
        let b = try ByteLevelBPETokenizer(tokens: byteLevelTokens(extra), merges: [("b", "c"), ("a", "b"), ("ab", "c")],
                                          preTokenizer: PreTokenizer([.gpt2]))
        XCTAssertEqual(b.encode("abc", addSpecial: false), [97, 257])   // a + bc: "b c" ranks first
        XCTAssertEqual(try b.decode([97, 257]), "abc")
    }

    func testAddedTokensAndSpecialPrefix() throws {
        var types = [TokenType](repeating: .normal, count: 258)
        types[256] = .control; types[257] = .userDefined
        let tok = try ByteLevelBPETokenizer(tokens: byteLevelTokens(["<|s|>", "<u>"]), types: types, merges: [],
                                            preTokenizer: PreTokenizer([.gpt2]), bosID: 256, prefix: [256])
        XCTAssertEqual(tok.encode("a<|s|>b<u>", addSpecial: true), [256, 97, 256, 98, 257])
        XCTAssertEqual(tok.encode("a<|s|>", addSpecial: false, parseSpecial: false).count, 6, "control tokens stay text")
        XCTAssertEqual(tok.encode("<u>", addSpecial: false, parseSpecial: false), [257], "user-defined tokens always match")
        XCTAssertEqual(try tok.decode([256, 97, 257], skipSpecial: true), "a<u>")
        XCTAssertEqual(try tok.decode([256, 97]), "<|s|>a")
    }

    func testByteLevelRoundTripIsExact() throws {
        let tok = try ByteLevelBPETokenizer(tokens: byteLevelTokens([]), merges: [], preTokenizer: PreTokenizer([.gpt2]))
        let text = "Ünïcödé 🍕 \t\r\n  日本 x\u{0}y"
        XCTAssertEqual(try tok.decode(tok.encode(text, addSpecial: false)), text)
    }

    func testStreamingDecoderHoldsSplitCharacters() throws {
        let tok = try ByteLevelBPETokenizer(tokens: byteLevelTokens([]), merges: [], preTokenizer: PreTokenizer([.gpt2]))
        let text = "a🍕é日"
        let ids = tok.encode(text, addSpecial: false)
        XCTAssertEqual(ids.count, 10, "one token per byte")
        var stream = StreamingDecoder(tokenizer: tok)
        var outputs: [String] = []
        for id in ids { outputs.append(try stream.push(id)) }
        outputs.append(stream.finish())
        XCTAssertEqual(outputs, ["a", "", "", "", "🍕", "", "é", "", "", "日", ""])
        XCTAssertEqual(outputs.joined(), text)
        var bad = StreamingDecoder(tokenizer: tok)
        XCTAssertEqual(try bad.push(0xF0), "")
        XCTAssertEqual(bad.finish(), "\u{FFFD}", "an unfinished character ends as U+FFFD")
    }

    func spmTokenizer(addSpacePrefix: Bool = true) throws -> SentencePieceTokenizer {
        var tokens = ["<unk>", "<s>", "</s>"], types: [TokenType] = [.unknown, .control, .control], scores: [Float] = [0, 0, 0]
        for b in 0..<256 { tokens.append(String(format: "<0x%02X>", b)); types.append(.byte); scores.append(0) }
        for (t, s) in [("▁", -1), ("h", -2), ("e", -3), ("l", -4), ("o", -5), ("▁h", -6), ("ll", -7), ("he", -8), ("llo", -9),
                       ("hello", -10), ("▁hello", -11)] as [(String, Float)] {
            tokens.append(t); types.append(.normal); scores.append(s)
        }
        return try SentencePieceTokenizer(tokens: tokens, scores: scores, types: types, bosID: 1, eosID: 2, unknownID: 0,
                                          addBOS: true, addEOS: false, addSpacePrefix: addSpacePrefix)
    }

    func testSentencePieceMergesByScoreWithByteFallback() throws {
        let tok = try spmTokenizer()
        let id = { (t: String) in try XCTUnwrap(tok.id(of: t)) }
        // "▁hello": ▁h (-6) merges first, then ll (-7), then llo (-9); "he" is stale once h joined ▁, and no "▁he" exists.
        let ids = tok.encode("hello", addSpecial: true)
        XCTAssertEqual(ids, [1, try id("▁h"), try id("e"), try id("llo")])
        XCTAssertEqual(try tok.decode(ids, skipSpecial: true), "hello", "the added space prefix is not decoded")
        let e = tok.encode("é", addSpecial: false)
        XCTAssertEqual(e, [try id("▁"), try id("<0xC3>"), try id("<0xA9>")])
        XCTAssertEqual(try tok.decode(e), "é")
        XCTAssertEqual(try spmTokenizer(addSpacePrefix: false).encode("o", addSpecial: false), [try id("o")])
    }

    func testWordPieceGreedyLongestMatch() throws {
        let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "un", "##aff", "##able", ",", "cafe", "中"]
        let tok = try WordPieceTokenizer(tokens: tokens)
        XCTAssertEqual(tok.encode("Hello, unaffable WORLDS! Café 中x", addSpecial: true), [2, 5, 11, 8, 9, 10, 6, 7, 1, 12, 13, 1, 3])
        XCTAssertEqual(tok.encode("[CLS] hello", addSpecial: false), [2, 5])
        XCTAssertEqual(try tok.decode([2, 5, 11, 8, 9, 10, 3], skipSpecial: true), "hello, unaffable")
        XCTAssertEqual(tok.encode(String(repeating: "a", count: 101), addSpecial: false), [1], "over 100 characters is [UNK]")
        XCTAssertEqual(tok.encode("hello world hello", maxLength: 3), [2, 5, 3])
    }

    /// A Llama-3-style tokenizer.json: Split regex + ByteLevel without regex, ignore_merges, BOS from the template.
    func testTokenizerJSONLlama3Style() throws {
        var vocab = byteLevelTokens(["ĠHi", "12", "123", "<|begin_of_text|>"]).enumerated().map { "\"\($0.element.jsonEscaped)\": \($0.offset)" }
        vocab.removeLast()   // the BOS is an added token
        let regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
        let json = """
        {"added_tokens": [{"id": 259, "content": "<|begin_of_text|>", "special": true}],
         "normalizer": null,
         "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "\(regex.jsonEscaped)"}, "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
         "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [259]}}},
         "model": {"type": "BPE", "ignore_merges": true, "vocab": {\(vocab.joined(separator: ", "))}, "merges": [["1", "2"]]}}
        """
        let tok = try TokenizerJSON.parse(Array(json.utf8))
        XCTAssertEqual(tok.bosID, 259)
        // " Hi" and "123" are whole vocabulary entries (ignore_merges; no merge builds "123"); 12345 splits 123|45.
        XCTAssertEqual(tok.encode("<|begin_of_text|>x Hi 12345", addSpecial: true), [259, 259, 120, 256, 32, 258, 52, 53])
        XCTAssertEqual(try tok.decode([259, 120, 256, 32, 258, 52, 53], skipSpecial: true), "x Hi 12345")
    }

    func testBadInputIsATypedError() throws {
        let tok = try ByteLevelBPETokenizer(tokens: byteLevelTokens([]), merges: [], preTokenizer: PreTokenizer([.gpt2]))
        XCTAssertThrowsError(try tok.decode([256])) { XCTAssertEqual($0 as? TokenizerError, .idOutOfRange(id: 256, vocabSize: 256)) }
        XCTAssertThrowsError(try tok.decode([-1])) { XCTAssertEqual($0 as? TokenizerError, .idOutOfRange(id: -1, vocabSize: 256)) }
        var stream = StreamingDecoder(tokenizer: tok)
        XCTAssertThrowsError(try stream.push(1000))
        XCTAssertThrowsError(try ByteLevelBPETokenizer.parseMerges(["ab"]))
        XCTAssertThrowsError(try ByteLevelBPETokenizer(tokens: ["a"], types: [.normal, .normal], merges: [], preTokenizer: PreTokenizer([.gpt2])))
        XCTAssertThrowsError(try ByteLevelBPETokenizer(tokens: ["a"], merges: [], preTokenizer: PreTokenizer([.gpt2]), bosID: 5))
        XCTAssertThrowsError(try SentencePieceTokenizer(tokens: ["a", "b"], scores: [0], bosID: nil, eosID: nil))
        XCTAssertThrowsError(try WordPieceTokenizer(tokens: ["a"]), "no [UNK]")

        func json(_ s: String) -> TokenizerError? {
            do { _ = try TokenizerJSON.parse(Array(s.utf8)); return nil } catch { return error as? TokenizerError }
        }
        XCTAssertEqual(json("{}"), .missing(what: "\"model\"", in: "tokenizer.json"))
        XCTAssertEqual(json("{\"model\": {\"type\": \"Unigram\", \"vocab\": {\"a\": 0}}}"),
                       .unsupported(what: "tokenizer.json model type", value: "Unigram", supported: ["BPE", "WordPiece"]))
        XCTAssertEqual(json("{\"model\": {\"type\": \"BPE\"}}"), .missing(what: "model.vocab (an object of token -> id)", in: "tokenizer.json"))
        if case .invalid = json("{\"model\": ") {} else { XCTFail("truncated JSON") }
        if case .unsupported = json("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"x\"}}}") {} else {
            XCTFail("unknown regex")
        }

        let badTemplate = """
        {"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}}, "post_processor": {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": "[X]"}}, {"Sequence": {"id": "A"}}], "special_tokens": {"[X]": {"ids": [999]}}}}
        """
        if case .invalid(_, let reason) = json(badTemplate) { XCTAssertTrue(reason.contains("999")) } else { XCTFail("template id out of range") }
        if case .invalid = json("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 99999999999}, \"merges\": []}}") {} else {
            XCTFail("huge vocabulary id")
        }

        var meta = GGUFVocabulary(model: "t5", tokens: ["a"])
        XCTAssertThrowsError(try meta.makeTokenizer()) { XCTAssertTrue("\($0)".contains("tokenizer.ggml.model 't5'")) }
        meta = GGUFVocabulary(model: "gpt2", pre: "no-such-pre", tokens: ["a"]); meta.merges = []
        XCTAssertThrowsError(try meta.makeTokenizer()) { XCTAssertTrue("\($0)".contains("no-such-pre")) }
        meta = GGUFVocabulary(model: "gpt2", pre: "gpt-2", tokens: ["a"])
        XCTAssertThrowsError(try meta.makeTokenizer()) { XCTAssertTrue("\($0)".contains("merges")) }
        meta = GGUFVocabulary(model: "llama", tokens: ["a", "b"]); meta.scores = [0]
        XCTAssertThrowsError(try meta.makeTokenizer())
        XCTAssertThrowsError(try GGUFVocabulary(model: "llama", tokens: []).makeTokenizer())
    }
}
