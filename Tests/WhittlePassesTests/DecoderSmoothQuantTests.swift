import Foundation
import WhittleData
import WhittleFormats
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

    /// A W8A8 model saved as compressed-tensors (int-quantized, channel strategy, dynamic per-token
    /// int8 activations) loads back as W8A8: the same int8 weights and scales, the same logits. The
    /// model comes from a GGUF, so Llama's q/k rows (and their scales) are un-permuted on the way out.
    /// GGUF, which has no such type, refuses it by name.
    func testW8A8ExportsAsCompressedTensorsAndLoadsBack() throws {
        let scratch = NSTemporaryDirectory() + "w8a8-export-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try GGUFExport.save(try model(), to: scratch + "/m.gguf", provenance: [])
        let lm = try LanguageModelLoader.load(path: scratch + "/m.gguf")
        _ = try PassRegistry(BuiltinPasses.all()).run("quantize.smoothquant", on: lm, options: ["data": .windows(try calib(lm)), "alpha": .number(0.5)])
        let reference = try logits(lm)
        var o = HFExport.Options()
        o.compressedTensors = true
        try HFExport.save(lm, to: scratch + "/ct", options: o, provenance: [])
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch + "/ct/config.json"))) as? [String: Any])
        let q = try XCTUnwrap(config["quantization_config"] as? [String: Any])
        XCTAssertEqual(q["format"] as? String, "int-quantized")
        let group = try XCTUnwrap((q["config_groups"] as? [String: Any])?["group_0"] as? [String: Any])
        XCTAssertEqual((group["weights"] as? [String: Any])?["strategy"] as? String, "channel")
        XCTAssertEqual((group["input_activations"] as? [String: Any])?["strategy"] as? String, "token")
        XCTAssertEqual((group["input_activations"] as? [String: Any])?["dynamic"] as? Bool, true)
        let st = try SafetensorsFile.open(scratch + "/ct/model.safetensors")
        XCTAssertEqual(st.entry(named: "model.layers.0.self_attn.q_proj.weight")?.dtype, .i8)
        XCTAssertEqual(st.entry(named: "model.layers.0.self_attn.q_proj.weight_scale")?.shape, [hidden, 1])
        let back = try LanguageModelLoader.load(path: scratch + "/ct")
        for name in ["model.layers.1.mlp.down_proj.weight", "model.layers.1.mlp.down_proj.weight_scale"] {
            let a = try XCTUnwrap(lm.module.parameter(named: name)?.value), b = try XCTUnwrap(back.module.parameter(named: name)?.value)
            XCTAssertEqual(b.dtype, a.dtype, name)
            XCTAssertEqual(Data(bytes: b.storage.bytes, count: b.byteCount), Data(bytes: a.storage.bytes, count: a.byteCount), name)
        }
        // The HF model rotates q/k in the other pair order (rows un-permuted), so its attention sums
        // in another order: close, not bit-identical.
        for (x, y) in zip(try logits(back), reference) { for (u, v) in zip(x, y) { XCTAssertEqual(u, v, accuracy: 1e-3 * max(1, abs(v))) } }
        XCTAssertThrowsError(try GGUFExport.save(lm, to: scratch + "/w8a8.gguf", provenance: [])) { e in
            XCTAssertTrue("\(e)".contains("q_proj.weight"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/w8a8.gguf"))
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
