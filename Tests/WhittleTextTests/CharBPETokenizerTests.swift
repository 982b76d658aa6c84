import Foundation
import WhittleText
import XCTest

/// SentencePiece-style tokenizer.json files (BPE over characters with byte fallback, as Llama 2, TinyLlama and
/// Gemma ship them) against Hugging Face `tokenizers`, on small vocabularies trained by the fixture script.
final class CharBPETokenizerTests: XCTestCase {
    func load(_ style: String) throws -> any Tokenizer {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/charbpe_\(style).tokenizer.json")
        return try TokenizerJSON.parse([UInt8](try Data(contentsOf: url)), source: url.lastPathComponent)
    }

    func testLlama2LayoutMatchesHuggingFace() throws {
        let tok = try load("llama2")
        XCTAssertTrue(tok is CharBPETokenizer)
        XCTAssertEqual(tok.bosID, 1)
        try assertCases(tok, try TokenizerFixture("charbpe_llama2.json"), checkDecode: true, skipSpecial: true)
    }

    func testMetaspaceLayoutMatchesHuggingFace() throws {
        let tok = try load("metaspace")
        try assertCases(tok, try TokenizerFixture("charbpe_metaspace.json"), checkDecode: true, skipSpecial: true)
    }

    func testByteFallbackStreamsWholeCharacters() throws {
        let tok = try load("llama2")
        let text = "Café 日本 🍕 done"
        let ids = tok.encode(text, addSpecial: true)
        var stream = StreamingDecoder(tokenizer: tok)
        var pieces: [String] = []
        for id in ids { pieces.append(try stream.push(id)) }
        pieces.append(stream.finish())
        XCTAssertEqual(pieces.joined(), text)
        XCTAssertTrue(pieces.contains("🍕"), "the four byte tokens of the emoji come out as one character")
    }
}
