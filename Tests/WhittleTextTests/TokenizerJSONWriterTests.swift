import Foundation
import WhittleFormats
import WhittleText
import XCTest

/// tokenizer.json written by Whittle reads back into a tokenizer with the same ids
/// (Scripts/fixtures/check_tokenizer_json.py checks the same files with Hugging Face `tokenizers`).
final class TokenizerJSONWriterTests: XCTestCase {
    func roundTrip(_ tok: any Tokenizer, _ fixtureName: String, keepAs name: String) throws {
        let bytes = try TokenizerJSON.write(tok), config = try TokenizerJSON.writeConfig(tok)
        if let dir = ProcessInfo.processInfo.environment["WHITTLE_KEEP_TOKENIZER_JSON"] {
            try Data(bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent(name))
        }
        let back = try TokenizerJSON.parse(bytes, config: config)
        XCTAssertEqual(back.vocabSize, tok.vocabSize)
        XCTAssertEqual(back.bosID, tok.bosID)
        XCTAssertEqual(back.eosID, tok.eosID)
        try assertCases(back, try TokenizerFixture(fixtureName), checkDecode: false, skipSpecial: false)
    }

    func testSmolLM2TokenizerJSON() throws {
        let tok = try TokenizerLoader.fromGGUF(try GGUFFile.open(try modelPath("SmolLM2-135M-Instruct.Q4_1.gguf")))
        try roundTrip(tok, "smollm2.json", keepAs: "smollm2.tokenizer.json")
    }

    func testMiniLMTokenizerJSON() throws {
        let tok = try TokenizerLoader.fromHF(directory: try modelPath("all-MiniLM-L6-v2"))
        try roundTrip(tok, "minilm.json", keepAs: "minilm.tokenizer.json")
    }

    func testLoadByPath() throws {
        let dir = try modelPath("all-MiniLM-L6-v2")
        XCTAssertTrue(try TokenizerLoader.load(path: dir) is WordPieceTokenizer)
        XCTAssertTrue(try TokenizerLoader.load(path: dir + "/tokenizer.json") is WordPieceTokenizer)
        XCTAssertTrue(try TokenizerLoader.load(path: try modelPath("SmolLM2-135M-Instruct.Q4_1.gguf")) is ByteLevelBPETokenizer)
        XCTAssertThrowsError(try TokenizerLoader.load(path: dir + "/nothing-here")) { XCTAssertTrue("\($0)".contains("nothing-here")) }
        XCTAssertThrowsError(try TokenizerLoader.load(path: dir + "/vocab.txt"), "not a GGUF file")
    }

    func testSentencePieceIsNotWritten() throws {
        let tok = try SentencePieceTokenizer(tokens: ["<unk>", "a"], scores: [0, 0], bosID: nil, eosID: nil, addBOS: false)
        XCTAssertThrowsError(try TokenizerJSON.write(tok)) { XCTAssertTrue("\($0)".contains("SentencePieceTokenizer")) }
    }
}
