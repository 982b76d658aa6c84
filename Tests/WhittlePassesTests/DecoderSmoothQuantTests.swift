import Foundation
import WhittleData
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// SmoothQuant on a small random Llama: smoothing alone keeps the logits, W8A8 (int8 weights,
/// per-token int8 activations on the int8 kernels) stays close to f32, and bad options fail
/// before any weight changes.
final class DecoderSmoothQuantTests: XCTestCase {
    let hidden = 64, ffn = 96, vocab = 96

    func model() throws -> LanguageModel {
        try LanguageModelLoader.load(path: try RandomLlama.write(hidden: hidden, ffn: ffn, vocab: vocab, layers: 2))
    }

    func calib(_ lm: LanguageModel) throws -> TokenWindows {
        let ids = (0..<(64 * 8)).map { ($0 * 37 + 11) % lm.vocabSize }
        return try TokenWindows(tokens: ids, ctx: 64, count: 8, seed: 3, source: "test")
    }

    let held = [[1, 5, 9, 13, 40, 2, 77, 31, 8, 60, 3, 3, 90, 14], [7, 7, 20, 55, 81, 12, 0, 95]]

    func logits(_ lm: LanguageModel) throws -> [[Float]] {
        try held.map { let t = try lm.logits($0); return Array(UnsafeBufferPointer(start: t.floats, count: t.count)) }
    }

    func testSmoothingAloneKeepsTheLogits() throws {
        let lm = try model()
        let before = try logits(lm)
        let q = try XCTUnwrap(lm.module.parameter(named: "model.layers.0.self_attn.q_proj.weight")?.value)
        _ = try PassRegistry(BuiltinPasses.all()).run("quantize.smoothquant", on: lm, options: ["data": .windows(try calib(lm)), "w8a8": .bool(false)])
        let q2 = try XCTUnwrap(lm.module.parameter(named: "model.layers.0.self_attn.q_proj.weight")?.value)
        XCTAssertFalse(q === q2, "the weights were smoothed")
        XCTAssertEqual(q2.dtype, .f32)
        let after = try logits(lm)
        for (x, y) in zip(before, after) { for (u, v) in zip(x, y) { XCTAssertEqual(u, v, accuracy: 1e-4 * max(1, abs(u))) } }
    }

    func testW8A8RunsInt8AndStaysCloseToF32() throws {
        let lm = try model()
        let before = try logits(lm)
        let report = try PassRegistry(BuiltinPasses.all()).run("quantize.smoothquant", on: lm, options: ["data": .windows(try calib(lm)), "alpha": .number(0.5)])
        XCTAssertEqual(report.rows.count, 14)
        let w = try XCTUnwrap(lm.module.parameter(named: "model.layers.1.mlp.down_proj.weight")?.value)
        XCTAssertEqual(w.dtype, .i8)
        let s = try XCTUnwrap(lm.module.parameter(named: "model.layers.1.mlp.down_proj.weight_scale")?.value)
        XCTAssertEqual(s.shape, [hidden])
        let after = try logits(lm)
        var err = 0.0, ref = 0.0
        for (x, y) in zip(before, after) { for (u, v) in zip(x, y) { err += Double((u - v) * (u - v)); ref += Double(u * u) } }
        XCTAssertGreaterThan(err, 0)
        XCTAssertLessThan((err / ref).squareRoot(), 0.03, "relative logit error")
        // Top-1 agrees almost everywhere.
        var agree = 0, total = 0
        for (x, y) in zip(before, after) {
            for r in 0..<(x.count / vocab) {
                let a = x[(r * vocab)..<((r + 1) * vocab)], b = y[(r * vocab)..<((r + 1) * vocab)]
                if a.firstIndex(of: a.max()!) == b.firstIndex(of: b.max()!) { agree += 1 }
                total += 1
            }
        }
        XCTAssertGreaterThanOrEqual(Double(agree) / Double(total), 0.9)
        // Plain W8A8 (no smoothing) needs no calibration data.
        let plain = try model()
        _ = try PassRegistry(BuiltinPasses.all()).run("quantize.smoothquant", on: plain, options: ["smooth": .bool(false)])
        XCTAssertEqual(try XCTUnwrap(plain.module.parameter(named: "model.layers.0.self_attn.q_proj.weight")?.value).dtype, .i8)
    }

    func testBadOptionsFailBeforeAnyWeightChanges() throws {
        let lm = try model()
        let registry = PassRegistry(BuiltinPasses.all())
        let before = lm.module.parameters().map { $0.parameter.value }
        XCTAssertThrowsError(try registry.run("quantize.smoothquant", on: lm, options: ["data": .windows(try calib(lm)), "alpha": .number(1.5)])) { e in
            XCTAssertTrue("\(e)".contains("alpha"), "\(e)")
        }
        XCTAssertThrowsError(try registry.run("quantize.smoothquant", on: lm, options: ["alpha": .number(0.5)])) { e in
            XCTAssertTrue("\(e)".contains("missing calibration data"), "\(e)")
        }
        XCTAssertThrowsError(try registry.run("quantize.smoothquant", on: lm, options: ["smooth": .bool(false), "w8a8": .bool(false)])) { e in
            XCTAssertTrue("\(e)".contains("nothing to do"), "\(e)")
        }
        for (p, v) in zip(lm.module.parameters(), before) { XCTAssertTrue(p.parameter.value === v, p.name) }
    }
}
