import CZlib
import Foundation
import WhittleFormats
import WhittleKernels
import WhittlePasses
import XCTest

/// `GGUFQuantizer` against llama.cpp's own llama-quantize on SmolLM2-135M-Instruct (dequantized
/// to F32 from the shipped Q4_1): every tensor must get the same type and the same bytes, for
/// plain, imatrix, mixture (Q4_K_M) and --pure runs. Expected types and CRC-32s come from
/// Scripts/fixtures/make_llama_quantize_fixtures.py; the model from Scripts/models/fetch.sh.
final class LlamaQuantizeParityTests: XCTestCase {
    struct Expected: Decodable {
        struct Config: Decodable { let name: String; let type: String; let imatrix: Bool; let args: [String] }
        struct TensorSum: Decodable { let type: String; let crc32: UInt32; let bytes: Int }
        let configs: [Config]
        let tensors: [String: [String: TensorSum]]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/llama_quantize")

    static var modelPath: String {
        let cache = ProcessInfo.processInfo.environment["WHITTLE_CACHE"] ?? (NSHomeDirectory() + "/.cache/whittle")
        return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    func compare(_ path: String, _ expected: [String: Expected.TensorSum], config: String) throws {
        let f = try GGUFFile.open(path)
        XCTAssertEqual(Set(f.tensorInfos.map(\.name)), Set(expected.keys), config)
        var mismatches: [String] = []
        for info in f.tensorInfos {
            guard let e = expected[info.name] else { continue }
            let raw = f.rawBytes(of: info)
            let crc = UInt32(crc32(0, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), uInt(raw.count)))
            if info.type.upperName != e.type || raw.count != e.bytes || crc != e.crc32 {
                mismatches.append("\(info.name): \(info.type.upperName) \(raw.count) bytes vs llama.cpp \(e.type) \(e.bytes) bytes" + (crc != e.crc32 ? " (bytes differ)" : ""))
            }
        }
        XCTAssertEqual(mismatches, [], "\(config): \(mismatches.count) tensors differ from llama-quantize")
    }

    func testEveryTensorMatchesLlamaQuantize() throws {
        guard FileManager.default.fileExists(atPath: Self.modelPath) else {
            return XCTFail("test model missing: run Scripts/models/fetch.sh (looked for \(Self.modelPath))")
        }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("expected.json")))
        let imatrix = try ImportanceMatrix.load(Self.fixtures.appendingPathComponent("smollm2.imatrix.gguf").path)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-lq-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let f32 = tmp.appendingPathComponent("f32.gguf").path
        var base = GGUFQuantizer.Request(rules: LlamaTensorRules.Options(fileType: .f32))
        base.allowRequantize = true
        try GGUFQuantizer.quantize(try GGUFFile.open(Self.modelPath), to: f32, base)
        try compare(f32, try XCTUnwrap(expected.tensors["f32"]), config: "f32")
        let f32File = try GGUFFile.open(f32)
        for c in expected.configs where c.name != "f32" {
            var r = GGUFQuantizer.Request(rules: LlamaTensorRules.Options(fileType: try XCTUnwrap(LlamaFileType(name: c.type))))
            r.rules.pure = c.args.contains("--pure")
            if c.imatrix { r.imatrix = imatrix; r.rules.hasImatrix = true }
            let out = tmp.appendingPathComponent(c.name + ".gguf").path
            let report = try GGUFQuantizer.quantize(f32File, to: out, r)
            try compare(out, try XCTUnwrap(expected.tensors[c.name]), config: c.name)
            // SmolLM2's 576-wide rows cannot hold K-quants: every such fallback is reported.
            if c.name == "q4_k_m_imatrix" { XCTAssertFalse(report.fallbacks.isEmpty) }
            try? FileManager.default.removeItem(atPath: out)
        }
    }

    func testRefusalsComeBeforeAnyWrite() throws {
        guard FileManager.default.fileExists(atPath: Self.modelPath) else {
            return XCTFail("test model missing: run Scripts/models/fetch.sh (looked for \(Self.modelPath))")
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-lq-refuse-\(getpid()).gguf").path
        let r = GGUFQuantizer.Request(rules: LlamaTensorRules.Options(fileType: .q8_0))
        XCTAssertThrowsError(try GGUFQuantizer.quantize(try GGUFFile.open(Self.modelPath), to: out, r)) { e in
            XCTAssertTrue("\(e)".contains("--allow-requantize"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testMixtureRulesOnNames() {
        // llama.cpp's order: tensors outside blocks first, then by block number, then by name.
        XCTAssertEqual(LlamaTensorRules.order(["blk.10.attn_v.weight", "output_norm.weight", "blk.2.ffn_down.weight", "blk.2.attn_k.weight", "token_embd.weight"]),
                       ["output_norm.weight", "token_embd.weight", "blk.2.attn_k.weight", "blk.2.ffn_down.weight", "blk.10.attn_v.weight"])
        let names = (0..<8).flatMap { ["blk.\($0).attn_v.weight", "blk.\($0).ffn_down.weight"] } + ["token_embd.weight", "output.weight"]
        var rules = LlamaTensorRules(model: .init(arch: "llama", layers: 8, heads: 8, kvHeads: 2, experts: 0),
                                     options: .init(fileType: .q4_K_M), tensorNames: names)
        // use_more_bits(i, 8): layers 0, 7 and (i - 1) % 3 == 2 -> 0, 3, 6, 7 get Q6_K.
        let v = (0..<8).map { rules.choose(name: "blk.\($0).attn_v.weight", dims: 2, rowLength: 512, current: .f32).type }
        XCTAssertEqual(v, [.q6_K, .q4_K, .q4_K, .q6_K, .q4_K, .q4_K, .q6_K, .q6_K])
        XCTAssertEqual(rules.choose(name: "output.weight", dims: 2, rowLength: 512, current: .f32).type, .q6_K)
        XCTAssertEqual(rules.choose(name: "blk.0.attn_norm.weight", dims: 1, rowLength: 512, current: .f32).type, .f32)
        let fb = rules.choose(name: "blk.1.attn_q.weight", dims: 2, rowLength: 576, current: .f32)
        XCTAssertEqual(fb.type, .q5_0)
        XCTAssertNotNil(fb.fallback)
    }
}
