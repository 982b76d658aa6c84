import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class PruningGradualTests: XCTestCase {
    func testCubicScheduleValues() {
        let s = { (t: Int) in GradualPrunePass.sparsity(step: t, rampSteps: 100, initial: 0.1, final: 0.9) }
        XCTAssertEqual(s(0), 0.1, accuracy: 1e-12)
        XCTAssertEqual(s(50), 0.9 - 0.8 * 0.125, accuracy: 1e-12)
        XCTAssertEqual(s(25), 0.9 - 0.8 * 0.421875, accuracy: 1e-12)
        XCTAssertEqual(s(100), 0.9, accuracy: 1e-12)
        XCTAssertEqual(s(250), 0.9, accuracy: 1e-12)
        XCTAssertEqual(GradualPrunePass.sparsity(step: 50, rampSteps: 100, initial: 0, final: 0.8, cubic: false), 0.4, accuracy: 1e-12)
    }

    func testReachesTheFinalSparsityAndKeepsLearning() throws {
        let m = try PruneFixtures.mlp([16, 32, 4])
        let data = try PruneFixtures.blobs(n: 256)
        let report = try PruneFixtures.run("prune.gradual", m, [
            "data": .dataset(data), "final": .number(0.8), "epochs": .integer(4), "frequency": .integer(4),
            "lr": .number(0.05), "batch": .integer(32), "verbose": .bool(false),
        ])
        for name in ["0.weight", "2.weight"] {
            let p = m.parameter(named: name)!
            XCTAssertEqual(PruneFixtures.zeros(p.value), Int((0.8 * Double(p.count)).rounded()), name)
        }
        // 32 steps, ramp over 24: updates at t = 4, 8, ..., 24 plus the initial one.
        XCTAssertEqual(report.summary.first { $0.0 == "mask updates" }.map { "\($0.1)" }, "7")
        XCTAssertGreaterThan(try evaluate(m, data).accuracy, 0.9)
    }

    func testErrors() throws {
        let m = try PruneFixtures.mlp([16, 8, 4])
        let data = try PruneFixtures.blobs(n: 32)
        XCTAssertEqual(PruneFixtures.message {
            try PruneFixtures.run("prune.gradual", m, ["data": .dataset(data), "final": .number(0.5), "initial": .number(0.6), "epochs": .integer(1)])
        }, "prune.gradual: 'initial' (0.6) must not exceed 'final' (0.5)")
        XCTAssertEqual(PruneFixtures.message {
            try PruneFixtures.run("prune.gradual", m, ["data": .dataset(data), "final": .number(0.5), "epochs": .integer(1), "schedule": .string("exp")])
        }, "prune.gradual: 'schedule' must be one of \"cubic\", \"linear\", got \"exp\"")
        XCTAssertTrue(PruneFixtures.message { try PruneFixtures.run("prune.gradual", m, ["final": .number(0.5), "epochs": .integer(1)]) }
            .hasPrefix("prune.gradual: missing option 'data'"))
    }
}
