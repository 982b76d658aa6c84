import Foundation
import WhittleNN
import WhittleTensor
import XCTest

/// The cached test GGUFs (Scripts/models/fetch.sh) against llama.cpp's own outputs, recorded by
/// Scripts/fixtures/make_llama_cpp_fixtures.py: greedy continuations and perplexity.
final class LMGGUFTests: XCTestCase {
    private struct Reference {
        let file: String, ppl: Double, continuations: [(prompt: String, text: String)]
    }

    private func references() throws -> (ctx: Int, chunks: Int, tokens: Int, models: [Reference]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: lmFixture("llama_cpp.json")))
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let models = (o["models"] as? [[String: Any]] ?? []).map { m in
            Reference(file: m["file"] as? String ?? "", ppl: (m["ppl"] as? NSNumber)?.doubleValue ?? 0,
                      continuations: (m["continuations"] as? [[String: String]] ?? []).map { ($0["prompt"] ?? "", $0["text"] ?? "") })
        }
        return ((o["ctx"] as? Int) ?? 0, (o["chunks"] as? Int) ?? 0, (o["tokens"] as? Int) ?? 0, models)
    }

    private func load(_ file: String) throws -> LanguageModel? {
        let path = NSHomeDirectory() + "/.cache/whittle/models/" + file
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(file) is not in the model cache: run Scripts/models/fetch.sh (Scripts/setup.sh does)")
            return nil
        }
        return try LanguageModelLoader.load(path: path)
    }

    /// llama-completion ends its output with newlines of its own: compare without trailing whitespace.
    private func trimmed(_ s: String) -> String {
        var s = s
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return s
    }

    private func greedy(_ lm: LanguageModel, _ prompt: String, _ n: Int) throws -> String {
        let t = try XCTUnwrap(lm.tokenizer)
        var sampler = try Sampler()
        let ids = try t.encode(prompt, addSpecial: true)
        let out = try Generator.run(try XCTUnwrap(lm.decoder), prompt: ids, maxTokens: n, sampler: &sampler, stopTokens: t.stopIDs)
        return try t.decode(out.tokens)
    }

    func testSmolLM2Q4_1GreedyContinuationsMatchLlamaCpp() throws {
        let refs = try references()
        guard let ref = refs.models.first(where: { $0.file.hasPrefix("SmolLM2") }), let lm = try load(ref.file) else { return }
        XCTAssertEqual(lm.architecture, "llama")
        XCTAssertEqual(lm.module.parameter(named: "model.layers.0.self_attn.q_proj.weight")?.value.dtype, .q4_1)
        for c in ref.continuations {
            XCTAssertEqual(trimmed(try greedy(lm, c.prompt, refs.tokens)), trimmed(c.text), c.prompt)
        }
    }

    func testGemma3GreedyContinuationsMatchLlamaCpp() throws {
        let refs = try references()
        guard let ref = refs.models.first(where: { $0.file.hasPrefix("gemma") }), let lm = try load(ref.file) else { return }
        XCTAssertEqual(lm.architecture, "gemma3")
        for c in ref.continuations {
            XCTAssertEqual(trimmed(try greedy(lm, c.prompt, refs.tokens)), trimmed(c.text), c.prompt)
        }
    }

    func testPerplexityWithinOnePercentOfLlamaCpp() throws {
        let refs = try references()
        let text = try String(contentsOfFile: lmFixture("../../../../Data/text/austen_persuasion.txt"), encoding: .utf8)
        for ref in refs.models {
            guard let lm = try load(ref.file) else { continue }
            let t = try XCTUnwrap(lm.tokenizer)
            // Only the chunks scored are needed: tokenize a prefix long enough for them.
            let ids = try t.encode(String(text.prefix(refs.ctx * refs.chunks * 8)), addSpecial: true)
            let r = try Perplexity.compute(try XCTUnwrap(lm.decoder), tokens: ids, ctx: refs.ctx, chunks: refs.chunks, bos: t.bosID)
            XCTAssertEqual(r.perplexity, ref.ppl, accuracy: ref.ppl * 0.01, ref.file)
        }
    }
}
