import WhittleNN
import WhittleTensor
import XCTest

/// Every layer's backward against central finite differences.
final class GradientCheckTests: XCTestCase {
    func testLinear() throws {
        var g = SeededGenerator(seed: 1)
        try checkGradients(try Linear(7, 5, generator: &g), input: try randn([4, 7], seed: 2))
    }

    func testLinearOnThreeDimensionalInput() throws {
        var g = SeededGenerator(seed: 1)
        try checkGradients(try Linear(3, 2, generator: &g), input: try randn([2, 4, 3], seed: 3))
    }

    func testConv2dStrideAndPadding() throws {
        var g = SeededGenerator(seed: 4)
        try checkGradients(try Conv2d(2, 3, kernel: 3, stride: 2, padding: 1, generator: &g), input: try randn([2, 2, 7, 6], seed: 5))
    }

    func testConv2dPlain() throws {
        var g = SeededGenerator(seed: 6)
        try checkGradients(try Conv2d(3, 4, kernel: 2, generator: &g), input: try randn([3, 3, 5, 5], seed: 7))
    }

    func testMaxPool() throws {
        // Distinct values 0.1 apart: a finite-difference step never changes a window's maximum.
        func spaced(_ shape: [Int], seed: UInt64) throws -> Tensor {
            let t = try Tensor(zeros: shape)
            var order = Array(0..<t.count)
            var g = SeededGenerator(seed: seed)
            order.shuffle(using: &g)
            for (i, v) in order.enumerated() { t.floats[i] = Float(v) * 0.1 }
            return t
        }
        try checkGradients(try MaxPool2d(2), input: try spaced([2, 3, 6, 4], seed: 8))
        try checkGradients(try MaxPool2d(3, stride: 2), input: try spaced([1, 2, 7, 7], seed: 9))
    }

    func testReLU() throws {
        let x = try randn([5, 8], seed: 10)
        for i in 0..<x.count where abs(x.floats[i]) < 0.1 { x.floats[i] += 0.3 }  // keep away from the kink
        try checkGradients(ReLU(), input: x)
    }

    func testTanhSoftmaxFlatten() throws {
        try checkGradients(Tanh(), input: try randn([3, 6], seed: 11))
        try checkGradients(Softmax(), input: try randn([4, 5], seed: 12))
        try checkGradients(Flatten(), input: try randn([2, 3, 2, 2], seed: 13))
    }

    func testDropoutWithFixedMask() throws {
        let d = try Dropout(0.4)
        d.setTraining(true)
        try checkGradients(d, input: try randn([4, 10], seed: 14), prepare: { d.reseed(3) })
    }

    func testSequentialConvNet() throws {
        var g = SeededGenerator(seed: 15)
        let net = Sequential([try Conv2d(1, 2, kernel: 3, padding: 1, generator: &g), Tanh(), try MaxPool2d(2), Flatten(),
                              try Linear(2 * 3 * 3, 4, generator: &g), Tanh(), try Linear(4, 3, generator: &g)])
        try checkGradients(net, input: try randn([2, 1, 6, 6], seed: 16), eps: 1e-3)
    }

    func testLossGradients() throws {
        let logits = try randn([4, 5], seed: 17, scale: 2)
        let labels = try Tensor(shape: [4], values: [0, 3, 4, 1])
        let target = try randn([4, 5], seed: 18)
        let teacher = try randn([4, 5], seed: 19, scale: 3)
        let losses: [(String, () throws -> (loss: Float, grad: Tensor))] = [
            ("cross_entropy", { try Loss.crossEntropy(logits: logits, labels: labels) }),
            ("mse", { try Loss.mse(logits, target) }),
            ("kl T=1", { try Loss.klDivergence(student: logits, teacher: teacher, temperature: 1) }),
            ("kl T=4", { try Loss.klDivergence(student: logits, teacher: teacher, temperature: 4) }),
        ]
        for (name, f) in losses {
            let grad = try f().grad
            let eps: Float = 1e-2
            for i in 0..<logits.count {
                let old = logits.floats[i]
                logits.floats[i] = old + eps
                let up = Double(try f().loss)
                logits.floats[i] = old - eps
                let down = Double(try f().loss)
                logits.floats[i] = old
                let numeric = (up - down) / Double(2 * eps)
                XCTAssertEqual(numeric, Double(grad.floats[i]), accuracy: 2e-3 + 2e-2 * abs(numeric), "\(name)[\(i)]")
            }
        }
    }
}
