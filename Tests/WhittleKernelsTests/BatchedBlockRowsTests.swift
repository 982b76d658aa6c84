import XCTest
import WhittleKernels

/// Batched block products (prompt processing) against the same rows computed one at a time
/// (generation): Q4_0 and Q5_0 take 8-row panels over prepared activations, Q8_0 its tiles.
final class BatchedBlockRowsTests: XCTestCase {
    static let types: [GGMLType] = [.q4_0, .q5_0, .q8_0]

    func matmul(_ t: GGMLType, m: Int, n: Int, k: Int, x: UnsafePointer<Float>, w: [UInt8]) throws -> [Float] {
        var y = [Float](repeating: .nan, count: m * n)
        try w.withUnsafeBytes { wp in try y.withUnsafeMutableBufferPointer { yp in
            try GGMLMatmul.matmul(t, m: m, n: n, k: k, x: x, weights: wp.baseAddress!, y: yp.baseAddress!)
        } }
        return y
    }

    /// Every row of a batch (m = 1, 2, 3, 5, 17, 64; odd weight row counts, so short panels and
    /// tiles; an odd number of blocks; one and several threads) equals that activation row run alone,
    /// bit for bit, at every ISA level; and each output is within the Q8 rounding of the activations
    /// of "dequantize the weights, then dot with the unquantized x" (the bound of BlockDotTests:
    /// sum over blocks of sum|w| * amax/127/2, plus 1e-5 of the magnitude for the f32 sums).
    func testBatchRowsEqualSingleRowsEveryISA() throws {
        var rng = TestRNG(141)
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        for t in Self.types {
            for (k, n, threads) in [(32 * 37, 83, 2), (96, 13, 1), (64, 1, 1)] {
                KernelThreads.count = threads
                let rowBytes = t.rowBytes(k)!
                let w = GGMLTestBlocks.weights(t, rows: n, k: k, exact: false, rng: &rng)
                let decoded = (0..<n).map { GGMLTestBlocks.decode(t, Array(w[$0 * rowBytes..<($0 + 1) * rowBytes]), k: k) }
                for m in [1, 2, 3, 5, 17, 64] {
                    let x = rng.floats(m * k).map { $0 * 2 }
                    try forEachISA { isa in
                        let batch = try x.withUnsafeBufferPointer { try matmul(t, m: m, n: n, k: k, x: $0.baseAddress!, w: w) }
                        for i in 0..<m {
                            let single = try x.withUnsafeBufferPointer { try matmul(t, m: 1, n: n, k: k, x: $0.baseAddress! + i * k, w: w) }
                            XCTAssertEqual(Array(batch[i * n..<(i + 1) * n]).map(\.bitPattern), single.map(\.bitPattern),
                                           "\(t) \(isa) k=\(k) n=\(n) m=\(m): batch row \(i) vs the row alone")
                            let xi = Array(x[i * k..<(i + 1) * k])
                            for r in 0..<n {
                                let (exact, bound) = Self.dequantizedDot(decoded[r], xi)
                                XCTAssertLessThanOrEqual(abs(Double(batch[i * n + r]) - exact), bound,
                                                         "\(t) \(isa) k=\(k) m=\(m) row \(r) x \(i)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Q4_0 and Q5_0 take the same integer and f32 steps at the AVX2 and AVX-512 levels, so the two
    /// give the same bits (batch and single row alike).
    func testOffsetTypesSameBitsOnAVX2AndAVX512() throws {
        let levels = KernelISA.supported.filter { $0 != .scalar }
        guard levels.count > 1 else { throw XCTSkip("needs both the AVX2 and AVX-512 levels") }
        var rng = TestRNG(142)
        for t: GGMLType in [.q4_0, .q5_0] {
            let k = 32 * 21, n = 45, m = 11
            let w = GGMLTestBlocks.weights(t, rows: n, k: k, exact: false, rng: &rng)
            let x = rng.floats(m * k)
            var results: [[UInt32]] = []
            for isa in levels {
                results.append(try KernelISA.with(isa) {
                    try x.withUnsafeBufferPointer { try matmul(t, m: m, n: n, k: k, x: $0.baseAddress!, w: w) }.map(\.bitPattern)
                })
            }
            XCTAssertEqual(results[0], results[1], "\(t): \(levels[0]) vs \(levels[1])")
        }
    }

    /// Codes at the ends of their ranges (every weight code 0 or 15/31, activations +-127) with
    /// scales 1: the integer sums are exact, so every level gives the f64 dot product exactly.
    func testExtremeCodesExact() throws {
        for t: GGMLType in [.q4_0, .q5_0] {
            let k = 32 * 9, n = 9, m = 9, rowBytes = t.rowBytes(k)!
            var w = [UInt8](repeating: 0, count: n * rowBytes)
            for r in 0..<n {
                for b in 0..<k / 32 {
                    let o = r * rowBytes + b * t.blockBytes
                    GGMLTestBlocks.putHalf(&w, o, 1)
                    let high = (r + b) % 2 == 0
                    for j in 2..<t.blockBytes { w[o + j] = high ? 0xFF : 0 }
                }
            }
            // x = +-127 exactly representable: Q8_0 of a block with amax 127 has d = 1.
            let x = (0..<m * k).map { i in Float((i / 3) % 2 == 0 ? 127 : -127) }
            let decoded = (0..<n).map { GGMLTestBlocks.decode(t, Array(w[$0 * rowBytes..<($0 + 1) * rowBytes]), k: k) }
            try forEachISA { isa in
                let y = try x.withUnsafeBufferPointer { try matmul(t, m: m, n: n, k: k, x: $0.baseAddress!, w: w) }
                for i in 0..<m {
                    for r in 0..<n {
                        let exact = zip(decoded[r], x[i * k..<(i + 1) * k]).reduce(0.0) { $0 + $1.0 * Double($1.1) }
                        XCTAssertEqual(Double(y[i * n + r]), exact, "\(t) \(isa) row \(r) x \(i)")
                    }
                }
            }
        }
    }

    /// "Decode, then f64 dot with x" and the bound for Q8_0-quantized activations.
    static func dequantizedDot(_ wd: [Double], _ x: [Float]) -> (Double, Double) {
        var exact = 0.0, bound = 0.0, magnitude = 0.0
        for b in 0..<x.count / 32 {
            let amax = x[b * 32..<(b + 1) * 32].map { Double(abs($0)) }.max() ?? 0
            var wsum = 0.0
            for j in b * 32..<(b + 1) * 32 { wsum += abs(wd[j]); exact += wd[j] * Double(x[j]) }
            bound += wsum * amax / 127 / 2
            magnitude += wsum * amax
        }
        return (exact, bound * 1.01 + 1e-5 * magnitude + 1e-6)
    }
}
