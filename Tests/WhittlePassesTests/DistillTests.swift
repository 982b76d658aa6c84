import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

final class DistillTests: XCTestCase {
    /// The combined loss's gradient matches central finite differences of the combined loss.
    func testCombinedLossGradientMatchesFiniteDifferences() throws {
        var g = SeededGenerator(seed: 3)
        let s = try Tensor(shape: [3, 5], values: (0..<15).map { _ in 2 * g.normal() })
        let t = try Tensor(shape: [3, 5], values: (0..<15).map { _ in 2 * g.normal() })
        let y = try Tensor(shape: [3], values: [0, 4, 2])
        for (temp, alpha) in [(Float(1), Float(0.5)), (4, 0.9), (2, 0), (3, 1)] {
            let (_, grad) = try DistillPass.loss(student: s, teacher: t, labels: y, temperature: temp, alpha: alpha)
            for i in 0..<15 {
                let h: Float = 1e-2, old = s.floats[i]
                s.floats[i] = old + h
                let up = try DistillPass.loss(student: s, teacher: t, labels: y, temperature: temp, alpha: alpha).loss
                s.floats[i] = old - h
                let down = try DistillPass.loss(student: s, teacher: t, labels: y, temperature: temp, alpha: alpha).loss
                s.floats[i] = old
                XCTAssertEqual(grad.floats[i], (up - down) / (2 * h), accuracy: 2e-3, "T=\(temp) α=\(alpha) element \(i)")
            }
        }
        // α = 0 is plain cross-entropy; α = 1 is the T²-scaled KL term alone.
        let ce = try Loss.crossEntropy(logits: s, labels: y).loss
        XCTAssertEqual(try DistillPass.loss(student: s, teacher: t, labels: y, temperature: 3, alpha: 0).loss, ce, accuracy: 1e-6)
        let kl = try Loss.klDivergence(student: s, teacher: t, temperature: 3).loss
        XCTAssertEqual(try DistillPass.loss(student: s, teacher: t, labels: y, temperature: 3, alpha: 1).loss, kl, accuracy: 1e-6)
        XCTAssertEqual(try DistillPass.loss(student: t, teacher: t, labels: y, temperature: 3, alpha: 1).loss, 0, accuracy: 1e-5)
    }

    func testDifferentOutputSizesFailUpFrontAndLeaveTheStudentUnchanged() throws {
        let data = try ShareFixtures.blobs(n: 20, features: 8)
        let teacher = try ShareFixtures.mlp([8, 4]), student = try ShareFixtures.mlp([8, 3])
        let before = student.parameter(named: "0.weight")!.value.toArray()
        XCTAssertThrowsError(try ShareFixtures.registry().run("distill", on: student, options: ["teacher": .model(teacher), "data": .dataset(data)])) {
            XCTAssertEqual(String(describing: $0), "distill: 'teacher' outputs 4 per sample but the student outputs 3; they must match")
        }
        XCTAssertEqual(student.parameter(named: "0.weight")!.value.toArray(), before)
        XCTAssertThrowsError(try ShareFixtures.registry().run("distill", on: student, options: ["data": .dataset(data)])) {
            XCTAssertTrue(String(describing: $0).hasPrefix("distill: missing option 'teacher'"))
        }
        XCTAssertThrowsError(try ShareFixtures.registry().run("distill", on: student, options: ["teacher": .model(teacher), "data": .dataset(data), "alpha": .number(1.5)])) {
            XCTAssertEqual(String(describing: $0), "distill: 'alpha' must be in [0, 1], got 1.5")
        }
    }

    /// A student taught by a good teacher on few labelled samples ends up agreeing with the teacher
    /// more than the same student trained on the labels alone, and the teacher is untouched.
    func testDistilledStudentLearnsFromTheTeacher() throws {
        let big = try ShareFixtures.blobs(n: 600, features: 8, spread: 1.4)
        let test = try ShareFixtures.blobs(n: 600, features: 8, seed: 21, spread: 1.4)
        let teacher = try ShareFixtures.mlp([8, 64, 3], seed: 9)
        var opts = TrainOptions()
        opts.epochs = 15; opts.learningRate = 0.05; opts.momentum = 0.9; opts.verbose = false
        try train(teacher, big, opts)
        let teacherWeights = teacher.parameter(named: "0.weight")!.value.toArray()
        let student = try ShareFixtures.mlp([8, 4, 3], seed: 5)
        let startLoss = try evaluate(student, test).loss
        var logs: [String] = []
        let report = try ShareFixtures.registry().run("distill", on: student, options: [
            "teacher": .model(teacher), "data": .dataset(big), "temperature": .number(3), "alpha": .number(0.7),
            "epochs": .integer(5), "lr": .number(0.05)], context: PassContext(log: { logs.append($0) }))
        XCTAssertEqual(report.rows.count, 5)
        XCTAssertEqual(logs.count, 5, "one progress line per epoch")
        XCTAssertTrue(logs[0].hasPrefix("distill: epoch 1/5 loss "))
        XCTAssertEqual(teacher.parameter(named: "0.weight")!.value.toArray(), teacherWeights, "the teacher is not trained")
        let after = try evaluate(student, test)
        XCTAssertLessThan(after.loss, startLoss)
        XCTAssertGreaterThan(after.accuracy, 0.8)
        XCTAssertFalse(student.root.training)
    }
}
