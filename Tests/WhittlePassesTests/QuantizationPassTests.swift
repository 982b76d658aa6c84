import Foundation
import WhittleData
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// quantize.weights / quantize.ptq / quantize.qat through the registry.
final class QuantizationPassTests: XCTestCase {
    private let registry = QuantFixtures.registry()

    private func trainedMLP() throws -> (Model, Dataset) {
        let data = try QuantFixtures.blobs(n: 600)
        let m = try QuantFixtures.mlp([16, 32, 4])
        try QuantFixtures.fit(m, data, epochs: 8)
        return (m, data)
    }

    func testWeightsPassEncodesEveryWeightAndReportsSizes() throws {
        let m = try QuantFixtures.convNet()
        let report = try registry.run("quantize.weights", on: m, options: ["format": .string("q4_0")])
        XCTAssertEqual(m.encodedParameters().map(\.name), ["0.weight", "4.weight"])
        XCTAssertEqual(m.encodedParameters().map(\.encoding.format), ["q4_0", "q4_0"])
        XCTAssertNil(m.parameter(named: "0.bias")?.encoding)
        XCTAssertEqual(report.rows.map(\.target), ["0.weight", "4.weight"])
        // 6 rows of 18 padded to 32 -> one block each; 5 rows of 54 padded to 64 -> two blocks each.
        XCTAssertEqual(m.encodedParameters()[0].encoding.byteCount, 6 * 18)
        XCTAssertEqual(m.encodedParameters()[1].encoding.byteCount, 5 * 2 * 18)
        XCTAssertTrue(report.description.contains("bytes_after"))
    }

    func testOptionErrorsNameThePassAndTheOption() throws {
        let m = try QuantFixtures.mlp([16, 32, 4])
        let data = try QuantFixtures.blobs(n: 40)
        let cases: [(String, [String: PassValue], String)] = [
            ("quantize.weights", ["format": .string("q3")], "quantize.weights: 'format' must be one of \"q8_0\", \"q4_0\", \"int4\", \"int8\", got \"q3\""),
            ("quantize.weights", ["format": .string("int4"), "group": .integer(48)], "quantize.weights: 'group' must be 32, 64 or 128, got 48"),
            ("quantize.weights", ["format": .string("q4_0"), "group": .integer(64)], "quantize.weights: 'group' is fixed at 32 for q4_0, got 64"),
            ("quantize.weights", ["format": .string("q8_0"), "per_channel": .bool(false)], "quantize.weights: 'per_channel' and 'symmetric' apply to int8 only, not q8_0"),
            ("quantize.weights", ["targets": .string("fc*")], "quantize.weights: target 'fc*' matches no parameter (parameters: 0.weight, 0.bias, 2.weight, 2.bias)"),
            ("quantize.weights", ["targets": .string("*.bias")], "quantize.weights: targets '*.bias' select no linear or conv2d weight (matched: 0.bias, 2.bias)"),
            ("quantize.ptq", ["bits": .integer(4)], "quantize.ptq: 'bits' must be 8 (use quantize.weights for 4-bit formats), got 4"),
            ("quantize.ptq", ["bias_correction": .bool(true)], "quantize.ptq: 'bias_correction' needs 'calibration' data"),
            ("quantize.ptq", ["activations": .string("static")], "quantize.ptq: 'activations'=\"static\" needs 'calibration' data"),
            ("quantize.ptq", ["observer": .string("kl")], "quantize.ptq: 'observer' must be one of \"minmax\", \"percentile\", \"mse\", got \"kl\""),
            ("quantize.ptq", ["percentile": .number(40)], "quantize.ptq: 'percentile' must be in (50, 100], got 40"),
            ("quantize.ptq", ["calibration": .dataset(data), "data": .dataset(data)], "quantize.ptq: give 'calibration' or 'data', not both"),
            ("quantize.qat", [:], "quantize.qat: missing option 'data' (Training data for the fine-tuning.)"),
            ("quantize.qat", ["data": .dataset(data), "bits": .integer(2)], "quantize.qat: 'bits' must be 4 or 8, got 2"),
            ("quantize.qat", ["data": .dataset(data), "bits": .integer(4), "group": .integer(16)], "quantize.qat: 'group' must be 32, 64 or 128, got 16"),
        ]
        let before = m.parameters().map { $0.parameter.value.toArray() }
        for (pass, opts, message) in cases {
            QuantFixtures.assertError(message) { _ = try registry.run(pass, on: m, options: opts) }
        }
        XCTAssertEqual(m.parameters().map { $0.parameter.value.toArray() }, before)
        XCTAssertTrue(m.encodedParameters().isEmpty)
    }

