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
        let path = (ProcessInfo.processInfo.environment["WHITTLE_CACHE"] ?? NSHomeDirectory() + "/.cache/whittle") + "/models/" + file
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(file) is not in the model cache: run Scripts/models/fetch.sh (Scripts/setup.sh does)")
            return nil
        }
        return try LanguageModelLoader.load(path: path)
    }

    /// Teacher-forces llama.cpp's greedy continuation through Whittle: at each step Whittle's argmax
    /// should be llama.cpp's token, and where it is not, the two must be a near tie (logit gap below
    /// `maxGap`): greedy paths of these small quantized models part at near ties, as llama.cpp's own
    /// do between its attention modes. Returns (agreeing steps, steps, largest gap).
    private func followGreedy(_ lm: LanguageModel, prompt: String, continuation: String) throws -> (Int, Int, Float) {
        let t = try XCTUnwrap(lm.tokenizer), d = try XCTUnwrap(lm.decoder)
        var text = continuation
        if let r = text.range(of: " [end of text]") { text = String(text[..<r.lowerBound]) }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        let promptIDs = try t.encode(prompt, addSpecial: true)
        let all = try t.encode(prompt + text, addSpecial: true)
        XCTAssertEqual(Array(all.prefix(promptIDs.count)), promptIDs, "the prompt tokenizes the same inside the continuation")
        let logits = try d.forward(ids: all, cache: d.makeCache())
        let v = d.spec.vocab
        var agree = 0, worst: Float = 0
        for i in (promptIDs.count - 1)..<(all.count - 1) {
            let row = logits.floats + i * v
            let best = Sampler.argmax(row, v)
            if best == all[i + 1] { agree += 1 } else { worst = max(worst, row[best] - row[all[i + 1]]) }
        }
        return (agree, all.count - promptIDs.count, worst)
    }

    private func checkContinuations(_ prefix: String, architecture: String, dtype: DType) throws {
        let refs = try references()
        guard let ref = refs.models.first(where: { $0.file.hasPrefix(prefix) }), let lm = try load(ref.file) else { return }
        XCTAssertEqual(lm.architecture, architecture)
        XCTAssertEqual(lm.module.parameter(named: "model.layers.0.self_attn.q_proj.weight")?.value.dtype, dtype)
        for c in ref.continuations {
            let (agree, steps, gap) = try followGreedy(lm, prompt: c.prompt, continuation: c.text)
            print("\(prefix) '\(c.prompt)': \(agree)/\(steps) greedy steps agree, largest gap \(gap)")
            XCTAssertGreaterThanOrEqual(Double(agree), 0.9 * Double(steps), "\(prefix) '\(c.prompt)': \(agree)/\(steps) greedy steps agree")
            XCTAssertLessThan(gap, 0.5, "\(prefix) '\(c.prompt)': llama.cpp's token trails Whittle's argmax by \(gap)")
        }
    }

    func testSmolLM2Q4_1FollowsLlamaCppGreedyPath() throws { try checkContinuations("SmolLM2", architecture: "llama", dtype: .q4_1) }
    func testGemma3FollowsLlamaCppGreedyPath() throws { try checkContinuations("gemma", architecture: "gemma3", dtype: .q5_0) }

    func testGreedyGenerationStreamsTheArgmaxPath() throws {
        let refs = try references()
        guard let ref = refs.models.first(where: { $0.file.hasPrefix("SmolLM2") }), let lm = try load(ref.file) else { return }
        let t = try XCTUnwrap(lm.tokenizer), d = try XCTUnwrap(lm.decoder)
        var sampler = try Sampler()
        let prompt = try t.encode("Anne Elliot was", addSpecial: true)
        let out = try Generator.run(d, prompt: prompt, maxTokens: 12, sampler: &sampler, stopTokens: t.stopIDs)
        // The cached decode picks what a full forward over the whole sequence picks.
        let logits = try d.forward(ids: prompt + out.tokens, cache: d.makeCache())
        for (k, tok) in out.tokens.enumerated() {
            XCTAssertEqual(Sampler.argmax(logits.floats + (prompt.count - 1 + k) * d.spec.vocab, d.spec.vocab), tok, "step \(k)")
        }
        XCTAssertFalse(try t.decode(out.tokens).isEmpty)
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
