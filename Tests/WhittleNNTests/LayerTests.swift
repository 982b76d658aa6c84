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
