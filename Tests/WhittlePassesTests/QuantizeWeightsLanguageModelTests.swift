import CZlib
import Foundation
import WhittleFormats
import WhittleKernels
import WhittleNN
import WhittlePasses
import XCTest

/// `quantize.weights` on a loaded language model does llama-quantize's job in memory: on SmolLM2
/// (dequantized to F32), Q4_K_M with the imatrix gives every tensor llama-quantize's type and bytes.
final class QuantizeWeightsLanguageModelTests: XCTestCase {
    func testInMemoryMixtureMatchesLlamaQuantizeBytes() throws {
        let model = LlamaQuantizeParityTests.modelPath
        guard FileManager.default.fileExists(atPath: model) else {
            return XCTFail("test model missing: run Scripts/models/fetch.sh (looked for \(model))")
        }
        let fixtures = LlamaQuantizeParityTests.fixtures
        let expected = try JSONDecoder().decode(LlamaQuantizeParityTests.Expected.self, from: Data(contentsOf: fixtures.appendingPathComponent("expected.json")))
        let sums = try XCTUnwrap(expected.tensors["q4_k_m_imatrix"])
        let f32 = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-qwlm-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: f32) }
        var base = GGUFQuantizer.Request(rules: LlamaTensorRules.Options(fileType: .f32))
        base.allowRequantize = true
        try GGUFQuantizer.quantize(try GGUFFile.open(model), to: f32, base)

        let lm = try LanguageModelLoader.load(path: f32)
        let registry = PassRegistry(BuiltinPasses.all())
        XCTAssertThrowsError(try registry.run("quantize.weights", on: lm, options: ["type": .string("Q4_K_M"), "tensor_type": .table(["ffn_down": .string("q9_9")])])) { e in
            XCTAssertTrue("\(e)".contains("unknown or unsupported tensor type 'q9_9'"), "\(e)")
        }
        let report = try registry.run("quantize.weights", on: lm, options: [
            "type": .string("Q4_K_M"), "imatrix": .string(fixtures.appendingPathComponent("smollm2.imatrix.gguf").path),
        ])
        XCTAssertTrue(report.rows.contains { $0.values.contains { $0.0 == "fallback" } }, "576-wide rows fall back from K-quants")
        var mismatches: [String] = []
        for (hf, p) in lm.module.parameters() {
            let name = GGUFTensorNames.gguf(fromHF: hf, architecture: lm.architecture)
            guard let e = sums[name] else { mismatches.append("\(name): not in llama-quantize's output"); continue }
            let t = p.value
            let crc = UInt32(crc32(0, t.storage.bytes.assumingMemoryBound(to: UInt8.self), uInt(t.byteCount)))
            if t.dtype.description.uppercased() != e.type || t.byteCount != e.bytes || crc != e.crc32 {
                mismatches.append("\(name): \(t.dtype) \(t.byteCount) bytes vs llama.cpp \(e.type) \(e.bytes)" + (crc != e.crc32 ? " (bytes differ)" : ""))
            }
        }
        XCTAssertEqual(mismatches, [])
        XCTAssertEqual(lm.module.parameters().count, sums.count)

        // targets: only the embeddings change; a glob matching nothing is an error.
        XCTAssertThrowsError(try registry.run("quantize.weights", on: lm, options: ["type": .string("F16"), "targets": .strings(["nothing.*"])])) { e in
            XCTAssertTrue("\(e)".contains("no tensor matches nothing.*"), "\(e)")
        }
        let q = try XCTUnwrap(lm.module.parameter(named: "model.layers.3.mlp.up_proj.weight")).value
        try registry.run("quantize.weights", on: lm, options: ["type": .string("F16"), "targets": .strings(["model.embed_tokens.weight"]),
                                                              "allow_requantize": .bool(true)])
        XCTAssertEqual(try XCTUnwrap(lm.module.parameter(named: "model.embed_tokens.weight")).value.dtype.description, "f16")
        XCTAssertTrue(try XCTUnwrap(lm.module.parameter(named: "model.layers.3.mlp.up_proj.weight")).value === q)
    }
}
