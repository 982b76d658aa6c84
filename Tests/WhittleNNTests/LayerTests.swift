import Foundation
import WhittleNN
import WhittleTensor
import XCTest

final class LayerTests: XCTestCase {
    func testLinearMatchesHandComputation() throws {
        let l = try Linear(weight: try Tensor(shape: [2, 3], values: [1, 2, 3, -1, 0, 1]), bias: try Tensor(shape: [2], values: [0.5, -2]))
        let y = try l.forward(try Tensor(shape: [2, 3], values: [1, 1, 1, 2, 0, -1]))
        XCTAssertEqual(y.shape, [2, 2])
        XCTAssertEqual(y.toArray(), [6.5, -2, -0.5, -5])
    }

    func testConv2dMatchesDirectConvolution() throws {
        for (stride, padding) in [(1, 0), (2, 1), (1, 2), (3, 0)] {
            var g = SeededGenerator(seed: UInt64(stride * 10 + padding))
            let conv = try Conv2d(3, 4, kernel: 3, stride: stride, padding: padding, generator: &g)
            let x = try randn([2, 3, 8, 7], seed: 5)
            let y = try conv.forward(x)
            let oh = (8 + 2 * padding - 3) / stride + 1, ow = (7 + 2 * padding - 3) / stride + 1
            XCTAssertEqual(y.shape, [2, 4, oh, ow])
            let w = conv.weight.value, b = try XCTUnwrap(conv.bias).value
            for n in 0..<2 { for o in 0..<4 { for i in 0..<oh { for j in 0..<ow {
                var s = Double(b.floats[o])
                for c in 0..<3 { for ki in 0..<3 { for kj in 0..<3 {
                    let yy = i * stride - padding + ki, xx = j * stride - padding + kj
                    if yy < 0 || yy >= 8 || xx < 0 || xx >= 7 { continue }
                    s += Double(w.floats[((o * 3 + c) * 3 + ki) * 3 + kj]) * Double(x.floats[((n * 3 + c) * 8 + yy) * 7 + xx])
                } } }
                XCTAssertEqual(Double(y.floats[((n * 4 + o) * oh + i) * ow + j]), s, accuracy: 1e-4, "stride \(stride) pad \(padding)")
            } } } }
        }
    }

    func testMaxPoolPicksWindowMaxima() throws {
        let x = try Tensor(shape: [1, 1, 4, 4], values: [1, 2, 5, 0, 3, 4, 1, 1, 0, 0, 9, 8, -1, 7, 6, 2])
        let y = try MaxPool2d(2).forward(x)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.toArray(), [4, 5, 7, 9])
    }

    func testActivations() throws {
        let x = try Tensor(shape: [1, 4], values: [-2, -0.5, 0.5, 3])
        XCTAssertEqual(try ReLU().forward(x).toArray(), [0, 0, 0.5, 3])
        XCTAssertEqual(try Tanh().forward(x).toArray()[3], Float(Foundation.tanh(3.0)), accuracy: 1e-6)
        let s = try Softmax().forward(try Tensor(shape: [2, 3], values: [1000, 1000, 1000, 0, 1, 2]))
        XCTAssertEqual(s.toArray()[0], 1.0 / 3, accuracy: 1e-6)  // stable for huge logits
        XCTAssertEqual(s.toArray()[3...5].reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(try Flatten().forward(try Tensor(zeros: [2, 3, 4, 5])).shape, [2, 60])
    }

    func testDropoutTrainAndEval() throws {
        let d = try Dropout(0.25, seed: 7)
        let x = try Tensor(shape: [1, 10_000], values: [Float](repeating: 1, count: 10_000))
        d.setTraining(false)
        XCTAssertEqual(try d.forward(x).toArray(), x.toArray())
        d.setTraining(true)
        let y = try d.forward(x).toArray()
        let kept = y.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / 10_000, 0.75, accuracy: 0.02)
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        d.reseed(7)
        XCTAssertEqual(try d.forward(x).toArray(), y, "same seed, same mask")
        XCTAssertThrowsError(try Dropout(1))
    }

    func testShapeMismatchIsAClearError() throws {
        let m = Model([Flatten(), try Linear(784, 300), ReLU(), try Linear(300, 10)])
        let ok = try m.forward(try Tensor(zeros: [2, 1, 28, 28]))
        XCTAssertEqual(ok.shape, [2, 10])
        XCTAssertThrowsError(try m.forward(try Tensor(zeros: [2, 200]))) { e in
            XCTAssertEqual(String(describing: e), "linear 1: expected last dimension 784, got 200")
        }
        let bad = Model([try Linear(4, 300), try Linear(200, 10)])
        XCTAssertThrowsError(try bad.forward(try Tensor(zeros: [1, 4]))) { e in
            XCTAssertEqual(String(describing: e), "linear 1: expected last dimension 200, got 300")
        }
        XCTAssertThrowsError(try Conv2d(3, 4, kernel: 3).forward(try Tensor(zeros: [1, 1, 8, 8]))) { e in
            XCTAssertTrue(String(describing: e).contains("expected 3 input channels, got 1"), "\(e)")
        }
        XCTAssertThrowsError(try MaxPool2d(2).forward(try Tensor(zeros: [4, 4])))
        XCTAssertThrowsError(try Linear(0, 3))
        XCTAssertThrowsError(try Conv2d(1, 1, kernel: 3, stride: 0))
    }

    func testBackwardBeforeForwardThrows() throws {
        XCTAssertThrowsError(try Linear(2, 2).backward(try Tensor(zeros: [1, 2])))
        XCTAssertThrowsError(try ReLU().backward(try Tensor(zeros: [1, 2])))
        let l = try Linear(2, 3)
        _ = try l.forward(try Tensor(zeros: [4, 2]))
        XCTAssertThrowsError(try l.backward(try Tensor(zeros: [4, 2])), "wrong gradient shape")
    }
}

