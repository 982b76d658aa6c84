import Foundation
import WhittleFormats
import WhittleKernels
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// quantize.mix: the knapsack, the candidate fallbacks, and a plan on a small random Llama that must
/// meet its bit budget and beat a uniform Q4_0 (same 4.5 bits per weight) on KL divergence.
final class MixTests: XCTestCase {
    let hidden = 256, ffn = 512, vocab = 128, layers = 2

    func testAllocationMatchesBruteForceOnSmallProblems() throws {
        var s: UInt64 = 5
        func rnd() -> Double { s = s &* 6364136223846793005 &+ 1442695040888963407; return Double(s >> 11) / Double(1 << 53) }
        for _ in 0..<20 {
            // Three tensors of different sizes, three options each with convex cost curves.
            let sizes = [1.0, 2.0, 3.0]
            let items: [MixAllocation.Options] = sizes.map { n in
                let scale = 0.1 + rnd()
                return [4.0, 5.0, 8.0].map { b in (bits: b * n, cost: scale * pow(2, -b)) }
            }
            let budget = 5.0 * 6
            let pick = try MixAllocation.allocate(items, budget: budget)
            let used = zip(items, pick).reduce(0.0) { $0 + $1.0[$1.1].bits }
            XCTAssertLessThanOrEqual(used, budget + 1e-9)
            var best = Double.infinity
            for a in 0..<3 { for b in 0..<3 { for c in 0..<3 {
                let bits = items[0][a].bits + items[1][b].bits + items[2][c].bits
                if bits <= budget { best = min(best, items[0][a].cost + items[1][b].cost + items[2][c].cost) }
            } } }
            let got = zip(items, pick).reduce(0.0) { $0 + $1.0[$1.1].cost }
            // Greedy by marginal gain is within the last partial step of the optimum.
            XCTAssertLessThanOrEqual(got, best * 1.6 + 1e-12)
        }
        XCTAssertThrowsError(try MixAllocation.allocate([[(bits: 10, cost: 1)]], budget: 5)) { e in
            XCTAssertTrue("\(e)".contains("budget"), "\(e)")
        }
    }

    func testCandidatesFollowLlamaCppFallbacks() throws {
        let types = try MixCandidates.parse(["q3_K", "iq4_xs", "q4_0", "q4_K", "q6_K", "q8_0"])
        // SmolLM2's 576-wide rows: the 256-block types fall back as llama-quantize does.
        XCTAssertEqual(MixCandidates.options(types, rowLength: 576), [.q4_0, .iq4_nl, .q5_0, .q8_0])
        XCTAssertEqual(MixCandidates.options(types, rowLength: 1536), [.q3_K, .iq4_xs, .q4_0, .q4_K, .q6_K, .q8_0])
        XCTAssertEqual(MixCandidates.bitsPerWeight(.q4_0), 4.5)
        XCTAssertThrowsError(try MixCandidates.parse(["q4_0", "q9_9"])) { XCTAssertTrue("\($0)".contains("q9_9")) }
        XCTAssertThrowsError(try MixCandidates.parse(["iq2_xxs"])) { XCTAssertTrue("\($0)".contains("iq2_xxs")) }
        XCTAssertThrowsError(try MixCandidates.parse([]))
    }

    /// A random Llama (Hugging Face directory) whose 256/512-wide rows admit the K-quants; one layer's
    /// v_proj is made much more sensitive so that a good mix must treat tensors differently.
    /// A random Llama whose second block's v_proj is 6x louder than the rest (the sensitive tensor).
    func makeModel() throws -> String {
        try RandomLlama.write(hidden: hidden, ffn: ffn, vocab: vocab, layers: layers, seed: 77, maxPositions: 256, headScale: 0.3) { l, n in
            l == 1 && n == "self_attn.v_proj" ? 6 : 1
        }
    }

    func tokens(_ n: Int, seed: UInt64) -> [Int] {
        var s = seed
        return (0..<n).map { _ in s = s &* 6364136223846793005 &+ 1442695040888963407; return Int(s >> 33) % vocab }
    }

    /// Mean KL(base‖model) over held-out windows, llama.cpp's way.
    func kld(_ base: DecoderModel, _ model: DecoderModel, _ windows: [[Int]]) throws -> Double {
        var stats = DivergenceStats()
        for w in windows {
            let ref = try Divergence.baseLogProbs(base, window: w)
            try Divergence.accumulate(model, window: w, targets: w, base: ref, into: &stats)
        }
        return stats.meanKLD
    }

