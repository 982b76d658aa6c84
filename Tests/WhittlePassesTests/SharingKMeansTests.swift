import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class SharingKMeansTests: XCTestCase {
    func testCentroidsOfThreeClusters() {
        var g = SeededGenerator(seed: 1)
        let truth: [Float] = [-1, 0.5, 2]
        var values: [Float] = [], labels: [Int] = []
        for i in 0..<900 { values.append(truth[i % 3] + 0.05 * g.normal()); labels.append(i % 3) }
        for method in KMeans1D.Initialization.allCases {
            let r = KMeans1D.fit(values, k: 3, method: method, seed: 4)
            // Random (Forgy) starts can settle in a local minimum, as Han et al. note; linear and density find these clusters.
            if method != .random {
                XCTAssertEqual(r.centroids.count, 3, "\(method)")
                for (c, t) in zip(r.centroids, truth) { XCTAssertEqual(c, t, accuracy: 0.01, "\(method)") }
                for (i, a) in r.assignments.enumerated() { XCTAssertEqual(Int(a), labels[i], "\(method): value \(values[i])") }
            }
            // Converged: each value sits with its nearest centroid, and each centroid is the mean of its members.
            for (i, a) in r.assignments.enumerated() {
                let d = abs(values[i] - r.centroids[Int(a)])
                XCTAssertTrue(r.centroids.allSatisfy { abs(values[i] - $0) >= d - 1e-6 })
            }
            for j in 0..<r.centroids.count {
                let members = values.indices.filter { r.assignments[$0] == Int32(j) }.map { Double(values[$0]) }
                XCTAssertEqual(Double(r.centroids[j]), members.reduce(0, +) / Double(members.count), accuracy: 1e-5)
            }
        }
    }

    func testInitialisations() {
        let values: [Float] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 100]
        XCTAssertEqual(KMeans1D.initial(values, k: 3, method: .linear, seed: 1), [0, 50, 100])
        XCTAssertEqual(KMeans1D.initial(values, k: 2, method: .density, seed: 1), [2, 7])
        let r = KMeans1D.initial(values, k: 4, method: .random, seed: 3)
        XCTAssertEqual(Set(r).count, 4)
        XCTAssertTrue(r.allSatisfy(values.contains))
        XCTAssertEqual(r, KMeans1D.initial(values, k: 4, method: .random, seed: 3), "seeded")
    }

    func testEmptyClustersAreDroppedAndFewValuesAreExact() {
        let r = KMeans1D.fit([1, 1, 1, 3, 3], k: 16)
        XCTAssertEqual(r.centroids, [1, 3])
        XCTAssertEqual(r.assignments, [0, 0, 0, 1, 1])
    }

    func testPassClustersEachLayerAndKeepsPrunedZeros() throws {
        let m = try ShareFixtures.mlp([8, 16, 3])
        let w = try XCTUnwrap(m.parameter(named: "0.weight"))
        let mask = try Tensor(shape: w.value.shape, values: (0..<w.count).map { $0 % 3 == 0 ? 0 : 1 })
        try w.setMask(mask)
        let report = try ShareFixtures.registry().run("share.kmeans", on: m, options: ["bits": .integer(2)])
        XCTAssertEqual(report.rows.map(\.target), ["0.weight", "2.weight"])
        for name in ["0.weight", "2.weight"] {
            let p = try XCTUnwrap(m.parameter(named: name))
            let enc = try XCTUnwrap(p.encoding as? CodebookEncoding)
            XCTAssertEqual(enc.format, "codebook")
            XCTAssertLessThanOrEqual(ShareFixtures.distinct(p.value).subtracting([0]).count, 4)
            XCTAssertEqual(ShareFixtures.maxDiff(try enc.decode(), p.value), 0)
        }
        for i in 0..<w.count where i % 3 == 0 { XCTAssertEqual(w.value.floats[i], 0) }
        XCTAssertEqual((w.encoding as? CodebookEncoding)?.codebook.contains(0), false, "zeros are not clustered")
    }

    func testSharedCodebookAcrossLayers() throws {
        let m = try ShareFixtures.mlp([8, 16, 16, 3])
        let report = try ShareFixtures.registry().run("share.kmeans", on: m, options: ["bits": .integer(3), "shared": .bool(true)])
        XCTAssertEqual(report.rows.count, 3)
        let books = try m.parameters().filter { $0.name.hasSuffix("weight") }.map { try XCTUnwrap($0.parameter.encoding as? CodebookEncoding).codebook }
        XCTAssertEqual(Set(books.map { $0.description }).count, 1, "one codebook")
        let all = m.parameters().filter { $0.name.hasSuffix("weight") }.reduce(Set<Float>()) { $0.union(ShareFixtures.distinct($1.parameter.value)) }
        XCTAssertLessThanOrEqual(all.count, 8)
    }

    func testBadOptionsAndTargets() throws {
        let r = ShareFixtures.registry()
        let m = try ShareFixtures.mlp([4, 3])
        XCTAssertThrowsError(try r.run("share.kmeans", on: m, options: ["bits": .integer(9)])) {
            XCTAssertEqual(String(describing: $0), "share.kmeans: 'bits' must be in [1, 8], got 9")
        }
        XCTAssertThrowsError(try r.run("share.kmeans", on: m, options: ["targets": .string("fc*")])) {
            XCTAssertTrue(String(describing: $0).contains("'fc*' matches no parameter"))
        }
        XCTAssertThrowsError(try r.run("share.kmeans", on: m, options: ["finetune": .table(["epochs": .integer(1)])])) {
            XCTAssertEqual(String(describing: $0), "share.kmeans: 'finetune' needs 'data'")
        }
        XCTAssertThrowsError(try r.run("share.kmeans", on: m, options: ["finetune": .table(["epoch": .integer(1)]), "data": .dataset(try ShareFixtures.blobs(n: 6, features: 4))])) {
            XCTAssertTrue(String(describing: $0).hasPrefix("share.kmeans: unknown option 'finetune.epoch'"))
        }
        XCTAssertThrowsError(try r.run("share.kmeans", on: m, options: ["shared": .bool(true), "overrides": .table(["0.weight": .table(["bits": .integer(3)])])])) {
            XCTAssertEqual(String(describing: $0), "share.kmeans: 'overrides' cannot set 'bits' with shared=true (one codebook has one size)")
        }
        _ = try r.run("share.kmeans", on: m, options: [:])
        XCTAssertThrowsError(try r.run("share.kmeans", on: m, options: [:])) {
            XCTAssertTrue(String(describing: $0).contains("already stored as codebook"))
        }
    }

    /// One full-batch SGD step moves each centroid by -lr × the sum of its members' gradients.
    func testFineTuningStepsCentroidsWithSummedGradients() throws {
        let data = try ShareFixtures.blobs(n: 30, features: 4)
        let base = try ShareFixtures.mlp([4, 6, 3])
        let plain = try base.clone(), tuned = try base.clone()
        let r = ShareFixtures.registry()
        _ = try r.run("share.kmeans", on: plain, options: ["bits": .integer(2), "targets": .string("0.weight")])
        let lr = 0.05
        _ = try r.run("share.kmeans", on: tuned, options: ["bits": .integer(2), "targets": .string("0.weight"), "data": .dataset(data),
                                                            "finetune": .table(["epochs": .integer(1), "batch": .integer(30), "lr": .number(lr), "momentum": .number(0)])])
        // Expected: gradient of the clustered model on the whole batch.
        let ref = try base.clone()
        let refW = try XCTUnwrap(ref.parameter(named: "0.weight"))
        let p = try XCTUnwrap(plain.parameter(named: "0.weight"))
        try refW.replaceValue(p.value.clone())
        ref.zeroGrad()
        let out = try ref.forward(data.images)
        _ = try ref.backward(try Loss.crossEntropy(logits: out, labels: data.labels).grad)
        let enc = try XCTUnwrap(p.encoding as? CodebookEncoding)
        let assign = (0..<p.count).map { i in enc.codebook.firstIndex(of: p.value.floats[i])! }
        var expected = enc.codebook.map(Double.init)
        for i in 0..<p.count { expected[assign[i]] -= lr * Double(refW.grad.floats[i]) }
        let got = try XCTUnwrap(tuned.parameter(named: "0.weight"))
        for i in 0..<p.count { XCTAssertEqual(Double(got.value.floats[i]), expected[assign[i]], accuracy: 1e-5) }
        // The untargeted layer trained normally: b -= lr × grad.
        let b = try XCTUnwrap(tuned.parameter(named: "2.bias")), refB = try XCTUnwrap(ref.parameter(named: "2.bias"))
        for i in 0..<b.count { XCTAssertEqual(Double(b.value.floats[i]), Double(base.parameter(named: "2.bias")!.value.floats[i]) - lr * Double(refB.grad.floats[i]), accuracy: 1e-5) }
    }

    func testFineTuningRecoversAccuracy() throws {
        let data = try ShareFixtures.blobs(n: 300, features: 8, spread: 1.2)
        let m = try ShareFixtures.mlp([8, 32, 3])
        var opts = TrainOptions()
        opts.epochs = 20; opts.learningRate = 0.05; opts.momentum = 0.9; opts.verbose = false
        try train(m, data, opts)
        let r = ShareFixtures.registry()
        let coarse = try m.clone(), tuned = try m.clone()
        _ = try r.run("share.kmeans", on: coarse, options: ["bits": .integer(1)])
        _ = try r.run("share.kmeans", on: tuned, options: ["bits": .integer(1), "data": .dataset(data),
                                                          "finetune": .table(["epochs": .integer(5), "lr": .number(0.002), "batch": .integer(30)])])
        let before = try evaluate(coarse, data).loss, after = try evaluate(tuned, data).loss
        XCTAssertLessThan(after, before * 0.9, "fine-tuning the centroids lowers the loss (\(before) -> \(after))")
        XCTAssertLessThanOrEqual(ShareFixtures.distinct(tuned.parameter(named: "0.weight")!.value).count, 2)
    }
}
