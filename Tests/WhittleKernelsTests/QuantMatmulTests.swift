import XCTest
import WhittleKernels

/// Q8_0/Q4_0 products against the scalar specification (activations quantized to Q8_0 as in ggml).
final class QuantMatmulTests: XCTestCase {
    func quantized(_ format: QuantFormat, _ w: [Float]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: w.count / 32 * format.blockBytes)
        if format == .q8_0 { try Quantize.q8_0(w, count: w.count, into: &out) } else { try Quantize.q4_0(w, count: w.count, into: &out) }
        return out
    }

    func testMatchesReferenceOnShapes() throws {
        var rng = TestRNG(21)
        for format in [QuantFormat.q8_0, .q4_0] {
            for (m, n, k) in [(1, 1, 32), (1, 37, 96), (3, 17, 64), (1, 300, 320), (9, 40, 160)] {
                let x = rng.floats(m * k), w = rng.floats(n * k)
                let q = try quantized(format, w)
                var got = [Float](repeating: .nan, count: m * n), viaF32 = got, expected = got
                for isa in KernelISA.supported where isa != KernelISA.best {
                    var other = got
                    try KernelISA.with(isa) { try QuantMatmul.matmul(format: format, m: m, n: n, k: k, x: x, weights: q, y: &other) }
                    try QuantMatmul.matmul(format: format, m: m, n: n, k: k, x: x, weights: q, y: &got)
                    assertClose(other, got, rel: 1e-5, scale: Float(k).squareRoot(), "\(format) \(isa) vs \(KernelISA.best)")
                }
                try QuantMatmul.matmul(format: format, m: m, n: n, k: k, x: x, weights: q, y: &got)
                try QuantMatmul.matmulDequantizing(format: format, m: m, n: n, k: k, x: x, weights: q, y: &viaF32)
                try Reference.matmulQuant(format: format, m: m, n: n, k: k, x: x, weights: q, y: &expected)
                // Same integers, f32 vs f64 summation of the scaled block sums.
                assertClose(got, expected, rel: 1e-4, scale: Float(k).squareRoot(), "\(format) m=\(m) n=\(n) k=\(k)")
                // Dequantize-then-f32 skips the activation quantization: within its error (about 1% here).
                var deq = [Float](repeating: 0, count: n * k), exact = [Float](repeating: 0, count: m * n)
                if format == .q8_0 { try Quantize.dequantizeQ8_0(q, count: n * k, into: &deq) } else { try Quantize.dequantizeQ4_0(q, count: n * k, into: &deq) }
                Reference.sgemm(m: m, n: n, k: k, a: x, lda: k, b: deq, ldb: k, transB: true, c: &exact, ldc: n)
                assertClose(viaF32, exact, rel: 1e-4, scale: Float(k).squareRoot(), "dequantizing \(format) m=\(m) n=\(n) k=\(k)")
                assertClose(got, exact, rel: 0.02, scale: Float(k).squareRoot(), "q8 activations \(format) m=\(m) n=\(n) k=\(k)")
            }
        }
    }

    func testRejectsRowLengthNotMultipleOf32() {
        var y = [Float](repeating: 0, count: 1)
        let x = [Float](repeating: 0, count: 33), w = [UInt8](repeating: 0, count: 64)
        XCTAssertThrowsError(try QuantMatmul.matmul(format: .q4_0, m: 1, n: 1, k: 33, x: x, weights: w, y: &y))
    }
}