final class HookTests: XCTestCase {
    func testWeightTransformIsUsedForwardAndGradientPassesStraightThrough() throws {
        let l = try Linear(weight: try Tensor(shape: [1, 2], values: [0.4, -1.6]), bias: nil)
        l.weightTransform = { w in try w.map { $0.rounded() } }  // a crude fake-quantizer
        let x = try Tensor(shape: [1, 2], values: [1, 1])
        XCTAssertEqual(try l.forward(x).toArray(), [-2])
        _ = try l.backward(try Tensor(shape: [1, 1], values: [1]))
        XCTAssertEqual(l.weight.grad.toArray(), [1, 1], "straight-through: d/dW of x·Wq is x")
        let c = try XCTUnwrap(try l.copy() as? Linear)
        XCTAssertEqual(try c.forward(x).toArray(), [-2], "the copy keeps the transform")
    }

    func testCrossEntropyRejectsBadLabelsAndIsStable() throws {
        let logits = try Tensor(shape: [2, 3], values: [1000, 0, -1000, 0, 0, 0])
        let (loss, _) = try Loss.crossEntropy(logits: logits, labels: try Tensor(shape: [2], values: [2, 1]))
        XCTAssertEqual(Double(loss), (2000 + Foundation.log(3.0)) / 2, accuracy: 1e-2)
        XCTAssertThrowsError(try Loss.crossEntropy(logits: logits, labels: try Tensor(shape: [2], values: [3, 0])))
        XCTAssertThrowsError(try Loss.crossEntropy(logits: logits, labels: try Tensor(shape: [2], values: [0.5, 0])))
        XCTAssertThrowsError(try Loss.crossEntropy(logits: logits, labels: try Tensor(shape: [3], values: [0, 0, 0])))
        XCTAssertThrowsError(try Loss.klDivergence(student: logits, teacher: logits, temperature: 0))
    }

    func testKLIsZeroForIdenticalLogitsAndScalesWithTSquared() throws {
        let s = try randn([3, 4], seed: 1), t = try randn([3, 4], seed: 2)
        XCTAssertEqual(try Loss.klDivergence(student: s, teacher: s, temperature: 3).loss, 0, accuracy: 1e-6)
        // For very large T, T²·KL → Σ(s−t − mean)²/(2C) per row: a finite limit, not 0 or ∞.
        let big = try Loss.klDivergence(student: s, teacher: t, temperature: 1000).loss
        var expect = 0.0
        for r in 0..<3 {
            let d = (0..<4).map { Double(s.floats[r * 4 + $0] - t.floats[r * 4 + $0]) }
            let mean = d.reduce(0, +) / 4
            expect += d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
        }
        XCTAssertEqual(Double(big), expect / 3, accuracy: 2e-2 * expect / 3 + 1e-3)
    }

    func testSkippingTheDataGradientKeepsParameterGradients() throws {
        var g = SeededGenerator(seed: 3)
        let a = Sequential([Flatten(), try Linear(6, 4, generator: &g), ReLU(), try Linear(4, 2, generator: &g)])
        let b = try XCTUnwrap(try a.copy() as? Sequential)
        b.needsInputGradient = false
        let x = try randn([5, 1, 2, 3], seed: 4), r = try randn([5, 2], seed: 5)
        _ = try a.forward(x); _ = try b.forward(x)
        let ga = try a.backward(r), gb = try b.backward(r)
        XCTAssertEqual(ga.shape, [5, 1, 2, 3])
        XCTAssertEqual(gb.count, 0)
        XCTAssertEqual(a.parameters().map { $0.parameter.grad.toArray() }, b.parameters().map { $0.parameter.grad.toArray() })
    }
}
