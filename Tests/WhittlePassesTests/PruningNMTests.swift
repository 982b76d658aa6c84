import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class PruningNMTests: XCTestCase {
    func testTwoOfFourKeepsTheTwoLargestOfEveryGroup() throws {
        let m = try PruneFixtures.mlp([16, 8, 4])
        let w = m.parameter(named: "0.weight")!
        let before = w.value.clone()
        try PruneFixtures.run("prune.nm", m, [:])
        XCTAssertTrue(NMPruner.satisfies(w.value, n: 2, m: 4))
        XCTAssertEqual(PruneFixtures.zeros(w.value), 64)
        for g in 0..<(8 * 16 / 4) {
            let idx = (0..<4).map { g * 4 + $0 }
            let top = idx.sorted { abs(before.floats[$0]) > abs(before.floats[$1]) }.prefix(2)
            for i in idx { XCTAssertEqual(w.value.floats[i], top.contains(i) ? before.floats[i] : 0) }
        }
    }

    func testOtherPatternsAndConvWeightsWithAPartialGroup() throws {
        let m = try PruneFixtures.convNet(channels: 4)
        try PruneFixtures.run("prune.nm", m, ["n": .integer(1), "m": .integer(4)])
        let conv = m.parameter(named: "0.weight")!.value
        // 9 taps per filter: groups 0-3, 4-7 keep one each, the trailing group of 1 keeps it.
        XCTAssertTrue(NMPruner.satisfies(conv, n: 1, m: 4))
        XCTAssertEqual(PruneFixtures.zeros(conv), 4 * 6)
        XCTAssertFalse(NMPruner.satisfies(try Tensor(shape: [1, 4], values: [1, 2, 0, 3]), n: 2, m: 4))
    }

    func testPatternSurvivesTraining() throws {
        let m = try PruneFixtures.mlp([16, 12, 4])
        try PruneFixtures.run("prune.nm", m, [:])
        var o = TrainOptions()
        o.epochs = 1; o.learningRate = 0.1; o.batchSize = 16; o.verbose = false
        try train(m, try PruneFixtures.blobs(n: 64), o)
        XCTAssertTrue(NMPruner.satisfies(m.parameter(named: "0.weight")!.value, n: 2, m: 4))
        XCTAssertTrue(NMPruner.satisfies(m.parameter(named: "2.weight")!.value, n: 2, m: 4))
    }

    func testErrors() throws {
        let m = try PruneFixtures.mlp([8, 4, 2])
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.nm", m, ["n": .integer(4), "m": .integer(4)]) },
                       "prune.nm: 'n' must be less than 'm', got n=4, m=4")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.nm", m, ["m": .number(2.5)]) },
                       "prune.nm: 'm' must be an integer, got 2.5")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.nm", m, ["targets": .string("0.bias")]) },
                       "prune.nm: '0.bias' is 1-D; N:M sparsity needs a weight matrix")
        XCTAssertNil(m.parameter(named: "0.weight")!.mask)
    }
}
