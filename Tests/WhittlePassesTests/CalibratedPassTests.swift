import Foundation
import WhittleData
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// quantize.gptq / prune.sparsegpt through the registry on a trained MLP: each must change the
/// model's outputs less than its round-to-nearest / magnitude counterpart at the same size.
final class CalibratedPassTests: XCTestCase {
    private let registry = QuantFixtures.registry()

    private func trained() throws -> (Model, Dataset, Dataset) {
        let data = try QuantFixtures.blobs(n: 800, features: 64, classes: 6, seed: 21)
        let m = try QuantFixtures.mlp([64, 96, 64, 6], seed: 8)
        try QuantFixtures.fit(m, data, epochs: 6)
        return (m, try data.take(512), data)
    }

    /// Mean squared difference of the two models' outputs over `data`.
    private func outputMSE(_ a: Model, _ b: Model, _ data: Dataset) throws -> Double {
        a.setTraining(false); b.setTraining(false)
        var s = 0.0, n = 0
        for (x, _) in try data.batches(size: 200, shuffle: false, seed: 0) {
            let ya = try a.forward(x), yb = try b.forward(x)
            for i in 0..<ya.count { let d = Double(ya.floats[i] - yb.floats[i]); s += d * d }
            n += ya.count
        }
        return s / Double(max(n, 1))
    }

    func testGPTQChangesOutputsLessThanRoundToNearest() throws {
        let (base, calib, data) = try trained()
        let rtn = try base.clone(), gptq = try base.clone()
        _ = try registry.run("quantize.weights", on: rtn, options: ["format": .string("q4_0")])
        let report = try registry.run("quantize.gptq", on: gptq, options: ["format": .string("q4_0"), "calibration": .dataset(calib)])
        XCTAssertEqual(report.rows.map(\.target), ["0.weight", "2.weight", "4.weight"])
        XCTAssertEqual(gptq.encodedParameters().map(\.encoding.format), ["q4_0", "q4_0", "q4_0"])
        // Same storage as round-to-nearest: 4.5 bits per weight.
        XCTAssertEqual(gptq.encodedParameters().map(\.encoding.byteCount), rtn.encodedParameters().map(\.encoding.byteCount))
        let eG = try outputMSE(base, gptq, data), eR = try outputMSE(base, rtn, data)
        XCTAssertLessThan(eG, 0.8 * eR, "gptq \(eG) vs rtn \(eR)")
        // The encoded model saves and reloads to the same outputs.
        let path = QuantFixtures.tempPath("gptq.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try gptq.save(to: path)
        XCTAssertEqual(try outputMSE(gptq, try Model.load(path), data), 0)
    }

    func testSparseGPTChangesOutputsLessThanMagnitude() throws {
        let (base, calib, data) = try trained()
        let mag = try base.clone(), sgpt = try base.clone()
        _ = try registry.run("prune.magnitude", on: mag, options: ["sparsity": .number(0.5)])
        let report = try registry.run("prune.sparsegpt", on: sgpt, options: ["sparsity": .number(0.5), "calibration": .dataset(calib)])
        for row in report.rows {
            guard case .number(let s)? = row.values.first(where: { $0.0 == "sparsity" })?.1 else { return XCTFail("no sparsity") }
            XCTAssertEqual(s, 0.5, accuracy: 0.01, row.target)
        }
        let eS = try outputMSE(base, sgpt, data), eM = try outputMSE(base, mag, data)
        XCTAssertLessThan(eS, 0.7 * eM, "sparsegpt \(eS) vs magnitude \(eM)")
        let nm = try base.clone()
        _ = try registry.run("prune.sparsegpt", on: nm, options: ["n": .integer(2), "m": .integer(4), "calibration": .dataset(calib)])
        XCTAssertNotNil(nm.parameter(named: "2.weight")?.mask)
    }

    func testErrorsBeforeAnyWeightChanges() throws {
        let (base, _, _) = try trained()
        let before = base.parameter(named: "0.weight")!.value.toArray()
        QuantFixtures.assertError("quantize.gptq: needs calibration data ('calibration' or the data argument)") {
            _ = try registry.run("quantize.gptq", on: base, options: [:])
        }
        QuantFixtures.assertError("prune.sparsegpt: give both 'n' and 'm' for an N:M pattern") {
            _ = try registry.run("prune.sparsegpt", on: base, options: ["n": .integer(2), "calibration": .dataset(try QuantFixtures.blobs(n: 8, features: 64))])
        }
        XCTAssertEqual(base.parameter(named: "0.weight")!.value.toArray(), before)
    }
}