    func testQuantizingAnEncodedTensorAgainIsAnErrorAndLeavesTheModelAlone() throws {
        let m = try QuantFixtures.mlp([16, 32, 4])
        _ = try registry.run("quantize.weights", on: m, options: ["format": .string("q8_0"), "targets": .string("2.weight")])
        let before = m.parameters().map { $0.parameter.value.toArray() }
        QuantFixtures.assertError("quantize.ptq: '2.weight' is already encoded as q8_0; quantizing an encoded tensor again is not supported (start from the f32 model)") {
            _ = try registry.run("quantize.ptq", on: m, options: [:])
        }
        XCTAssertEqual(m.parameters().map { $0.parameter.value.toArray() }, before)
        XCTAssertEqual(m.encodedParameters().map(\.encoding.format), ["q8_0"])
    }

    func testPrunedWeightsKeepTheirZerosThroughQuantization() throws {
        let m = try QuantFixtures.mlp([16, 32, 4])
        let w = try XCTUnwrap(m.parameter(named: "0.weight"))
        try w.setMask(try Tensor(shape: w.value.shape, values: (0..<w.count).map { $0 % 3 == 0 ? 0 : 1 }))
        for format in ["int8", "q4_0", "int4"] {
            let c = try m.clone()
            var opts: [String: PassValue] = ["format": .string(format)]
            if format == "int8" { opts["symmetric"] = .bool(false) }
            _ = try registry.run("quantize.weights", on: c, options: opts)
            let v = try XCTUnwrap(c.parameter(named: "0.weight")).value
            for i in stride(from: 0, to: v.count, by: 3) { XCTAssertEqual(v.toArray()[i], 0, format) }
        }
    }

    func testPTQKeepsTheAccuracyOfATrainedModelAndRunsStaticInt8() throws {
        let (m, data) = try trainedMLP()
        let base = try evaluate(m, data)
        XCTAssertGreaterThan(base.accuracy, 0.9)
        for observer in ["minmax", "percentile", "mse"] {
            let q = try m.clone()
            let report = try registry.run("quantize.ptq", on: q, options: ["calibration": .dataset(data), "observer": .string(observer), "samples": .integer(200)])
            XCTAssertEqual(report.rows.count, 2)
            let l = try XCTUnwrap(q.layers()[2].module as? Linear)
            XCTAssertNotNil(l.inputQuantization, observer)
            XCTAssertGreaterThanOrEqual(l.inputQuantization?.low ?? -1, 0)  // after a ReLU the range starts at 0
            XCTAssertEqual(q.encodedParameters().map(\.encoding.format), ["int8", "int8"])
            let acc = try evaluate(q, data).accuracy
            XCTAssertGreaterThan(acc, base.accuracy - 0.02, observer)
        }
    }

    func testPTQWithoutDataIsWeightOnlyWithDynamicActivations() throws {
        let (m, data) = try trainedMLP()
        let report = try registry.run("quantize.ptq", on: m, options: ["per_channel": .bool(false), "symmetric": .bool(false)])
        XCTAssertNil((m.layers()[0].module as? Linear)?.inputQuantization)
        XCTAssertTrue(report.summary.contains { $0.0 == "activations" && $0.1.description == "\"dynamic\"" })
        let e = try XCTUnwrap(m.encodedParameters().first?.encoding as? Int8Encoding)
        XCTAssertFalse(e.perChannel)
        XCTAssertFalse(e.symmetric)
        XCTAssertGreaterThan(try evaluate(m, data).accuracy, 0.88)
    }

