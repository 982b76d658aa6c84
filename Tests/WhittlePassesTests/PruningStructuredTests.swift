import Foundation
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class PruningStructuredTests: XCTestCase {
    func testShrinksHiddenLayersAndKeepsTheOutputLayer() throws {
        let m = try PruneFixtures.mlp([12, 10, 8, 3])
        let l0 = m.root.modules[0] as! Linear
        let norms = (0..<10).map { o in (0..<12).reduce(Float(0)) { $0 + abs(l0.weight.value.floats[o * 12 + $1]) } }
        let expectedKeep = (0..<10).sorted { norms[$0] > norms[$1] }.prefix(5).sorted()
        let x = try PruneFixtures.randn([7, 12], seed: 4)
        let hiddenBefore = try l0.forward(x).clone()
        let report = try PruneFixtures.run("prune.structured", m, ["amount": .number(0.5)])
        XCTAssertEqual((m.root.modules[0] as! Linear).outFeatures, 5)
        XCTAssertEqual((m.root.modules[2] as! Linear).inFeatures, 5)
        XCTAssertEqual((m.root.modules[2] as! Linear).outFeatures, 4)
        XCTAssertEqual((m.root.modules[4] as! Linear).inFeatures, 4)
        XCTAssertEqual((m.root.modules[4] as! Linear).outFeatures, 3, "the output layer is never pruned")
        // The kept neurons are the largest-L1 ones and compute exactly what they computed before.
        let hiddenAfter = try (m.root.modules[0] as! Linear).forward(x)
        for r in 0..<7 {
            for (k, j) in expectedKeep.enumerated() {
                XCTAssertEqual(hiddenAfter.floats[r * 5 + k], hiddenBefore.floats[r * 10 + j])
            }
        }
        let before = 12 * 10 + 10 + 10 * 8 + 8 + 8 * 3 + 3, after = 12 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3
        XCTAssertEqual(report.summary.first { $0.0 == "params before" }.map { "\($0.1)" }, String(before))
        XCTAssertEqual(report.summary.first { $0.0 == "params after" }.map { "\($0.1)" }, String(after))
        XCTAssertEqual(try m.forward(x).shape, [7, 3])
    }

    func testRemovingDeadFiltersThroughFlattenKeepsTheModelOutputIdentical() throws {
        let m = try PruneFixtures.convNet(channels: 4)
        let conv = m.root.modules[0] as! Conv2d
        // Filters 1 and 3 are dead (zero weights and bias): removing them must not change anything.
        for f in [1, 3] {
            for i in 0..<9 { conv.weight.value.floats[f * 9 + i] = 0 }
            conv.bias!.value.floats[f] = 0
        }
        let x = try PruneFixtures.randn([5, 1, 8, 8], seed: 2)
        let y0 = try m.forward(x).clone()
        try PruneFixtures.run("prune.structured", m, ["amount": .number(0.5), "norm": .string("l2"), "targets": .string("0.weight")])
        XCTAssertEqual(conv.outChannels, 2)
        XCTAssertEqual((m.root.modules[4] as! Linear).inFeatures, 18)
        XCTAssertEqual(PruneFixtures.maxDiff(try m.forward(x), y0), 0, accuracy: 1e-6)
    }

    func testShrunkModelSavesSmallerAndLoadsBack() throws {
        let m = try PruneFixtures.convNet(channels: 6, hidden: 8)
        let dir = NSTemporaryDirectory()
        let a = dir + "struct-a-\(getpid()).safetensors", b = dir + "struct-b-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        try m.save(to: a)
        try PruneFixtures.run("prune.structured", m, ["amount": .number(0.5)])
        try m.save(to: b)
        let sizeA = try FileManager.default.attributesOfItem(atPath: a)[.size] as! Int
        let sizeB = try FileManager.default.attributesOfItem(atPath: b)[.size] as! Int
        XCTAssertLessThan(sizeB, sizeA * 6 / 10)
        let back = try Model.load(b)
        let x = try PruneFixtures.randn([3, 1, 8, 8], seed: 7)
        XCTAssertEqual(PruneFixtures.maxDiff(try back.forward(x), try m.forward(x)), 0)
    }

    func testErrors() throws {
        let m = try PruneFixtures.mlp([6, 4, 2])
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.structured", m, ["amount": .number(1)]) },
                       "prune.structured: 'amount' must be in [0, 1), got 1")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.structured", m, ["amount": .number(0.5), "norm": .string("l3")]) },
                       "prune.structured: 'norm' must be one of \"l1\", \"l2\", got \"l3\"")
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.structured", m, ["amount": .number(0.5), "targets": .string("2.weight")]) },
                       "prune.structured: no layer to shrink among the targets (the output layer is never pruned)")
        let soft = Model([try Linear(4, 4), Softmax(), try Linear(4, 2)])
        XCTAssertEqual(PruneFixtures.message { try PruneFixtures.run("prune.structured", soft, ["amount": .number(0.5)]) },
                       "prune.structured: cannot shrink layer 0: the softmax layer 1 after it would mix its units")
        XCTAssertEqual((m.root.modules[0] as! Linear).outFeatures, 4)
    }
}
