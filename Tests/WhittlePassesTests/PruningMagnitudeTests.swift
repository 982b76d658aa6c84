import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class PruningMagnitudeTests: XCTestCase {
    func testLayerScopeReachesExactSparsityPerWeightAndLeavesBiases() throws {
        let m = try PruneFixtures.mlp([20, 30, 10])
        let report = try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.7)])
        for (name, p) in m.parameters() {
            if name.hasSuffix(".weight") {
                XCTAssertEqual(PruneFixtures.zeros(p.value), Int((0.7 * Double(p.count)).rounded()), name)
                XCTAssertNotNil(p.mask)
            } else {
                XCTAssertEqual(PruneFixtures.zeros(p.value), 0, name)
                XCTAssertNil(p.mask)
            }
        }
        XCTAssertEqual(report.rows.map(\.target), ["0.weight", "2.weight"])
    }

    func testLayerScopePrunesTheSmallestMagnitudes() throws {
        let m = try PruneFixtures.mlp([12, 8, 4])
        let before = m.parameter(named: "0.weight")!.value.clone()
        try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.5), "targets": .string("0.weight")])
        let after = m.parameter(named: "0.weight")!.value
        let pruned = (0..<before.count).filter { after.floats[$0] == 0 }.map { abs(before.floats[$0]) }
        let kept = (0..<before.count).filter { after.floats[$0] != 0 }.map { abs(before.floats[$0]) }
        XCTAssertEqual(pruned.count, 48)
        XCTAssertLessThanOrEqual(pruned.max()!, kept.min()!)
        for i in 0..<before.count where after.floats[i] != 0 { XCTAssertEqual(after.floats[i], before.floats[i]) }
        XCTAssertEqual(PruneFixtures.zeros(m.parameter(named: "2.weight")!.value), 0)
    }

    func testGlobalScopePoolsTheTargets() throws {
        let m = try PruneFixtures.mlp([16, 16, 4])
        // Scale the second layer up so a global threshold prunes it less than the first.
        let w2 = m.parameter(named: "2.weight")!.value
        for i in 0..<w2.count { w2.floats[i] *= 10 }
        let w1 = m.parameter(named: "0.weight")!.value.clone(), w2c = w2.clone()
        try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.6), "scope": .string("global")])
        let a1 = m.parameter(named: "0.weight")!.value, a2 = m.parameter(named: "2.weight")!.value
        let total = w1.count + w2c.count
        XCTAssertEqual(PruneFixtures.zeros(a1) + PruneFixtures.zeros(a2), Int((0.6 * Double(total)).rounded()))
        let pruned = (0..<w1.count).filter { a1.floats[$0] == 0 }.map { abs(w1.floats[$0]) } + (0..<w2c.count).filter { a2.floats[$0] == 0 }.map { abs(w2c.floats[$0]) }
        let kept = (0..<w1.count).filter { a1.floats[$0] != 0 }.map { abs(w1.floats[$0]) } + (0..<w2c.count).filter { a2.floats[$0] != 0 }.map { abs(w2c.floats[$0]) }
        XCTAssertLessThanOrEqual(pruned.max()!, kept.min()!)
        XCTAssertGreaterThan(Double(PruneFixtures.zeros(a1)) / Double(a1.count), Double(PruneFixtures.zeros(a2)) / Double(a2.count))
    }

    func testTiesBreakByPosition() throws {
        let p = try Parameter(try Tensor(shape: [2, 5], values: [Float](repeating: 0.5, count: 10)))
        try MagnitudePruner.prune(p, sparsity: 0.3)
        XCTAssertEqual(p.value.toArray(), [0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
        // A higher sparsity keeps the earlier choice and extends it.
        try MagnitudePruner.prune(p, sparsity: 0.5)
        XCTAssertEqual(p.value.toArray(), [0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5])
    }

    func testMasksKeepPrunedWeightsZeroThroughTraining() throws {
        let m = try PruneFixtures.mlp([16, 24, 4])
        try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.8)])
        let w = m.parameter(named: "0.weight")!
        let zeroSet = (0..<w.count).filter { w.value.floats[$0] == 0 }
        let before = w.value.clone()
        var o = TrainOptions()
        o.epochs = 2; o.learningRate = 0.1; o.momentum = 0.9; o.batchSize = 16; o.verbose = false
        try train(m, try PruneFixtures.blobs(n: 128), o)
        XCTAssertEqual(zeroSet.filter { w.value.floats[$0] != 0 }, [])
        XCTAssertGreaterThan(PruneFixtures.maxDiff(before, w.value), 1e-3, "training moved the kept weights")
    }

    func testPrunedModelSavesAndLoadsWithTheSameZeros() throws {
        let m = try PruneFixtures.mlp([10, 6, 3])
        try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.5)])
        let path = NSTemporaryDirectory() + "prune-mag-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path)
        let back = try Model.load(path)
        XCTAssertEqual(back.parameter(named: "0.weight")!.value.toArray(), m.parameter(named: "0.weight")!.value.toArray())
    }

    func testOptionErrorsNameThePassAndLeaveTheModelUnchanged() throws {
        let m = try PruneFixtures.mlp([6, 4, 2])
        let before = m.parameter(named: "0.weight")!.value.clone()
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(1.5)]) },
                       "prune.magnitude: 'sparsity' must be in [0, 1), got 1.5")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.magnitude", m, [:]) }.hasPrefix("prune.magnitude: missing option 'sparsity'"), true)
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.5), "scope": .string("all")]) },
                       "prune.magnitude: 'scope' must be one of \"layer\", \"global\", got \"all\"")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.5), "targets": .string("fc*")]) },
                       "prune.magnitude: target 'fc*' matches no parameter (parameters: 0.weight, 0.bias, 2.weight, 2.bias)")
        XCTAssertEqual(PruneFixtures.message {
            try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.5), "scope": .string("global"),
                                                         "overrides": .table(["0.weight": .table(["sparsity": .number(0.1)])])])
        }, "prune.magnitude: 'overrides' needs scope \"layer\" (a global threshold has no per-layer sparsity)")
        XCTAssertEqual(m.parameter(named: "0.weight")!.value.toArray(), before.toArray())
        XCTAssertNil(m.parameter(named: "0.weight")!.mask)
    }

    func testOverridesSetASparsityPerTarget() throws {
        let m = try PruneFixtures.mlp([10, 10, 5])
        try PruneFixtures.run("prune.magnitude", m, ["sparsity": .number(0.5), "overrides": .table(["2.*": .table(["sparsity": .number(0.2)])])])
        XCTAssertEqual(PruneFixtures.zeros(m.parameter(named: "0.weight")!.value), 50)
        XCTAssertEqual(PruneFixtures.zeros(m.parameter(named: "2.weight")!.value), 10)
    }
}
