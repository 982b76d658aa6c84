import WhittleNN
import WhittleTensor
import XCTest

final class TrainingTests: XCTestCase {
    private func mlp(seed: UInt64) throws -> Model {
        var g = SeededGenerator(seed: seed)
        return Model([try Linear(8, 16, generator: &g), ReLU(), try Dropout(0.1), try Linear(16, 3, generator: &g)])
    }

    func testTrainingLowersLossAndRaisesAccuracy() throws {
        let data = try blobs(n: 600, features: 8, classes: 3, seed: 1)
        let m = try mlp(seed: 2)
        let before = try evaluate(m, data)
        var opts = TrainOptions()
        opts.epochs = 5; opts.learningRate = 0.05; opts.momentum = 0.9; opts.batchSize = 32; opts.verbose = false
        var calls = 0
        opts.progress = { _ in calls += 1 }
        let report = try train(m, data, opts)
        let after = try evaluate(m, data)
        XCTAssertEqual(calls, 5 * 19)
        XCTAssertLessThan(report.epochLoss.last ?? 9, report.epochLoss[0])
        XCTAssertLessThan(after.loss, before.loss * 0.5)
        XCTAssertGreaterThan(after.accuracy, 0.95)
        XCTAssertEqual(after.errors, after.count - Int((after.accuracy * Double(after.count)).rounded()))
        XCTAssertEqual(after.count, 600)
    }

    func testSameSeedSameWeightsDifferentSeedDifferentWeights() throws {
        let data = try blobs(n: 200, features: 8, classes: 3, seed: 3)
        func run(_ seed: UInt64, _ kind: OptimizerKind) throws -> [Float] {
            let m = try mlp(seed: 4)
            var opts = TrainOptions()
            opts.epochs = 2; opts.seed = seed; opts.verbose = false; opts.optimizer = kind; opts.learningRate = 0.01
            try train(m, data, opts)
            return m.parameters().flatMap { $0.parameter.value.toArray() }
        }
        for kind in [OptimizerKind.sgd, .adam] {
            XCTAssertEqual(try run(7, kind), try run(7, kind))
            XCTAssertNotEqual(try run(7, kind), try run(8, kind))
        }
    }

    func testMasksHoldThroughTraining() throws {
        let data = try blobs(n: 200, features: 8, classes: 3, seed: 5)
        let m = try mlp(seed: 6)
        let w = try XCTUnwrap(m.parameter(named: "0.weight"))
        let mask = try Tensor(zeros: w.value.shape)
        for i in 0..<mask.count where i % 3 != 0 { mask.floats[i] = 1 }
        try w.setMask(mask)
        var opts = TrainOptions()
        opts.epochs = 2; opts.momentum = 0.9; opts.weightDecay = 1e-3; opts.verbose = false
        try train(m, data, opts)
        for i in 0..<mask.count where i % 3 == 0 { XCTAssertEqual(w.value.floats[i], 0) }
        XCTAssertEqual(w.value.sparsity(), Double(mask.count - Int(try mask.sum())) / Double(mask.count), accuracy: 1e-9)
    }

    func testCustomLossDistillsTowardATeacher() throws {
        let data = try blobs(n: 300, features: 8, classes: 3, seed: 9)
        let teacher = try mlp(seed: 10)
        var opts = TrainOptions()
        opts.epochs = 4; opts.learningRate = 0.05; opts.momentum = 0.9; opts.verbose = false
        try train(teacher, data, opts)
        let student = try mlp(seed: 11)
        func gap() throws -> Float {
            let x = data.x
            return try Loss.klDivergence(student: try student.forward(x), teacher: try teacher.forward(x), temperature: 2).loss
        }
        let before = try gap()
        opts.loss = { out, x, _ in try Loss.klDivergence(student: out, teacher: try teacher.forward(x), temperature: 2) }
        try train(student, data, opts)
        XCTAssertLessThan(try gap(), before * 0.5)
    }

    func testBadOptionsThrow() throws {
        let data = try blobs(n: 10, features: 8, classes: 3, seed: 1)
        var opts = TrainOptions()
        opts.epochs = 0
        XCTAssertThrowsError(try train(try mlp(seed: 1), data, opts))
        opts.epochs = 1; opts.learningRate = 0
        XCTAssertThrowsError(try train(try mlp(seed: 1), data, opts))
        let wrong = try blobs(n: 10, features: 5, classes: 3, seed: 1)
        XCTAssertThrowsError(try train(try mlp(seed: 1), wrong, TrainOptions())) { e in
            XCTAssertEqual("\(e)", "linear 0: expected last dimension 8, got 5")
        }
    }
}

final class TyingTests: XCTestCase {
    func testTiedWeightsStayIdenticalAndAreSteppedOnce() throws {
        var g = SeededGenerator(seed: 1)
        let a = try Linear(4, 4, generator: &g), b = try Linear(4, 4, generator: &g)
        b.weight = a.weight
        let m = Model([a, Tanh(), b, try Linear(4, 2, generator: &g)])
        XCTAssertTrue(m.parameter(named: "0.weight") === m.parameter(named: "2.weight"))
        let data = try blobs(n: 40, features: 4, classes: 2, seed: 2)
        let before = a.weight.value.toArray()
        var opts = TrainOptions()
        opts.epochs = 1; opts.batchSize = 40; opts.shuffle = false; opts.verbose = false; opts.learningRate = 0.1
        // One full-batch step: the update must equal lr times the summed gradient of both uses.
        var grad: [Float] = []
        opts.progress = { _ in grad = a.weight.grad.toArray() }
        try train(m, data, opts)
        let after = a.weight.value.toArray()
        for i in 0..<before.count { XCTAssertEqual(after[i], before[i] - 0.1 * grad[i], accuracy: 1e-6) }
        XCTAssertEqual(a.weight.value.toArray(), b.weight.value.toArray())
    }
}
