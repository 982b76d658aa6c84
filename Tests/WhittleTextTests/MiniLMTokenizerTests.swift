import Foundation
import XCTest
@testable import WhittleText

/// all-MiniLM-L6-v2's WordPiece tokenizer from its tokenizer.json, against Hugging Face `tokenizers`.
final class MiniLMTokenizerTests: XCTestCase {
    static let tokenizer: Result<any Tokenizer, Error> = Result {
        try TokenizerJSON.load(directory: try modelPath("all-MiniLM-L6-v2"))
    }

    func testIdsAndDecodeMatchHuggingFace() throws {
        let tok = try Self.tokenizer.get()
        XCTAssertEqual(tok.vocabSize, 30522)
        XCTAssertEqual(tok.bosID, 101)
        XCTAssertEqual(tok.eosID, 102)
        try assertCases(tok, try TokenizerFixture("minilm.json"), checkDecode: true, skipSpecial: true)
    }

    func testTruncationKeepsSpecialTokens() throws {
        let tok = try XCTUnwrap(try Self.tokenizer.get() as? WordPieceTokenizer)
        let fixture = try TokenizerFixture("minilm.json")
        let t = try XCTUnwrap(fixture.root["truncation"])
        XCTAssertEqual(tok.maxLength, 128, "tokenizer.json's truncation.max_length")
        let want = (t["ids"]?.arrayValue ?? []).map { Int32($0.unsignedInteger ?? 0) }
        XCTAssertEqual(tok.encode(t["text"]?.stringValue ?? "", maxLength: 128), want)
    }

    func testWholeNovelMatchesAndIsFast() throws {
        let tok = try Self.tokenizer.get()
        let fixture = try TokenizerFixture("minilm.json")
        let text = try novelText()
        let start = Date()
        let ids = tok.encode(text, addSpecial: false)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(ids.count, fixture.novelCount)
        XCTAssertEqual(fnv1a64(ids), fixture.novelHash)
        print("MiniLM: \(text.utf8.count) bytes -> \(ids.count) tokens in \(String(format: "%.3f", seconds)) s")
        XCTAssertLessThan(seconds, 2.0)
    }
}
