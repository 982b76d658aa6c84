import WhittleNN
import WhittlePasses
import WhittleTensor
import WhittleFormats
import XCTest

final class SharingTieTests: XCTestCase {
    func testTiesSameShapedWeightsAndTrainsThemTogether() throws {
        let m = try ShareFixtures.mlp([6, 6, 6, 6, 3])
        let w0 = try XCTUnwrap(m.parameter(named: "0.weight")).value.clone(), w2 = try XCTUnwrap(m.parameter(named: "2.weight")).value.clone()
        let data = try ShareFixtures.blobs(n: 60, features: 6)
        let report = try ShareFixtures.registry().run("share.tie", on: m, options: [
            "targets": .strings(["*.weight"]), "data": .dataset(data), "finetune": .table(["epochs": .integer(2), "lr": .number(0.01)])])
        XCTAssertEqual(report.rows.map(\.target), ["0.weight", "2.weight", "4.weight"], "the 3x6 output weight has no partner")
        let a = try XCTUnwrap(m.parameter(named: "0.weight")), b = try XCTUnwrap(m.parameter(named: "2.weight")), c = try XCTUnwrap(m.parameter(named: "4.weight"))
        XCTAssertTrue(a === b && b === c)
        XCTAssertFalse(a === m.parameter(named: "6.weight"))
        // Mean initialisation then training: the shared value moved away from the mean.
        let mean = (0..<w0.count).map { i in (w0.floats[i] + w2.floats[i] + m.parameter(named: "4.weight")!.value.floats[i]) / 3 }
        XCTAssertGreaterThan(zip(a.value.toArray(), mean).reduce(0) { max($0, abs($1.0 - $1.1)) }, 0)
        XCTAssertEqual(report.summary.first { $0.0 == "params_saved" }.map { "\($0.1)" }, "72")
    }

    func testMeanInitAndErrors() throws {
        let m = try ShareFixtures.mlp([4, 4, 4])
        let w0 = m.parameter(named: "0.weight")!.value.toArray(), w2 = m.parameter(named: "2.weight")!.value.toArray()
        _ = try ShareFixtures.registry().run("share.tie", on: m, options: ["targets": .strings(["0.weight", "2.weight"])])
        for (i, v) in m.parameter(named: "0.weight")!.value.toArray().enumerated() { XCTAssertEqual(v, (w0[i] + w2[i]) / 2, accuracy: 1e-6) }
        let n = try ShareFixtures.mlp([4, 5, 3])
        XCTAssertThrowsError(try ShareFixtures.registry().run("share.tie", on: n, options: ["targets": .string("*.weight")])) {
            XCTAssertTrue(String(describing: $0).hasPrefix("share.tie: no two targeted tensors have the same shape"))
        }
        XCTAssertThrowsError(try ShareFixtures.registry().run("share.tie", on: n, options: [:])) {
            XCTAssertTrue(String(describing: $0).hasPrefix("share.tie: missing option 'targets'"))
        }
    }

    func testTiedModelIsSavedOnceAndReloadsTied() throws {
        let m = try ShareFixtures.mlp([8, 8, 8, 3])
        let untiedPath = ShareFixtures.tempPath(self, "untied.safetensors"), path = ShareFixtures.tempPath(self, "tied.safetensors")
        try m.save(to: untiedPath)
        _ = try ShareFixtures.registry().run("share.tie", on: m, options: ["targets": .strings(["0.weight", "2.weight"])])
        let c = try m.clone()
        XCTAssertTrue(c.parameter(named: "0.weight") === c.parameter(named: "2.weight"), "clone keeps the tie")
        XCTAssertFalse(c.parameter(named: "0.weight") === m.parameter(named: "0.weight"))
        try m.save(to: path)
        // Tensor bytes (the header also carries the provenance, which grows with the passes run).
        let size = { (p: String) in try SafetensorsFile.open(p).entries.reduce(0) { $0 + $1.byteCount } }
        XCTAssertEqual(try size(untiedPath) - size(path), 8 * 8 * 4, "the tied 8x8 weight is stored once")
        let back = try Model.load(path)
        XCTAssertTrue(back.parameter(named: "0.weight") === back.parameter(named: "2.weight"))
        let x = try ShareFixtures.blobs(n: 5, features: 8).images
        XCTAssertEqual(try back.forward(x).toArray(), try m.forward(x).toArray())
    }
}
