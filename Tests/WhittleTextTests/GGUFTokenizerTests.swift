import Foundation
import XCTest
@testable import WhittleText

/// The tokenizers of the test GGUF models against their oracles (see Scripts/fixtures/make_tokenizer_fixtures.py).
final class GGUFTokenizerTests: XCTestCase {
    static let smol: Result<any Tokenizer, Error> = Result {
        try GGUFTestReader.vocabulary(try modelPath("SmolLM2-135M-Instruct.Q4_1.gguf")).makeTokenizer()
    }
    static let gemma: Result<any Tokenizer, Error> = Result {
        try GGUFTestReader.vocabulary(try modelPath("gemma-3-270m-q4_k_m.gguf")).makeTokenizer()
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

    func checkNovel(_ tok: any Tokenizer, _ fixture: TokenizerFixture, name: String) throws {
        let text = try novelText()
        let start = Date()
        let ids = tok.encode(text, addSpecial: false)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(ids.count, fixture.novelCount)
        XCTAssertEqual(fnv1a64(ids), fixture.novelHash)
        print("\(name): \(text.utf8.count) bytes -> \(ids.count) tokens in \(String(format: "%.3f", seconds)) s")
        XCTAssertLessThan(seconds, 2.0)
    }
}
