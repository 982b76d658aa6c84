import Foundation
import WhittleFormats
import WhittleNN
import WhittleTensor
import XCTest

/// Tiny random-weight checkpoints of each architecture against the numpy reference forward
/// in Scripts/fixtures/make_lm_fixtures.py (logits for a few token ids).
final class LMForwardTests: XCTestCase {
    private func checkDecoder(_ name: String, dtype: DType, line: UInt = #line) throws {
        let lm = try LanguageModelLoader.load(directory: lmFixture(name))
        let expected = try lmExpected(name)
        let ids = integers(expected["ids"])
        let logits = try lm.logits(ids)
        XCTAssertEqual(logits.shape, [ids.count, lm.vocabSize], line: line)
        assertClose(logits.toArray(), numbers(expected["logits"]), "\(name) logits", line: line)
        // Weights stay in their stored type, borrowed from the mapped file, with no gradient.
        let q = try XCTUnwrap(lm.module.parameter(named: "model.layers.0.self_attn.q_proj.weight"), line: line)
        XCTAssertEqual(q.value.dtype, dtype, line: line)
        XCTAssertTrue(q.value.storage.isReadOnly, "\(name): weight should borrow the mapping", line: line)
        XCTAssertFalse(q.hasGradient, line: line)
    }

    func testLlamaShardedF32MatchesReference() throws { try checkDecoder("llama", dtype: .f32) }
    func testLlamaBF16TiedMatchesReference() throws { try checkDecoder("llama_bf16", dtype: .bf16) }
    func testQwen2F16WithBiasesMatchesReference() throws { try checkDecoder("qwen2", dtype: .f16) }
    func testQwen3QKNormMatchesReference() throws { try checkDecoder("qwen3", dtype: .f32) }
    func testGemma3SlidingWindowMatchesReference() throws { try checkDecoder("gemma3", dtype: .f32) }

    func testModulePathsAreTheCheckpointNames() throws {
        for name in ["llama", "qwen2", "gemma3", "bert"] {
            let ckpt = try HFCheckpoint(directory: lmFixture(name))
            let lm = try LanguageModelLoader.load(directory: lmFixture(name))
            let paths = Set(lm.module.parameters().map(\.name))
            XCTAssertEqual(paths, Set(ckpt.tensorNames), name)
        }
    }

    func testIncrementalDecodeMatchesPrefill() throws {
        for name in ["llama", "gemma3", "qwen3"] {
            let lm = try LanguageModelLoader.load(directory: lmFixture(name))
            let d = try XCTUnwrap(lm.decoder)
            let ids = integers(try lmExpected(name)["ids"])
            let full = try d.forward(ids: ids, cache: d.makeCache()).toArray()
            let cache = d.makeCache()
            var rows = try d.forward(ids: Array(ids[0..<4]), cache: cache).toArray()
            for id in ids[4...] { rows += try d.forward(ids: [id], cache: cache, lastOnly: true).toArray() }
            XCTAssertEqual(cache.length, ids.count)
            assertClose(rows, full, rtol: 1e-5, atol: 1e-5, "\(name) cached decode")
        }
    }

    /// A prompt of 40 tokens runs attention as GEMMs per head and query block (AttentionCore.attendBatched);
    /// one token at a time takes the row-by-row loop. Both must give the same logits.
    func testBatchedPrefillAttentionMatchesTokenByToken() throws {
        for name in ["llama", "gemma3", "qwen3"] {
            let lm = try LanguageModelLoader.load(directory: lmFixture(name))
            let d = try XCTUnwrap(lm.decoder)
            let ids = (0..<40).map { ($0 * 37 + 11) % d.spec.vocab }
            let full = try d.forward(ids: ids, cache: d.makeCache()).toArray()
            let cache = d.makeCache()
            var rows: [Float] = []
            for id in ids { rows += try d.forward(ids: [id], cache: cache, lastOnly: true).toArray() }
            assertClose(rows, full, rtol: 1e-4, atol: 1e-5, "\(name) batched prefill vs token by token")
            // A second batch after a cached prefix (keys from position 20 on, a query block not at 0).
            let split = d.makeCache()
            _ = try d.forward(ids: Array(ids[0..<20]), cache: split)
            let tail = try d.forward(ids: Array(ids[20...]), cache: split).toArray()
            assertClose(tail, Array(full[(20 * d.spec.vocab)...]), rtol: 1e-4, atol: 1e-5, "\(name) batch after a cached prefix")
        }
    }

    func testBertEmbeddingsMatchReference() throws {
        let lm = try LanguageModelLoader.load(directory: lmFixture("bert"))
        let expected = try lmExpected("bert")
        let seqs = (expected["sequences"] as? [Any] ?? []).map(integers)
        let out = try lm.embed(seqs)
        XCTAssertEqual(out.shape, [seqs.count, 32])
        let want = (expected["embeddings"] as? [Any] ?? []).flatMap(numbers)
        assertClose(out.toArray(), want, "bert embeddings")
    }

    func testMiniLMEmbeddingsMatchNumpyBert() throws {
        let dir = (ProcessInfo.processInfo.environment["WHITTLE_CACHE"] ?? NSHomeDirectory() + "/.cache/whittle") + "/models/all-MiniLM-L6-v2"
        guard FileManager.default.fileExists(atPath: dir + "/model.safetensors") else {
            return XCTFail("all-MiniLM-L6-v2 is not in the model cache: run Scripts/models/fetch.sh (Scripts/setup.sh does)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: lmFixture("minilm.json")))
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let seqs = (expected["sequences"] as? [Any] ?? []).map(integers)
        let want = (expected["embeddings"] as? [Any] ?? []).map(numbers)
        let lm = try LanguageModelLoader.load(directory: dir)
        let out = try lm.embed(seqs)
        for (i, w) in want.enumerated() {
            let got = Array(out.toArray()[(i * 384)..<((i + 1) * 384)])
            var dot: Float = 0, na: Float = 0, nb: Float = 0
            for j in 0..<384 { dot += got[j] * w[j]; na += got[j] * got[j]; nb += w[j] * w[j] }
            XCTAssertGreaterThanOrEqual(dot / (na * nb).squareRoot(), 0.9999, "sentence \(i)")
        }
    }
}
