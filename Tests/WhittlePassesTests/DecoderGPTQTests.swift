import Foundation
import WhittleData
import WhittleFormats
import WhittleKernels
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// GPTQ and importance matrices on a small random Llama written as a Hugging Face directory:
/// block-by-block calibration must leave every projection in the grid's ggml type and change
/// the logits less than round-to-nearest on the same grid.
final class DecoderGPTQTests: XCTestCase {
    let hidden = 64, ffn = 96, vocab = 96, layers = 2

    /// A random-weight Llama directory of this test's sizes.
    func makeModel() throws -> String { try RandomLlama.write(hidden: hidden, ffn: ffn, vocab: vocab, layers: layers) }

    func tokens(_ n: Int, seed: UInt64) -> [Int] {
        var s = seed
        return (0..<n).map { _ in s = s &* 6364136223846793005 &+ 1442695040888963407; return Int(s >> 33) % vocab }
    }

    func logitsError(_ a: DecoderModel, _ b: DecoderModel, _ seqs: [[Int]]) throws -> Double {
        var e = 0.0
        for ids in seqs {
            let x = try a.forward(ids: ids, cache: a.makeCache()), y = try b.forward(ids: ids, cache: b.makeCache())
            for i in 0..<x.count { let d = Double(x.floats[i] - y.floats[i]); e += d * d }
        }
        return e
    }

    func testGPTQBeatsRoundToNearestAndWritesBlocks() throws {
        let dir = try makeModel()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let gptq = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let rtn = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let calib = try DecoderCalibration.windows(tokens(64 * 24, seed: 1), ctx: 64, count: 24, seed: 3)
        let grid = try XCTUnwrap(QuantGrids.grid(named: "q4_0"))
        let rows = try DecoderCompression.gptq(gptq, windows: calib, grid: grid, options: GPTQ.Options(), log: { _ in })
        XCTAssertEqual(rows.count, layers * 7)
        for b in 0..<rtn.blockCount {
            for group in rtn.blockProjections(b) {
                for (_, p) in group {
                    let w = try p.weight.value.checkedF32()
                    let q = try Tensor(zeros: w.shape, dtype: .q4_0)
                    try GGMLCodec.quantize(.q4_0, w.floats, q.storage.bytes, count: w.count, rowLength: w.shape[1])
                    p.weight.value = q
                }
            }
            for group in gptq.blockProjections(b) { for (name, p) in group { XCTAssertEqual(p.weight.value.dtype, .q4_0, name) } }
        }
        let held = (0..<6).map { tokens(64, seed: 100 + UInt64($0)) }
        let eG = try logitsError(base, gptq, held), eR = try logitsError(base, rtn, held)
        XCTAssertLessThan(eG, 0.85 * eR, "gptq \(eG) vs rtn \(eR)")
    }

    /// quantize.gptq{format="q4_1_zp"}: Q4_1 blocks with integer zero points, which compressed-tensors
    /// holds as asymmetric pack-quantized int4 (weight_zero_point, symmetric=false) and which load
    /// back as the same Q4_1 bytes, hence the same logits.
    func testIntegerZeroGPTQExportsAsAsymmetricCompressedTensorsAndLoadsBackExactly() throws {
        let dir = try makeModel()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lm = try LanguageModelLoader.load(path: dir)
        let calib = try TokenWindows(tokens: tokens(64 * 8, seed: 1), ctx: 64, count: 8, seed: 3, source: "test")
        let report = try PassRegistry(BuiltinPasses.all()).run("quantize.gptq", on: lm, options: ["format": .string("q4_1_zp"), "data": .windows(calib)])
        XCTAssertEqual(report.rows.count, layers * 7)
        let projections = lm.module.parameters().filter { $0.name.hasSuffix("_proj.weight") }
        XCTAssertEqual(projections.count, layers * 7)
        for (name, p) in projections { XCTAssertEqual(p.value.dtype, .q4_1, name) }
        let out = NSTemporaryDirectory() + "whittle-asym-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var o = HFExport.Options()
        o.compressedTensors = true
        try HFExport.save(lm, to: out, options: o, provenance: [])
        let st = try SafetensorsFile.open(out + "/model.safetensors")
        let zp = try XCTUnwrap(st.entry(named: "model.layers.0.mlp.gate_proj.weight_zero_point"))
        XCTAssertEqual(zp.dtype, .i32)
        XCTAssertEqual(zp.shape, [ffn / 8, hidden / 32], "zero points packed 8 rows per int32")
        XCTAssertEqual(st.entry(named: "model.layers.0.mlp.gate_proj.weight_packed")?.shape, [ffn, hidden / 8])
        XCTAssertEqual(st.entry(named: "model.layers.0.mlp.gate_proj.weight_scale")?.shape, [ffn, hidden / 32])
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json"))) as? [String: Any])
        let q = try XCTUnwrap(config["quantization_config"] as? [String: Any])
        XCTAssertEqual(q["format"] as? String, "pack-quantized")
        let groups = try XCTUnwrap(q["config_groups"] as? [String: [String: Any]])
        XCTAssertEqual(groups.count, 1)
        let weights = try XCTUnwrap(groups["group_0"]?["weights"] as? [String: Any])
        XCTAssertEqual(weights["symmetric"] as? Bool, false)
        XCTAssertEqual(weights["num_bits"] as? Int, 4)
        XCTAssertEqual(weights["group_size"] as? Int, 32)
        let back = try LanguageModelLoader.load(path: out)
        let mine = Dictionary(uniqueKeysWithValues: lm.module.parameters().map { ($0.name, $0.parameter.value) })
        for (name, p) in back.module.parameters() where name.hasSuffix("_proj.weight") {
            let a = try XCTUnwrap(mine[name]), b = p.value
            XCTAssertEqual(b.dtype, .q4_1, name)
            XCTAssertEqual(Data(bytes: b.storage.bytes, count: b.byteCount), Data(bytes: a.storage.bytes, count: a.byteCount), name)
        }
        let held = (0..<2).map { tokens(32, seed: 200 + UInt64($0)) }
        for ids in held { XCTAssertEqual(try back.logits(ids).toArray(), try lm.logits(ids).toArray()) }
    }

    func testImatrixNamesAndCountsAndRefusals() throws {
        let dir = try makeModel()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lm = try LanguageModelLoader.load(path: dir)
        let d = try XCTUnwrap(lm.decoder)
        let windows = [tokens(16, seed: 5), tokens(16, seed: 6)]
        let im = try DecoderCompression.imatrix(d, architecture: "llama", windows: windows, log: { _ in })
        XCTAssertEqual(im.names.count, layers * 7)
        XCTAssertEqual(im.entries["blk.0.attn_q.weight"]?.counts, [32])
        XCTAssertEqual(im.entries["blk.1.ffn_down.weight"]?.columns, ffn)
        XCTAssertTrue(im.means(of: "blk.0.attn_k.weight")!.allSatisfy { $0 > 0 })
        // Too little text for the windows asked: an error before anything runs.
        XCTAssertThrowsError(try DecoderCalibration.windows(tokens(100, seed: 1), ctx: 64, count: 2, seed: 1)) { e in
            XCTAssertTrue("\(e)".contains("holds 1 windows of 64 tokens, 2 were asked for"), "\(e)")
        }
    }
}
