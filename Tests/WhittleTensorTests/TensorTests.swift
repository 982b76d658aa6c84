import WhittleTensor
import XCTest

/// The tensor type against hand-computed values, including edge shapes.
final class TensorTests: XCTestCase {
    func testBroadcastShapes() {
        XCTAssertEqual(broadcastShape([2, 3], [3]), [2, 3])
        XCTAssertEqual(broadcastShape([2, 1], [1, 4]), [2, 4])
        XCTAssertEqual(broadcastShape([], [5]), [5])
        XCTAssertEqual(broadcastShape([0, 3], [1, 3]), [0, 3])
        XCTAssertNil(broadcastShape([2, 3], [4, 3]))
    }

    func testElementwiseBroadcasting() throws {
        let a = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let row = try Tensor(shape: [3], values: [10, 20, 30])
        XCTAssertEqual(try a.elementwise(.add, row).toArray(), [11, 22, 33, 14, 25, 36])
        let col = try Tensor(shape: [2, 1], values: [2, 3])
        XCTAssertEqual(try a.elementwise(.mul, col).toArray(), [2, 4, 6, 12, 15, 18])
        XCTAssertEqual(try a.elementwise(.sub, scalar: 1, scalarFirst: true).toArray(), [0, -1, -2, -3, -4, -5])
        XCTAssertEqual(try a.elementwise(.max, scalar: 3.5).toArray(), [3.5, 3.5, 3.5, 4, 5, 6])
        let empty = try Tensor(zeros: [0, 3])
        XCTAssertEqual(try empty.elementwise(.add, row).shape, [0, 3])
        XCTAssertThrowsError(try a.elementwise(.add, try Tensor(zeros: [2]))) { error in
            XCTAssertEqual(String(describing: error), "+: shapes 2x3 and 2 cannot be broadcast")
        }
    }

    func testMatmulShapesAndValues() throws {
        let a = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = try Tensor(shape: [3, 2], values: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(try a.matmul(b).toArray(), [58, 64, 139, 154])
        XCTAssertEqual(try a.matmul(try Tensor(shape: [3], values: [1, 0, -1])).toArray(), [-2, -2])
        XCTAssertEqual(try Tensor(shape: [2], values: [1, 1]).matmul(a).toArray(), [5, 7, 9])
        let r = try Tensor(zeros: [4, 0]).matmul(try Tensor(zeros: [0, 5]))
        XCTAssertEqual(r.shape, [4, 5])
        XCTAssertEqual(r.toArray(), [Float](repeating: 0, count: 20))
        XCTAssertThrowsError(try a.matmul(a))
    }

    func testReshapeViewsShareStorageAndTransposeCopies() throws {
        let a = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let v = try a.reshaped([3, -1])
        XCTAssertEqual(v.shape, [3, 2])
        v.floats[0] = 42
        XCTAssertEqual(a.floats[0], 42)
        XCTAssertEqual(try a.transposed().toArray(), [42, 4, 2, 5, 3, 6])
        XCTAssertThrowsError(try a.reshaped([4, -1]))
        XCTAssertThrowsError(try a.reshaped([-1, -1]))
        XCTAssertThrowsError(try Tensor(zeros: [Int.max, 2])) { error in
            XCTAssertTrue(String(describing: error).contains("too many elements"))
        }
    }

    func testReductionsAndSparsity() throws {
        let t = try Tensor(shape: [4], values: [3, 0, -4, 0])
        XCTAssertEqual(try t.sum(), -1)
        XCTAssertEqual(try t.norm(), 5)
        XCTAssertEqual(try t.maxValue(), 3)
        XCTAssertEqual(try t.minValue(), -4)
        XCTAssertEqual(t.sparsity(), 0.5)
        XCTAssertThrowsError(try Tensor(zeros: [0]).mean())
    }

    func testHalfPrecisionDecoding() {
        XCTAssertEqual(Float(halfBits: 0x3C00), 1)
        XCTAssertEqual(Float(halfBits: 0xC000), -2)
        XCTAssertEqual(Float(halfBits: 0x7BFF), 65504)
        XCTAssertEqual(Float(halfBits: 0x0001), Float(sign: .plus, exponent: -24, significand: 1))
        XCTAssertEqual(Float(halfBits: 0x0200), Float(sign: .plus, exponent: -15, significand: 1))
        XCTAssertTrue(Float(halfBits: 0x7C00).isInfinite)
        XCTAssertTrue(Float(halfBits: 0x7E00).isNaN)
    }

    func testSeededGeneratorIsReproducible() throws {
        var g1 = SeededGenerator(seed: 7), g2 = SeededGenerator(seed: 7)
        XCTAssertEqual(try Tensor.randn([64], generator: &g1).toArray(), try Tensor.randn([64], generator: &g2).toArray())
        var g3 = SeededGenerator(seed: 1)
        let u = try Tensor.rand([10000], lo: -1, hi: 1, generator: &g3)
        XCTAssertGreaterThanOrEqual(try u.minValue(), -1)
        XCTAssertLessThan(try u.maxValue(), 1)
        XCTAssertEqual(try u.mean(), 0, accuracy: 0.03)
    }

    func testFormattingElidesLongDimensions() throws {
        let t = try Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        XCTAssertEqual(t.description, "tensor([[1., 2.],\n        [3., 4.]], shape=(2, 2), dtype=f32)")
        XCTAssertEqual(try Tensor(zeros: [0, 3]).description, "tensor([[]], shape=(0, 3), dtype=f32)")
        XCTAssertEqual(Tensor(scalar: 2.5).description, "tensor(2.5000, shape=(), dtype=f32)")
        let big = try Tensor(zeros: [40, 40])
        let lines = big.description.split(separator: "\n")
        XCTAssertEqual(lines.count, 7, big.description)  // 3 rows, "...", 3 rows
        XCTAssertTrue(big.description.contains("..."))
    }
}
