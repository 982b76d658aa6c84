import Foundation
import WhittleFormats
import XCTest
import WhittleText

/// The tokenizers of the test GGUF models against their oracles (see Scripts/fixtures/make_tokenizer_fixtures.py).
final class GGUFTokenizerTests: XCTestCase {
    static let smol: Result<any Tokenizer, Error> = Result {
        try TokenizerLoader.fromGGUF(try GGUFFile.open(try modelPath("SmolLM2-135M-Instruct.Q4_1.gguf")))
    }
    static let gemma: Result<any Tokenizer, Error> = Result {
        try TokenizerLoader.fromGGUF(try GGUFFile.open(try modelPath("gemma-3-270m-q4_k_m.gguf")))
    }

    func testSmolLM2MatchesHuggingFace() throws {
        let tok = try Self.smol.get()
        XCTAssertTrue(tok is ByteLevelBPETokenizer)
        XCTAssertEqual(tok.vocabSize, 49152)
        XCTAssertEqual(tok.bosID, 1)
        XCTAssertEqual(tok.eosID, 2)
        try assertCases(tok, try TokenizerFixture("smollm2.json"), checkDecode: true, skipSpecial: false)
    }

    func testSmolLM2WholeNovelAndRoundTrip() throws {
        let tok = try Self.smol.get()
        try checkNovel(tok, try TokenizerFixture("smollm2.json"), name: "SmolLM2")
        let text = try novelText()
        XCTAssertEqual(try tok.decode(tok.encode(text, addSpecial: false)), text, "byte-level decode is exact")
    }

    func testGemma3MatchesLlamaCpp() throws {
        let tok = try Self.gemma.get()
        XCTAssertTrue(tok is SentencePieceTokenizer)
        XCTAssertEqual(tok.vocabSize, 262144)
        XCTAssertEqual(tok.bosID, 2)
        XCTAssertEqual(tok.eosID, 1)
        let fixture = try TokenizerFixture("gemma3.json")
        try assertCases(tok, fixture, checkDecode: false, skipSpecial: false)
        for c in fixture.cases where !c.addSpecial {
            XCTAssertEqual(try tok.decode(c.ids), c.text, "Gemma's pieces spell the text back")
        }
    }

    func testGemma3WholeNovel() throws {
        try checkNovel(try Self.gemma.get(), try TokenizerFixture("gemma3.json"), name: "Gemma 3")
    }

    func testStreamingDecodeEqualsDecode() throws {
        let text = try novelText().prefix(3000) + " 🍕 👨‍👩‍👧‍👦 日本語 \u{0}é"
        for tok in [try Self.smol.get(), try Self.gemma.get()] {
            let ids = tok.encode(String(text), addSpecial: true)
            var stream = StreamingDecoder(tokenizer: tok, skipSpecial: true)
            var out = ""
            for id in ids { out += try stream.push(id) }
            out += stream.finish()
            XCTAssertEqual(out, try tok.decode(ids, skipSpecial: true))
            XCTAssertEqual(out, String(text))
        }
    }

    func testBadMetadataIsATypedError() {
        func error(_ pairs: [(key: String, value: GGUFValue)]) -> String {
            do { _ = try TokenizerLoader.fromGGUF(metadata: GGUFMetadata(pairs)); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error([]), "GGUF metadata: missing tokenizer.ggml.model")
        XCTAssertEqual(error([("tokenizer.ggml.model", .string("gpt2"))]), "GGUF metadata: missing tokenizer.ggml.tokens")
        XCTAssertTrue(error([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", .array(.int32([1])))])
            .contains("tokenizer.ggml.tokens: expected an array of strings"))
        XCTAssertTrue(error([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", .array(.string(["a"]))),
                             ("tokenizer.ggml.scores", .array(.string(["x"])))]).contains("tokenizer.ggml.scores: expected"))
        XCTAssertTrue(error([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("nope")),
                             ("tokenizer.ggml.tokens", .array(.string(["a"]))), ("tokenizer.ggml.merges", .array(.string([])))])
            .contains("unsupported tokenizer.ggml.pre 'nope'"))
        XCTAssertTrue(error([("tokenizer.ggml.model", .string("bpe?")), ("tokenizer.ggml.tokens", .array(.string(["a"])))])
            .contains("unsupported tokenizer.ggml.model 'bpe?'"))
    }

    func checkNovel(_ tok: any Tokenizer, _ fixture: TokenizerFixture, name: String) throws {
        let text = try novelText()
        let (ids, seconds) = threadCPUSeconds { tok.encode(text, addSpecial: false) }
        XCTAssertEqual(ids.count, fixture.novelCount)
        XCTAssertEqual(fnv1a64(ids), fixture.novelHash)
        print("\(name): \(text.utf8.count) bytes -> \(ids.count) tokens in \(String(format: "%.3f", seconds)) s of CPU")
        XCTAssertLessThan(seconds, 1.0)
    }
}
