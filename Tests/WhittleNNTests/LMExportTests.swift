import Foundation
import WhittleFormats
import WhittleKernels
import WhittleNN
import WhittleTensor
import XCTest

/// lm:save's formats on the tiny random fixtures: GGUF (llama.cpp names, Llama q/k rows permuted
/// and back), Hugging Face directories plain and in compressed-tensors form; each export loads back
/// with the same weights and logits, and a format that cannot hold a type is refused before writing.
final class LMExportTests: XCTestCase {
    private var scratch: String!
    private let ids = [1, 5, 9, 2, 33, 60, 7, 11, 3]

    override func setUp() {
        scratch = NSTemporaryDirectory() + "whittle-export-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    private func logits(_ lm: LanguageModel) throws -> [Float] { try lm.logits(ids).toArray() }

    private func weights(_ lm: LanguageModel) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: lm.module.parameters().map { ($0.name, $0.parameter.value.toArray()) })
    }

    /// Replaces every projection weight whose rows fit `type`'s blocks with its `type` encoding.
    private func quantize(_ lm: LanguageModel, _ type: GGMLType, where keep: (String) -> Bool = { _ in true }) throws {
        for (name, p) in lm.module.parameters() where name.hasSuffix("_proj.weight") && keep(name) {
            let w = p.value
            guard w.rank == 2, w.shape[1] % type.blockSize == 0, let dtype = DType(ggml: type) else { continue }
            let f = w.toF32()
            let q = try Tensor(zeros: w.shape, dtype: dtype)
            try GGMLCodec.quantize(type, f.floats, q.storage.bytes, count: f.count, rowLength: w.shape[1])
            p.value = q
        }
    }

    func testGGUFFromHuggingFaceLlamaPermutesQKAndLoadsBackWithTheSameLogits() throws {
        let lm = try LanguageModelLoader.load(path: lmFixture("llama_bf16"))
        let out = scratch + "/llama.gguf"
        try GGUFExport.save(lm, to: out, provenance: lm.provenance.metadata(version: "test"))
        let back = try LanguageModelLoader.load(path: out)
        assertClose(try logits(back), try logits(lm), rtol: 1e-4, atol: 1e-4, "GGUF export logits")
        let g = try GGUFFile.open(out)
        XCTAssertEqual(g.string("general.architecture"), "llama")
        XCTAssertNotNil(g.info(named: "blk.1.attn_q.weight"))
        XCTAssertNil(g.info(named: "output.weight"), "tied embeddings write no output tensor")
        XCTAssertEqual(g.info(named: "blk.0.attn_norm.weight")?.type, .f32, "norms are written in f32 as llama.cpp expects")
        // Row 1 of head 0 in llama.cpp's order is Hugging Face's row half (= head_dim / 2).
        let hf = lm.module.parameters().first { $0.name == "model.layers.0.self_attn.q_proj.weight" }!.parameter.value.toArray()
        let gg = try g.tensor(named: "blk.0.attn_q.weight").toArray()
        XCTAssertEqual(Array(gg[32..<64]), Array(hf[(4 * 32)..<(5 * 32)]))
        // And back to a Hugging Face directory: the rows are un-permuted exactly.
        try HFExport.save(back, to: scratch + "/again", options: HFExport.Options(), provenance: [])
        let again = try LanguageModelLoader.load(path: scratch + "/again")
        XCTAssertEqual(weights(again), weights(lm))
    }

    func testHuggingFaceRoundTripForEveryArchitecture() throws {
        for name in ["llama", "qwen2", "qwen3", "gemma3"] {
            let lm = try LanguageModelLoader.load(path: lmFixture(name))
            try HFExport.save(lm, to: scratch + "/" + name + "/", options: HFExport.Options(), provenance: [("whittle.version", "test")])
            let back = try LanguageModelLoader.load(path: scratch + "/" + name)
            XCTAssertEqual(weights(back), weights(lm), name)
            XCTAssertEqual(try logits(back), try logits(lm), name)
        }
        let bert = try LanguageModelLoader.load(path: lmFixture("bert"))
        try HFExport.save(bert, to: scratch + "/bert", options: HFExport.Options(), provenance: [])
        let back = try LanguageModelLoader.load(path: scratch + "/bert")
        XCTAssertEqual(try back.embed([[2, 7, 9, 3]]).toArray(), try bert.embed([[2, 7, 9, 3]]).toArray())
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/bert/tokenizer.json"))
    }

    func testQwenGGUFExportAndGPTQStyleBlockWeightsKeepTheirTypes() throws {
        let lm = try LanguageModelLoader.load(path: lmFixture("qwen3"))
        try quantize(lm, .q4_0)
        let reference = try logits(lm)
        let out = scratch + "/qwen3-q4_0.gguf"
        try GGUFExport.save(lm, to: out, provenance: [])
        let g = try GGUFFile.open(out)
        XCTAssertEqual(g.info(named: "blk.0.attn_q.weight")?.type, .q4_0)
        XCTAssertEqual(g.info(named: "blk.0.ffn_down.weight")?.type, .f32, "48 columns do not fit Q4_0 blocks: left as they were")
        let back = try LanguageModelLoader.load(path: out)
        XCTAssertEqual(try logits(back), reference)
        // Saved again from its GGUF source: the metadata is kept and the file is identical.
        try GGUFExport.save(back, to: scratch + "/again.gguf", provenance: [])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), try Data(contentsOf: URL(fileURLWithPath: scratch + "/again.gguf")))
    }

    func testCompressedTensorsRoundTripIsExact() throws {
        let lm = try LanguageModelLoader.load(path: lmFixture("llama_bf16"))
        try quantize(lm, .q4_0) { !$0.contains("mlp") }
        try quantize(lm, .q8_0) { $0.contains("mlp") }
        let reference = try logits(lm)
        let q = try saveCompressedTensors(lm)
        XCTAssertEqual(q["quant_method"] as? String, "compressed-tensors")
        XCTAssertEqual(q["format"] as? String, "mixed-precision")
        XCTAssertEqual(Set(q["ignore"] as? [String] ?? []), ["model.layers.0.mlp.down_proj", "model.layers.1.mlp.down_proj", "lm_head"])
        let st = try SafetensorsFile.open(scratch + "/ct/model.safetensors")
        XCTAssertEqual(st.entry(named: "model.layers.0.self_attn.q_proj.weight_packed")?.shape, [32, 4])
        XCTAssertEqual(st.entry(named: "model.layers.0.self_attn.q_proj.weight_scale")?.shape, [32, 1])
        XCTAssertEqual(st.entry(named: "model.layers.0.mlp.up_proj.weight")?.dtype, .i8)
        let back = try LanguageModelLoader.load(path: scratch + "/ct")
        XCTAssertEqual(back.module.parameters().first { $0.name == "model.layers.0.self_attn.q_proj.weight" }?.parameter.value.dtype, .q4_0)
        XCTAssertEqual(back.module.parameters().first { $0.name == "model.layers.0.mlp.up_proj.weight" }?.parameter.value.dtype, .q8_0)
        XCTAssertEqual(weights(back), weights(lm))
        XCTAssertEqual(try logits(back), reference)
    }

    /// Saves `lm` as compressed-tensors to scratch/`dir` and returns its config.json's quantization_config.
    @discardableResult
    private func saveCompressedTensors(_ lm: LanguageModel, to dir: String = "ct") throws -> [String: Any] {
        var o = HFExport.Options()
        o.compressedTensors = true
        try HFExport.save(lm, to: scratch + "/" + dir, options: o, provenance: [])
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch + "/" + dir + "/config.json"))) as? [String: Any])
        return try XCTUnwrap(config["quantization_config"] as? [String: Any])
    }

    /// Rewrites every Q4_1 block's minimum as an integer zero point: m = f16(-d·z), z = round(-m/d) in 0...15.
    private func snapToIntegerZeros(_ lm: LanguageModel) {
        for (name, p) in lm.module.parameters() where name.hasSuffix("_proj.weight") && p.value.dtype == .q4_1 {
            let bytes = p.value.storage.bytes
            for b in 0..<(p.value.count / 32) {
                let block = bytes + b * 20
                let d = Float(Float16(bitPattern: block.loadUnaligned(as: UInt16.self)))
                let m = Float(Float16(bitPattern: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
                let z = d == 0 ? 0 : min(15, max(0, (-m / d).rounded()))
                let snapped: UInt16 = z == 0 ? 0 : Float16(-d * z).bitPattern
                block.storeBytes(of: snapped, toByteOffset: 2, as: UInt16.self)
            }
        }
    }

    func testIntegerZeroQ4_1IsAsymmetricPackQuantizedAndLoadsBackAsTheSameBytes() throws {
        let lm = try LanguageModelLoader.load(path: lmFixture("llama_bf16"))
        try quantize(lm, .q4_1) { $0.contains("mlp") }
        snapToIntegerZeros(lm)
        try quantize(lm, .q4_0) { !$0.contains("mlp") }
        let reference = try logits(lm)
        let q = try saveCompressedTensors(lm)
        XCTAssertEqual(q["format"] as? String, "pack-quantized", "symmetric and asymmetric int4 share the format")
        let groups = try XCTUnwrap(q["config_groups"] as? [String: [String: Any]]).values
        let asymmetric = try XCTUnwrap(groups.first { ($0["weights"] as? [String: Any])?["symmetric"] as? Bool == false })
        // down_proj's 48 columns do not fit blocks of 32: it stays bf16 and is ignored.
        XCTAssertEqual(Set(asymmetric["targets"] as? [String] ?? []), Set((0..<2).flatMap { l in ["gate", "up"].map { "model.layers.\(l).mlp.\($0)_proj" } }))
        XCTAssertEqual(groups.count, 2)
        let st = try SafetensorsFile.open(scratch + "/ct/model.safetensors")
        XCTAssertNil(st.entry(named: "model.layers.0.self_attn.q_proj.weight_zero_point"), "symmetric: no zero point")
        XCTAssertEqual(st.entry(named: "model.layers.0.mlp.gate_proj.weight_zero_point")?.shape, [48 / 8, 1], "8 rows per int32")
        XCTAssertEqual(st.entry(named: "model.layers.0.mlp.gate_proj.weight_zero_point")?.dtype, .i32)
        let back = try LanguageModelLoader.load(path: scratch + "/ct")
        let original = Dictionary(uniqueKeysWithValues: lm.module.parameters().map { ($0.name, $0.parameter.value) })
        for (name, p) in back.module.parameters() where name.hasSuffix("_proj.weight") {
            let a = try XCTUnwrap(original[name]), b = p.value
            XCTAssertEqual(b.dtype, a.dtype, name)
            XCTAssertEqual(Data(bytes: b.storage.bytes, count: b.byteCount), Data(bytes: a.storage.bytes, count: a.byteCount), name)
        }
        XCTAssertEqual(try logits(back), reference)
        // Saved again from the loaded directory: the same tensors, byte for byte.
        try saveCompressedTensors(back, to: "again")
        let again = try SafetensorsFile.open(scratch + "/again/model.safetensors")
        for e in st.entries {
            let a = try st.tensor(named: e.name), b = try again.tensor(named: e.name)
            XCTAssertEqual(Data(bytes: b.storage.bytes, count: b.byteCount), Data(bytes: a.storage.bytes, count: a.byteCount), e.name)
        }
    }

    func testAFormatThatCannotHoldATypeNamesItAndWritesNothing() throws {
        let lm = try LanguageModelLoader.load(path: lmFixture("qwen2"))
        try quantize(lm, .q4_1)
        XCTAssertThrowsError(try HFExport.save(lm, to: scratch + "/plain", options: HFExport.Options(), provenance: [])) { e in
            XCTAssertTrue("\(e)".contains("model.layers.0.self_attn.q_proj.weight") && "\(e)".contains("Q4_1"), "\(e)")
        }
        var ct = HFExport.Options()
        ct.compressedTensors = true
        XCTAssertThrowsError(try HFExport.save(lm, to: scratch + "/ct", options: ct, provenance: [])) { e in
            // llama.cpp's Q4_1 minimum is the block's own minimum, not -d·z for an integer z.
            XCTAssertTrue("\(e)".contains("'model.layers.0.self_attn.q_proj.weight' is Q4_1") && "\(e)".contains("not an integer zero point")
                          && "\(e)".contains("format=\"q4_1_zp\""), "\(e)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch)
        XCTAssertEqual(left, [], "nothing is written")
        // dequantize= turns the blocks into a float type instead.
        var d = HFExport.Options()
        d.dequantize = .f32
        try HFExport.save(lm, to: scratch + "/deq", options: d, provenance: [])
        let back = try LanguageModelLoader.load(path: scratch + "/deq")
        XCTAssertEqual(weights(back), weights(lm))
        // An encoder has no GGUF path here.
        let bert = try LanguageModelLoader.load(path: lmFixture("bert"))
        XCTAssertThrowsError(try GGUFExport.save(bert, to: scratch + "/bert.gguf", provenance: []))
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/bert.gguf"))
    }

    func testProvenanceNamesTheSourceWithItsHash() throws {
        let lm = try LanguageModelLoader.load(path: lmFixture("qwen2"))
        lm.provenance.record(pass: "test.pass", options: [("bits", .number("4"))])
        var p = lm.provenance
        p.recipe = "local lm = whittle.lm.load(...)\nlm:save('x.gguf')"
        try GGUFExport.save(lm, to: scratch + "/p.gguf", provenance: p.metadata(version: "9.9"))
        let g = try GGUFFile.open(scratch + "/p.gguf")
        XCTAssertEqual(g.string(Provenance.versionKey), "9.9")
        XCTAssertEqual(g.string(Provenance.recipeKey), p.recipe)
        XCTAssertEqual(g.string(Provenance.passesKey), #"[{"pass":"test.pass","options":{"bits":4}}]"#)
        let source = try XCTUnwrap(g.string(Provenance.sourceKey))
        XCTAssertTrue(source.contains(#""name":"qwen2""#), source)
        XCTAssertTrue(source.contains(try SHA256.hex(ofFile: lmFixture("qwen2") + "/model.safetensors")), source)
        let report = ProvenanceReport.render(ProvenanceReport.strings(g.metadata))
        XCTAssertTrue(report.contains("1. test.pass bits=4") && report.contains("| lm:save('x.gguf')"), report)
    }

    func testReadsAndRewritesTheNumpyCompressedTensorsFixture() throws {
        // Made by Scripts/fixtures/check_compressed_tensors.py from the format's rules: attention
        // symmetric int4, gate/up asymmetric int4 (zero points), down int8, all in groups of 32.
        let lm = try LanguageModelLoader.load(path: lmFixture("llama_ct"))
        let expected = try SafetensorsFile.open(lmFixture("llama_ct_expected.safetensors"))
        let mine = weights(lm)
        XCTAssertEqual(Set(mine.keys), Set(expected.entries.map(\.name)))
        let types = Dictionary(uniqueKeysWithValues: lm.module.parameters().map { ($0.name, $0.parameter.value.dtype) })
        XCTAssertEqual(types["model.layers.0.self_attn.q_proj.weight"], .q4_0)
        XCTAssertEqual(types["model.layers.0.mlp.gate_proj.weight"], .q4_1)
        XCTAssertEqual(types["model.layers.0.mlp.up_proj.weight"], .q4_1)
        XCTAssertEqual(types["model.layers.0.mlp.down_proj.weight"], .q8_0)
        for e in expected.entries where !e.name.hasSuffix("mlp.up_proj.weight") {
            XCTAssertEqual(mine[e.name], try expected.tensor(named: e.name).toArray(), e.name)
        }
        // up_proj's scales use all 11 bits of f16, so Q4_1's m = f16(-scale·z) is rounded, by at most
        // 2^-11·scale·z (scales are below 0.03, z at most 15), from the format's scale·(q - zero point).
        let up = try XCTUnwrap(mine["model.layers.0.mlp.up_proj.weight"])
        let upExpected = try expected.tensor(named: "model.layers.0.mlp.up_proj.weight").toArray()
        XCTAssertEqual(up.count, upExpected.count)
        for (a, b) in zip(up, upExpected) { XCTAssertEqual(a, b, accuracy: 0.03 * 15 / 2048) }
        XCTAssertNotEqual(up, upExpected, "rounded m: not bit-equal (else the fixture does not test it)")
        var o = HFExport.Options()
        o.compressedTensors = true
        try HFExport.save(lm, to: scratch + "/ct", options: o, provenance: [])
        let original = try SafetensorsFile.open(lmFixture("llama_ct") + "/model.safetensors")
        let written = try SafetensorsFile.open(scratch + "/ct/model.safetensors")
        XCTAssertEqual(Set(written.entries.map(\.name)), Set(original.entries.map(\.name)))
        for e in original.entries {
            let a = try original.tensor(named: e.name), b = try written.tensor(named: e.name)
            XCTAssertEqual(b.dtype, a.dtype, e.name)
            XCTAssertEqual(b.shape, a.shape, e.name)
            XCTAssertEqual(Data(bytes: b.storage.bytes, count: b.byteCount), Data(bytes: a.storage.bytes, count: a.byteCount), e.name)
        }
    }
}
