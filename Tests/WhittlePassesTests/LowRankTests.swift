import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class LowRankTests: XCTestCase {
    /// `count` orthonormal vectors of length `n` (Gram-Schmidt on seeded normals).
    private func orthonormal(_ n: Int, _ count: Int, seed: UInt64) -> [[Double]] {
        var g = SeededGenerator(seed: seed)
        var out: [[Double]] = []
        while out.count < count {
            var v = (0..<n).map { _ in Double(g.normal()) }
            for u in out {
                let d = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<n { v[i] -= d * u[i] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            out.append(v.map { $0 / norm })
        }
        return out
    }

    /// U·diag(s)·Vᵀ for random orthonormal U (rows) and V (cols).
    private func matrix(rows: Int, cols: Int, singular s: [Double], seed: UInt64) throws -> Tensor {
        let u = orthonormal(rows, s.count, seed: seed), v = orthonormal(cols, s.count, seed: seed + 1)
        let t = try Tensor(zeros: [rows, cols])
        for k in 0..<s.count { for r in 0..<rows { for c in 0..<cols { t.floats[r * cols + c] += Float(s[k] * u[k][r] * v[k][c]) } } }
        return t
    }

    func testRecoversKnownSingularValuesAndTruncationErrorInBothOrientations() throws {
        let s: [Double] = [9, 7, 4, 2.5, 1, 0.5, 0.1]
        for (rows, cols) in [(12, 20), (20, 12), (7, 7)] {
            let w = try matrix(rows: rows, cols: cols, singular: s, seed: UInt64(rows * 31 + cols))
            let svd = try SVD.decompose(w)
            for (k, x) in s.enumerated() { XCTAssertEqual(svd.s[k], x, accuracy: 1e-5, "\(rows)x\(cols) σ\(k)") }
            for k in s.count..<min(rows, cols) { XCTAssertEqual(svd.s[k], 0, accuracy: 1e-5) }
            for k in [1, 3, 5, 7] {
                let approx = try svd.reconstruct(rank: k)
                var err = 0.0
                for i in 0..<w.count { let d = Double(w.floats[i] - approx.floats[i]); err += d * d }
                // Eckart–Young: the best rank-k error is the norm of the dropped singular values.
                let expected = s.dropFirst(k).reduce(0) { $0 + $1 * $1 }.squareRoot()
                XCTAssertEqual(err.squareRoot(), expected, accuracy: 1e-4, "\(rows)x\(cols) rank \(k)")
            }
            // Σσ² = 153.51: two values keep 130 (0.847), three 146 (0.951), four 152.25 (0.992).
            XCTAssertEqual(svd.rank(forEnergy: 0.8), 2)
            XCTAssertEqual(svd.rank(forEnergy: 0.9), 3)
            XCTAssertEqual(svd.rank(forEnergy: 0.95), 3)
            XCTAssertEqual(svd.rank(forEnergy: 0.96), 4)
        }
    }

    func testPassFactorisesIntoTwoLinearsMatchingTheTruncation() throws {
        let m = try PruneFixtures.mlp([20, 12, 3])
        let w = m.parameter(named: "0.weight")!.value.clone(), b = m.parameter(named: "0.bias")!.value.clone()
        let x = try PruneFixtures.randn([5, 20], seed: 8)
        let report = try PruneFixtures.run("lowrank.svd", m, ["rank": .integer(4), "targets": .string("0.weight")])
        let pair = m.root.modules[0] as! Sequential
        XCTAssertEqual((pair.modules[0] as! Linear).weight.value.shape, [4, 20])
        XCTAssertEqual((pair.modules[1] as! Linear).weight.value.shape, [12, 4])
        XCTAssertEqual(m.parameters().map(\.name), ["0.0.weight", "0.1.weight", "0.1.bias", "2.weight", "2.bias"])
        let reference = try Linear(weight: try SVD.decompose(w).reconstruct(rank: 4), bias: b)
        XCTAssertLessThan(PruneFixtures.maxDiff(try pair.forward(x), try reference.forward(x)), 1e-4)
        XCTAssertEqual(report.rows.first?.values.first { $0.0 == "weights after" }.map { "\($0.1)" }, String(4 * 32))
    }

    func testFullRankKeepsOutputsAndSaveLoadRoundTrips() throws {
        let m = try PruneFixtures.mlp([10, 8, 3])
        let x = try PruneFixtures.randn([4, 10], seed: 3)
        let y0 = try m.forward(x).clone()
        try PruneFixtures.run("lowrank.svd", m, ["rank": .integer(8), "targets": .string("0.weight")])
        XCTAssertLessThan(PruneFixtures.maxDiff(try m.forward(x), y0), 1e-4)
        let path = NSTemporaryDirectory() + "lowrank-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path)
        XCTAssertEqual(PruneFixtures.maxDiff(try Model.load(path).forward(x), try m.forward(x)), 0)
    }

    func testRankChoicesAndFineTuning() throws {
        let m = try PruneFixtures.mlp([16, 32, 4])
        let data = try PruneFixtures.blobs(n: 128)
        try PruneFixtures.run("lowrank.svd", m, ["params": .number(0.5), "targets": .string("0.weight"), "data": .dataset(data),
                                                  "finetune": .table(["epochs": .integer(6), "lr": .number(0.05), "verbose": .bool(false)])])
        // The largest r with r·(16+32) <= 0.5·16·32.
        XCTAssertEqual(((m.root.modules[0] as! Sequential).modules[0] as! Linear).outFeatures, 5)
        XCTAssertGreaterThan(try evaluate(m, data).accuracy, 0.9)
        let f = try PruneFixtures.mlp([16, 32, 4])
        try PruneFixtures.run("lowrank.svd", f, ["rank": .number(0.25), "targets": .string("0.weight")])
        XCTAssertEqual(((f.root.modules[0] as! Sequential).modules[0] as! Linear).outFeatures, 4)
    }

    func testErrors() throws {
        let m = try PruneFixtures.mlp([10, 8, 3])
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("lowrank.svd", m, [:]) },
                       "lowrank.svd: give one of 'rank', 'energy' or 'params'")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("lowrank.svd", m, ["rank": .integer(2), "energy": .number(0.9)]) },
                       "lowrank.svd: give only one of 'rank', 'energy' or 'params', got 'rank' and 'energy'")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("lowrank.svd", m, ["rank": .integer(9), "targets": .string("0.weight")]) },
                       "lowrank.svd: 'rank' 9 exceeds the full rank 8 of a 8x10 weight")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("lowrank.svd", m, ["rank": .number(2.5)]) },
                       "lowrank.svd: 'rank' must be an integer count or a fraction in (0, 1), got 2.5")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("lowrank.svd", m, ["energy": .number(1.2)]) },
                       "lowrank.svd: 'energy' must be in (0, 1], got 1.2")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("lowrank.svd", m, ["rank": .integer(2), "finetune": .table(["epochs": .integer(1)])]) },
                       "lowrank.svd: 'finetune' needs 'data'")
        XCTAssertEqual(PruneFixtures.message {
            try PruneFixtures.run("lowrank.svd", m, ["rank": .integer(2), "data": .dataset(try PruneFixtures.blobs(n: 8, features: 10)), "finetune": .table(["epoch": .integer(1)])])
        }, "lowrank.svd: unknown option 'finetune.epoch' (known: epochs, lr, optimizer, momentum, batch, seed, weight_decay, verbose)")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("lowrank.svd", m, ["rank": .integer(2), "targets": .string("0.bias")]) },
                       "lowrank.svd: '0.bias' is not the weight of a linear layer")
        XCTAssertTrue(m.root.modules[0] is Linear)
    }
}
