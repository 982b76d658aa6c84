import WhittleFormats
import WhittleText
import XCTest

/// The hand-written pre-tokenizer scanners against Hugging Face's regex engine (Oniguruma) on the fixture texts.
final class PreTokenizerRegexTests: XCTestCase {
    func testScannersSplitLikeTheRegexes() throws {
        let fixture = try TokenizerFixture("regexes.json")
        for name in ["gpt2", "llama3", "qwen2"] {
            let entry = try XCTUnwrap(fixture.root[name], name)
            let pattern = try XCTUnwrap(entry["pattern"]?.stringValue)
            let rule = try XCTUnwrap(TokenizerJSON.rule(forRegex: pattern), "tokenizer.json's \(name) regex is recognised")
            let cases = entry["cases"]?.arrayValue ?? []
            XCTAssertGreaterThan(cases.count, 20)
            for c in cases {
                let text = c["text"]?.stringValue ?? ""
                let want = (c["pieces"]?.arrayValue ?? []).compactMap { $0.stringValue }
                XCTAssertEqual(PreTokenizer([rule]).pieces(text), want, "\(name) on \(text.prefix(60).debugDescription)")
            }
        }
    }
}
