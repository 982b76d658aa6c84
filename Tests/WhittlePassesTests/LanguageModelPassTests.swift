import Foundation
import WhittleData
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// The language-model side of the pass registry: options checked against the LM schema,
/// calibration windows required, and a pass that fails part-way leaves every weight as it was.
final class LanguageModelPassTests: XCTestCase {
    /// Replaces one projection's weight, then fails: the registry must put the old tensor back.
    final class FailingHalfway: LanguageModelPass {
        let name = "test.fail_halfway"
        let doc = "Rewrites a weight, then fails."
        let source = PassSource.builtin
        let params: [PassParam] = []
        var languageModelParams: [PassParam] { [calibrationParam] }
        var languageModelOnly: Bool { true }
        func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport { throw PassError.languageModelOnly(pass: name) }
        func apply(to lm: LanguageModel, options: PassOptions, context: PassContext) throws -> PassReport {
            let p = try XCTUnwrap(lm.module.parameter(named: "model.layers.0.self_attn.q_proj.weight"))
            p.value = try Tensor(zeros: p.value.shape)
            throw PassError.failed(pass: name, message: "stopped on purpose")
        }
    }

    func model() throws -> LanguageModel {
        try LanguageModelLoader.load(path: try RandomLlama.write(hidden: 64, ffn: 96, vocab: 96, layers: 2))
    }

    func windows(_ lm: LanguageModel) throws -> TokenWindows {
        let ids = (0..<256).map { ($0 * 37 + 11) % lm.vocabSize }
        return try TokenWindows(tokens: ids, ctx: 32, count: 4, seed: 3, source: "test")
    }

    func testFailedPassRestoresEveryWeight() throws {
        let lm = try model()
        let registry = PassRegistry([FailingHalfway()])
        let before = try lm.logits([1, 2, 3, 4])
        XCTAssertThrowsError(try registry.run("test.fail_halfway", on: lm, options: [:])) { e in
            XCTAssertTrue(String(describing: e).contains("stopped on purpose"), "\(e)")
        }
        let after = try lm.logits([1, 2, 3, 4])
        XCTAssertEqual(Array(UnsafeBufferPointer(start: before.floats, count: before.count)),
                       Array(UnsafeBufferPointer(start: after.floats, count: after.count)))
        XCTAssertThrowsError(try registry.run("test.fail_halfway", on: Model([]), options: [:])) { e in
            XCTAssertTrue(String(describing: e).contains("language models only"), "\(e)")
        }
    }

    func testGPTQRunsOnALanguageModelThroughTheRegistry() throws {
        let lm = try model()
        let registry = PassRegistry(BuiltinPasses.all())
        XCTAssertThrowsError(try registry.run("quantize.gptq", on: lm, options: [:])) { e in
            XCTAssertTrue(String(describing: e).contains("missing calibration data"), "\(e)")
        }
        XCTAssertThrowsError(try registry.run("quantize.gptq", on: lm, options: ["data": .windows(try windows(lm)), "samples": .integer(3)])) { e in
            XCTAssertTrue(String(describing: e).contains("unknown option 'samples'"), "\(e)")
        }
        XCTAssertThrowsError(try registry.run("prune.structured", on: lm, options: ["amount": .number(0.5)])) { e in
            XCTAssertTrue(String(describing: e).contains("passes for language models: "), "\(e)")
        }
        let report = try registry.run("quantize.gptq", on: lm, options: ["data": .windows(try windows(lm)), "format": .string("q8_0")])
        XCTAssertEqual(report.rows.count, 14)
        let q = try XCTUnwrap(lm.module.parameter(named: "model.layers.1.mlp.down_proj.weight"))
        XCTAssertEqual(q.value.dtype.description, "q8_0")
    }

    func testWindowsAreSeededAndChecked() throws {
        let ids = Array(0..<1000)
        let a = try TokenWindows(tokens: ids, ctx: 100, count: 4, seed: 7, source: "t")
        let b = try TokenWindows(tokens: ids, ctx: 100, count: 4, seed: 7, source: "t")
        let c = try TokenWindows(tokens: ids, ctx: 100, count: 4, seed: 8, source: "t")
        XCTAssertEqual(a.windows, b.windows)
        XCTAssertNotEqual(a.windows, c.windows)
        XCTAssertTrue(a.windows.allSatisfy { $0.count == 100 && $0[0] % 100 == 0 })
        XCTAssertEqual(Set(a.windows.map { $0[0] }).count, 4, "windows do not overlap")
        XCTAssertThrowsError(try TokenWindows(tokens: ids, ctx: 100, count: 11, seed: 1, source: "t")) { e in
            XCTAssertEqual(String(describing: e), "calibration: the text holds 10 windows of 100 tokens, 11 were asked for")
        }
    }
}