    func uniform(_ d: DecoderModel, _ type: GGMLType) throws {
        for b in 0..<d.blockCount {
            for g in d.blockProjections(b) {
                for (_, p) in g {
                    let w = try p.weight.value.checkedF32()
                    let q = try Tensor(zeros: w.shape, dtype: try XCTUnwrap(DType(ggml: type)))
                    try GGMLCodec.quantize(type, w.floats, q.storage.bytes, count: w.count, rowLength: w.shape[1])
                    p.weight.value = q
                }
            }
        }
    }

    func testMixMeetsTheBudgetAndBeatsUniformQ4_0() throws {
        let dir = try makeModel()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let mixed = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let q4 = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let calib = try DecoderCalibration.windows(tokens(64 * 16, seed: 1), ctx: 64, count: 12, seed: 2)
        let held = try DecoderCalibration.windows(tokens(64 * 8, seed: 9), ctx: 64, count: 6, seed: 3)
        var o = LanguageModelMix.Options()
        o.candidates = try MixCandidates.parse(["q2_K", "q3_K", "q4_0", "q5_0", "q6_K", "q8_0"])
        o.importance = false
        o.klWindows = 3
        let plan = try LanguageModelMix.plan(mixed, windows: calib, options: o, log: { _ in })
        XCTAssertEqual(plan.entries.count, layers * 7)
        XCTAssertLessThanOrEqual(plan.bpw, 4.5 + 1e-9)
        XCTAssertGreaterThan(plan.bpw, 4.2, "the budget is nearly spent")
        XCTAssertGreaterThan(plan.typeCounts.count, 1, "a mix, not one type:\n\(plan.description)")
        XCTAssertTrue(plan.entries.allSatisfy { $0.measuredKL != nil })
        for c in plan.typeCounts { XCTAssertTrue(plan.summary.contains("  " + c.type.upperName + " "), plan.summary) }
        XCTAssertTrue(plan.description.contains("model.layers.1.self_attn.v_proj "), plan.description)
        // Within a tensor, more bits never measure a larger output error by much.
        for e in plan.entries {
            let first = try XCTUnwrap(e.candidates.first), last = try XCTUnwrap(e.candidates.last)
            XCTAssertLessThan(last.error, first.error, e.name)
        }
        // The sensitive v_proj gets more bits than the average.
        let v = try XCTUnwrap(plan.entries.first { $0.name == "model.layers.1.self_attn.v_proj" })
        XCTAssertGreaterThan(v.choice.bpw, 4.5, plan.description)
        try LanguageModelMix.apply(plan, to: mixed, options: o)
        for e in plan.entries {
            let p = try XCTUnwrap(mixed.blockProjections(e.block).joined().first { $0.name == e.name }?.projection)
            XCTAssertEqual(p.weight.value.dtype, DType(ggml: e.choice.type), e.name)
        }
        try uniform(q4, .q4_0)
        let kMix = try kld(base, mixed, held), kQ4 = try kld(base, q4, held)
        print(plan.description)
        print(String(format: "held-out KLD: mix %.5f, uniform Q4_0 %.5f", kMix, kQ4))
        XCTAssertLessThan(kMix, kQ4)
    }

    func testImpossibleBudgetIsAnErrorBeforeAnyChange() throws {
        let dir = try makeModel()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let before = d.blockProjections(0)[0][0].projection.weight.value
        var o = LanguageModelMix.Options()
        o.candidates = try MixCandidates.parse(["q4_0", "q8_0"])
        o.bpw = 3
        o.klWindows = 0
        let calib = try DecoderCalibration.windows(tokens(64 * 4, seed: 1), ctx: 64, count: 2, seed: 2)
        XCTAssertThrowsError(try LanguageModelMix.plan(d, windows: calib, options: o, log: { _ in })) { e in
            XCTAssertTrue("\(e)".contains("budget"), "\(e)")
        }
        XCTAssertTrue(d.blockProjections(0)[0][0].projection.weight.value === before)
        o.bpw = 4.5
        o.klWindows = 5
        XCTAssertThrowsError(try LanguageModelMix.plan(d, windows: calib, options: o, log: { _ in })) { e in
            XCTAssertTrue("\(e)".contains("kl_windows"), "\(e)")
        }
    }
}
