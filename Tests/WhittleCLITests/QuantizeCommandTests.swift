import Foundation
import XCTest

/// `whittle quantize` end to end on the cached SmolLM2 GGUF: llama-quantize's options, its
/// refusals as exit code 1 with the reason, and a file that reopens with the chosen types.
final class QuantizeCommandTests: XCTestCase {
    var model: String {
        let cache = ProcessInfo.processInfo.environment["WHITTLE_CACHE"] ?? (NSHomeDirectory() + "/.cache/whittle")
        return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    func testQuantizesWithOverridesAndReportsFallbacks() throws {
        guard FileManager.default.fileExists(atPath: model) else { return XCTFail("run Scripts/models/fetch.sh: \(model) is missing") }
        let dir = try CLI.tempDirectory()
        let out = dir + "/q.gguf"
        let r = try CLI.run(["quantize", model, out, "Q4_K_S", "--allow-requantize", "--tensor-type", "ffn_down=q8_0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // 576-wide rows cannot hold Q4_K: llama.cpp's fallback to Q5_0 is named, with the reason.
        XCTAssertTrue(r.stdout.contains("fallback: blk.0.attn_q.weight: row length 576 is not a multiple of 256"), r.stdout)
        XCTAssertTrue(r.stdout.contains("bits per weight"), r.stdout)
        XCTAssertTrue(r.stderr.contains("blk.0.ffn_down.weight [1536 x 576] Q4_1 -> Q8_0"), r.stderr)
        let inspect = try CLI.run(["inspect", out])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("whittle.recipe"), inspect.stdout)
    }

    func testRefusalsExitNonZeroWithTheReason() throws {
        guard FileManager.default.fileExists(atPath: model) else { return XCTFail("run Scripts/models/fetch.sh: \(model) is missing") }
        let dir = try CLI.tempDirectory()
        let cases: [([String], String)] = [
            (["quantize", model, dir + "/a.gguf", "Q4_K_Q"], "unknown type 'Q4_K_Q'"),
            (["quantize", model, dir + "/b.gguf", "Q8_0"], "is already Q4_1; pass --allow-requantize"),
            (["quantize", model, dir + "/c.gguf", "Q8_0", "--tensor-type", "ffn=q9"], "unknown or unsupported tensor type 'q9'"),
            (["quantize", dir + "/missing.gguf", dir + "/d.gguf", "Q8_0"], "missing.gguf"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 1, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}