    func testBiasCorrectionRemovesTheMeanOutputShift() throws {
        let (m, data) = try trainedMLP()
        // A coarse per-tensor weight code on a skewed weight makes a systematic output shift.
        let w0 = try XCTUnwrap(m.parameter(named: "2.weight"))
        for i in 0..<w0.count where i % 7 == 0 { w0.value.floats[i] += 0.9 }
        func meanShift(_ q: Model) throws -> Double {
            let x = try data.take(300).images
            let f = try m.forward(x), y = try q.forward(x)
            var s = [Double](repeating: 0, count: 4)
            for i in 0..<f.count { s[i % 4] += Double(f.floats[i] - y.floats[i]) / 300 }
            return s.map(abs).max() ?? 0
        }
        let plain = try m.clone(), corrected = try m.clone()
        let opts: [String: PassValue] = ["calibration": .dataset(data), "samples": .integer(300), "per_channel": .bool(false)]
        _ = try registry.run("quantize.ptq", on: plain, options: opts)
        var withCorrection = opts
        withCorrection["bias_correction"] = .bool(true)
        let report = try registry.run("quantize.ptq", on: corrected, options: withCorrection)
        XCTAssertTrue(report.rows.allSatisfy { r in r.values.contains { $0.0 == "bias_shift" } })
        let before = try meanShift(plain), after = try meanShift(corrected)
        XCTAssertGreaterThan(before, 1e-3)
        XCTAssertLessThan(after, before / 3)
    }

    func testPTQModelSavesAndLoadsWithIdenticalOutputs() throws {
        let (m, data) = try trainedMLP()
        _ = try registry.run("quantize.ptq", on: m, options: ["calibration": .dataset(data), "samples": .integer(100), "symmetric": .bool(false)])
        let path = QuantFixtures.tempPath("ptq")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path)
        let loaded = try Model.load(path)
        let x = try data.take(50).images
        XCTAssertEqual(try loaded.forward(x).toArray(), try m.forward(x).toArray())
        XCTAssertEqual((loaded.layers()[2].module as? Linear)?.inputQuantization, (m.layers()[2].module as? Linear)?.inputQuantization)
    }

    func testQATFineTunesThroughFakeQuantAndConvertsToInt4() throws {
        let data = try QuantFixtures.blobs(n: 600)
        let m = try QuantFixtures.mlp([16, 8, 4])
        try QuantFixtures.fit(m, data, epochs: 8)
        let ptq = try m.clone(), qat = try m.clone()
        _ = try registry.run("quantize.weights", on: ptq, options: ["format": .string("int4"), "group": .integer(32)])
        let report = try registry.run("quantize.qat", on: qat, options: ["data": .dataset(data), "bits": .integer(4), "epochs": .integer(3), "lr": .number(0.003)])
        XCTAssertEqual(report.rows.count, 2)
        XCTAssertEqual(qat.encodedParameters().map(\.encoding.format), ["int4", "int4"])
        XCTAssertEqual((qat.encodedParameters()[0].encoding as? Int4Encoding)?.group, 32)
        // Fine-tuned through the rounding: the quantized model's loss drops below plain int4 rounding's.
        XCTAssertLessThan(try evaluate(qat, data).loss, try evaluate(ptq, data).loss)
        // The stored weight is exactly the int4 code of the tuned weight: re-encoding the value changes nothing.
        let v = try XCTUnwrap(qat.parameter(named: "0.weight")).value
        XCTAssertEqual(try Int4Encoding.quantize(v, group: 32).decode().toArray(), v.toArray())
        XCTAssertNil((qat.layers()[0].module as? Linear)?.weightTransform)
    }
}
