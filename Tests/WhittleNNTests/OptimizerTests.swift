import WhittleNN
import WhittleTensor
import XCTest

final class OptimizerTests: XCTestCase {
    private func param(_ values: [Float], grad: [Float]) throws -> Parameter {
        let p = try Parameter(try Tensor(shape: [values.count], values: values))
        for (i, g) in grad.enumerated() { p.grad.floats[i] = g }
        return p
    }

    func testPlainSGDWithWeightDecay() throws {
        let p = try param([1, -2], grad: [0.5, 1])
        try SGD(learningRate: 0.1, weightDecay: 0.01).step([p])
        XCTAssertEqual(p.value.toArray()[0], 1 - 0.1 * (0.5 + 0.01), accuracy: 1e-7)
        XCTAssertEqual(p.value.toArray()[1], -2 - 0.1 * (1 - 0.02), accuracy: 1e-7)
    }

    func testMomentumAndNesterov() throws {
        let a = try param([0], grad: [1]), b = try param([0], grad: [1])
        let heavy = try SGD(learningRate: 0.1, momentum: 0.9), nest = try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        try heavy.step([a]); try heavy.step([a])   // v = 1, then 1.9
        try nest.step([b]); try nest.step([b])     // steps g + μv: 1.9, then 1 + 0.9·1.9
        XCTAssertEqual(a.value.toArray()[0], -0.1 * (1 + 1.9), accuracy: 1e-6)
        XCTAssertEqual(b.value.toArray()[0], -0.1 * (1.9 + 2.71), accuracy: 1e-6)
        XCTAssertThrowsError(try SGD(learningRate: 0.1, nesterov: true))
        XCTAssertThrowsError(try SGD(learningRate: -1))
        XCTAssertThrowsError(try SGD(learningRate: 0.1, momentum: 1))
    }

    func testAdamFirstStepIsLearningRateTimesSign() throws {
        let p = try param([1, 1, 1], grad: [3, -0.001, 0])
        try Adam(learningRate: 0.01).step([p])
        let v = p.value.toArray()
        XCTAssertEqual(v[0], 0.99, accuracy: 1e-5)
        XCTAssertEqual(v[1], 1.01, accuracy: 1e-4)
        XCTAssertEqual(v[2], 1, accuracy: 1e-7)
    }

    func testMaskedEntriesStayZero() throws {
        let p = try param([1, 2, 3, 4], grad: [1, 1, 1, 1])
        try p.setMask(try Tensor(shape: [4], values: [1, 0, 1, 0]))
        XCTAssertEqual(p.value.toArray(), [1, 0, 3, 0])
        let sgd = try SGD(learningRate: 0.5, momentum: 0.9, weightDecay: 0.1), adam = try Adam(learningRate: 0.5)
        for _ in 0..<3 {
            for i in 0..<4 { p.grad.floats[i] = -5 }
            try sgd.step([p])
            try adam.step([p])
        }
        XCTAssertEqual(p.value.toArray()[1], 0)
        XCTAssertEqual(p.value.toArray()[3], 0)
        XCTAssertGreaterThan(p.value.toArray()[0], 1)
        XCTAssertThrowsError(try p.setMask(try Tensor(zeros: [3])))
    }

    func testFrozenParameterIsSkipped() throws {
        let p = try param([1], grad: [1])
        p.trainable = false
        try SGD(learningRate: 1).step([p])
        XCTAssertEqual(p.value.toArray(), [1])
    }

    func testSchedules() {
        XCTAssertEqual(LRSchedule.constant.rate(base: 0.1, epoch: 5, progress: 0.5), 0.1)
        XCTAssertEqual(LRSchedule.step(every: 2, gamma: 0.5).rate(base: 0.1, epoch: 1, progress: 0), 0.1, accuracy: 1e-7)
        XCTAssertEqual(LRSchedule.step(every: 2, gamma: 0.5).rate(base: 0.1, epoch: 4, progress: 0), 0.025, accuracy: 1e-7)
        let cos = LRSchedule.cosine(minimum: 0.001)
        XCTAssertEqual(cos.rate(base: 0.1, epoch: 0, progress: 0), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cos.rate(base: 0.1, epoch: 0, progress: 0.5), 0.0505, accuracy: 1e-6)
        XCTAssertEqual(cos.rate(base: 0.1, epoch: 0, progress: 1), 0.001, accuracy: 1e-7)
    }
}
