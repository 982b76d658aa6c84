import Foundation
import WhittleFormats
import XCTest
import WhittleText

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
        let want = idList(t["ids"])
        XCTAssertEqual(tok.encode(t["text"]?.stringValue ?? "", maxLength: 128), want)
    }

    /// llama.cpp's converter stores a BERT vocabulary with "▁" word starts and bare continuations;
    /// the GGUF "bert" path must undo that and tokenize as Hugging Face does.
    func testGGUFBertVocabularyMatches() throws {
        let vocab = try String(contentsOfFile: try modelPath("all-MiniLM-L6-v2") + "/vocab.txt", encoding: .utf8)
        var tokens = vocab.components(separatedBy: "\n")
        if tokens.last == "" { tokens.removeLast() }
        let phantom = tokens.map { t -> String in
            let u = t.unicodeScalars   // code points, as the Python converter compares
            if u.first == "[" && u.last == "]" { return t }
            if u.starts(with: "##".unicodeScalars) { return String(u.dropFirst(2)) }
            return "\u{2581}" + t
        }
        let tok = try GGUFVocabulary(model: "bert", tokens: phantom).makeTokenizer()
        XCTAssertEqual(tok.vocabSize, 30522)
        let fixture = try TokenizerFixture("minilm.json")
        for c in fixture.cases.prefix(40) {
            XCTAssertEqual(tok.encode(c.text, addSpecial: c.addSpecial), c.ids, c.text.debugDescription)
        }
    }

    func testWholeNovelMatchesAndIsFast() throws {
        let tok = try Self.tokenizer.get()
        let fixture = try TokenizerFixture("minilm.json")
        let text = try novelText()
        let (ids, seconds) = threadCPUSeconds { tok.encode(text, addSpecial: false) }
        XCTAssertEqual(ids.count, fixture.novelCount)
        XCTAssertEqual(fnv1a64(ids), fixture.novelHash)
        print("MiniLM: \(text.utf8.count) bytes -> \(ids.count) tokens in \(String(format: "%.3f", seconds)) s of CPU")
        XCTAssertLessThan(seconds, 1.0)
    }
}
