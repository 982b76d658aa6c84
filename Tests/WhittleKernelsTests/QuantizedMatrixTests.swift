import XCTest
import WhittleKernels

/// The quantized-matrix facade used by `whittle.quantize.tensor`: sizes, round trips and products.
final class QuantizedMatrixTests: XCTestCase {
    func testEveryFormatMultipliesLikeItsDequantizedMatrix() throws {
        var rng = TestRNG(51)
        let rows = 40, cols = 128, n = 3
        let w = rng.floats(rows * cols), x = rng.floats(n * cols)
        let cases: [(QuantizedMatrix.Format, Bool, Int, Bool, Int, Float)] = [
            (.int8, true, 32, false, rows * cols + rows * 4, 0.02),
            (.int8, false, 32, false, rows * cols + 4, 0.02),
            (.int8, true, 32, true, rows * cols + rows * 5, 0.02),
            (.q8_0, true, 32, false, rows * cols / 32 * 34, 0.02),
            (.q4_0, true, 32, false, rows * cols / 32 * 18, 0.1),
            (.int4, true, 64, false, rows * cols / 2 + rows * 2 * 2, 0.1),
        ]
        for (format, perChannel, group, zp, bytes, tol) in cases {
            let q = try QuantizedMatrix(w, rows: rows, cols: cols, format: format, perChannel: perChannel, group: group, zeroPoint: zp)
            XCTAssertEqual(q.byteCount, bytes, "\(format) bytes")
            var deq = [Float](repeating: .nan, count: rows * cols)
            q.dequantize(into: &deq)
            // Quantization error is bounded relative to the largest weight magnitude (<= 1 here).
            for i in 0..<deq.count { XCTAssertEqual(deq[i], w[i], accuracy: format == .q4_0 || format == .int4 ? 0.15 : 0.01, "\(format) element \(i)") }
            var y = [Float](repeating: .nan, count: n * rows), ref = [Float](repeating: 0, count: n * rows)
            try q.linear(x, count: n, into: &y)
            Reference.sgemm(m: n, n: rows, k: cols, a: x, lda: cols, b: deq, ldb: cols, transB: true, c: &ref, ldc: rows)
            // Activation quantization (int8/q8_0/q4_0) adds about 1% of |x|·|w| per product.
            assertClose(y, ref, rel: tol, scale: Float(cols).squareRoot(), "\(format) per_channel=\(perChannel) zp=\(zp)")
        }
    }

    func testRejectsUnsupportedShapesAndOptions() {
        let w = [Float](repeating: 1, count: 2 * 48)
        XCTAssertThrowsError(try QuantizedMatrix(w, rows: 2, cols: 48, format: .q8_0)) {
            XCTAssertEqual($0 as? KernelError, .notBlockMultiple(format: "q8_0", length: 48, block: 32))
        }
        XCTAssertThrowsError(try QuantizedMatrix(w, rows: 2, cols: 48, format: .int4, group: 32))
        XCTAssertThrowsError(try QuantizedMatrix(w, rows: 1, cols: 96, format: .int4, group: 16))
        XCTAssertThrowsError(try QuantizedMatrix(w, rows: 2, cols: 48, format: .int8, perChannel: false, zeroPoint: true))
        XCTAssertNoThrow(try QuantizedMatrix(w, rows: 2, cols: 48, format: .int8))
    }

    /// Empty rows give an all-zero product in every format (no block storage to read).
    func testZeroColumnsGiveZeros() throws {
        for format in QuantizedMatrix.Format.allCases {
            let q = try QuantizedMatrix([Float](), rows: 3, cols: 0, format: format)
            var y = [Float](repeating: .nan, count: 6)
            try q.linear([Float](), count: 2, into: &y)
            XCTAssertEqual(y, [0, 0, 0, 0, 0, 0], "\(format)")
        }
    }
}
