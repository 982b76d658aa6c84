import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class SensitivityTests: XCTestCase {
    func testPrunesEachLayerAloneAndRestoresTheModel() throws {
        let m = try PruneFixtures.mlp([16, 24, 4])
        let data = try PruneFixtures.blobs(n: 200)
        var o = TrainOptions()
        o.epochs = 3; o.learningRate = 0.05; o.batchSize = 20; o.verbose = false
        try train(m, data, o)
        let before = m.parameters().map { $0.parameter.value.toArray() }
        let r = try Sensitivity.analyze(m, data, levels: [0, 0.5, 0.99])
        XCTAssertEqual(r.rows.map(\.target), ["0.weight", "2.weight"])
        XCTAssertEqual(r.rows[0].accuracy[0], r.baseline, "level 0 prunes nothing")
        // Pruning one layer by hand at 99% gives the table's figure.
        let copy = try m.clone()
        try MagnitudePruner.prune(copy.parameter(named: "2.weight")!, sparsity: 0.99)
        XCTAssertEqual(r.rows[1].accuracy[2], try evaluate(copy, data).accuracy)
        XCTAssertLessThan(r.rows[1].accuracy[2], r.baseline)
        XCTAssertEqual(m.parameters().map { $0.parameter.value.toArray() }, before)
        XCTAssertNil(m.parameter(named: "0.weight")!.mask)
        XCTAssertTrue(r.description.contains("99%"))
    }

    func testChartHasOneLinePerLayerAxesAndLegend() throws {
        let r = SensitivityResult(baseline: 0.98, levels: [0.5, 0.9], rows: [("fc1.weight", [0.97, 0.6]), ("fc<2>.weight", [0.98, 0.9])])
        let svg = r.svg()
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 4)
        for label in [">sparsity<", ">accuracy<", ">fc1.weight<", ">fc&lt;2&gt;.weight<", ">40%<", ">100%<", ">60%<"] {
            XCTAssertTrue(svg.contains(label), label)
        }
    }

    func testErrors() throws {
        let m = try PruneFixtures.mlp([16, 4])
        let data = try PruneFixtures.blobs(n: 8)
        XCTAssertEqual(PruneFixtures.message { _ = try Sensitivity.analyze(m, data, levels: [0.5, 1]) },
                       "sensitivity: 'levels' entries must be in [0, 1), got 1")
        XCTAssertEqual(PruneFixtures.message { _ = try Sensitivity.analyze(m, data, levels: []) },
                       "sensitivity: 'levels' must hold at least one sparsity")
        XCTAssertEqual(PruneFixtures.message { _ = try Sensitivity.analyze(m, data, levels: [0.5], targets: ["conv*"]) },
                       "sensitivity: target 'conv*' matches no parameter (parameters: 0.weight, 0.bias)")
    }
}
