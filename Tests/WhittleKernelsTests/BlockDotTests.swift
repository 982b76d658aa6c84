import XCTest
import WhittleKernels

/// The ggml block dot products (AVX-512, AVX2 and the scalar reference) and GGMLMatmul on top.
final class BlockDotTests: XCTestCase {
    func dot(_ t: GGMLType, _ isa: KernelISA, k: Int, _ w: [UInt8], _ a: [UInt8]) -> Float {
        w.withUnsafeBytes { wp in a.withUnsafeBytes { ap in
            GGMLMatmul.dot(t, isa: isa, k: k, weights: wp.baseAddress!, activations: ap.baseAddress!)
        } }
    }

    /// With every scale 1 the dot product is an integer: each ISA must give exactly the scalar
    /// reference's value, and the f64 sum of decoded weights times codes.
    func testIntegerResultsExactOnEveryISA() {
        var rng = TestRNG(131)
        for t in GGMLTestBlocks.blockTypes {
            let k = t.blockSize == 256 ? 512 : 32 * 37
            let limit = t.blockSize == 256 ? 3 : 31  // keeps every partial sum below 2^24
            for trial in 0..<4 {
                let w = GGMLTestBlocks.weights(t, rows: 1, k: k, exact: true, rng: &rng)
                let a = GGMLTestBlocks.exactActivations(for: t, k: k, limit: limit, rng: &rng)
                let wd = GGMLTestBlocks.decode(t, w, k: k), ad = GGMLTestBlocks.decodeActivations(for: t, a, k: k)
                let expected = zip(wd, ad).reduce(0.0) { $0 + $1.0 * $1.1 }
                let scalar = dot(t, .scalar, k: k, w, a)
                XCTAssertEqual(Double(scalar), expected, "\(t) scalar vs decoded, trial \(trial)")
                for isa in KernelISA.supported {
                    XCTAssertEqual(dot(t, isa, k: k, w, a), scalar, "\(t) \(isa) vs scalar, trial \(trial)")
                }
            }
        }
    }

    /// The GEMV kernel (several weight rows against one activation row; Q4_0 and Q5_0 take the
    /// prepared-activation path there) gives each row's exact integer dot product on every ISA.
    func testGEMVRowsExactOnEveryISA() {
        var rng = TestRNG(135)
        for t in GGMLTestBlocks.blockTypes {
            let k = t.blockSize == 256 ? 512 : 32 * 37, rows = 5, rowBytes = k / t.blockSize * t.blockBytes
            let limit = t.blockSize == 256 ? 3 : 31
            let w = GGMLTestBlocks.weights(t, rows: rows, k: k, exact: true, rng: &rng)
            let a = GGMLTestBlocks.exactActivations(for: t, k: k, limit: limit, rng: &rng)
            let ad = GGMLTestBlocks.decodeActivations(for: t, a, k: k)
            let expected: [Float] = (0..<rows).map { r in
                let wd = GGMLTestBlocks.decode(t, Array(w[r * rowBytes..<(r + 1) * rowBytes]), k: k)
                return Float(zip(wd, ad).reduce(0.0) { $0 + $1.0 * $1.1 })
            }
            for isa in KernelISA.supported {
                var y = [Float](repeating: .nan, count: rows)
                w.withUnsafeBytes { wp in a.withUnsafeBytes { ap in y.withUnsafeMutableBufferPointer { yp in
                    GGMLMatmul.rowDots(t, isa: isa, k: k, rows: rows, weights: wp.baseAddress!, rowBytes: rowBytes,
                                       activations: ap.baseAddress!, into: yp.baseAddress!)
                } } }
                XCTAssertEqual(y, expected, "\(t) \(isa) GEMV rows")
            }
        }
    }

    /// Realistic scales and activations quantized from floats: the SIMD levels agree with the scalar
    /// reference to float rounding, and the reference agrees with "decode, then f64 dot with the
    /// unquantized x" within the Q8 rounding of x: sum over j of |w_j| * d_block(j) / 2, where d is
    /// the activation block's scale (amax/127), plus the f16 rounding of Q8_1's block sums.
    func testRandomBlocksAgainstDequantizedDot() {
        var rng = TestRNG(132)
        for t in GGMLTestBlocks.blockTypes {
            for nb in [1, 3, 16] {
                let k = t.blockSize * nb
                let w = GGMLTestBlocks.weights(t, rows: 1, k: k, exact: false, rng: &rng)
                let x = rng.floats(k).map { $0 * 2 }
                let act = GGMLMatmul.activationType(for: t)!
                var a = [UInt8](repeating: 0, count: act.rowBytes(k)!)
                x.withUnsafeBufferPointer { xp in a.withUnsafeMutableBytes { GGMLMatmul.quantizeActivations(for: t, xp.baseAddress!, k: k, into: $0.baseAddress!) } }
                let wd = GGMLTestBlocks.decode(t, w, k: k)
                let exact = zip(wd, x).reduce(0.0) { $0 + $1.0 * Double($1.1) }
                let bs = act.blockSize
                var bound = 0.0, magnitude = 0.0
                for b in 0..<k / bs {
                    let amax = x[b * bs..<(b + 1) * bs].map { Double(abs($0)) }.max() ?? 0
                    let wsum = wd[b * bs..<(b + 1) * bs].map(abs).reduce(0, +)
                    bound += wsum * amax / 127 / 2
                    magnitude += wsum * amax
                }
                if act == .q8_1 { bound += magnitude * 1e-3 }  // s = f16(d * sum q): 11-bit mantissa
                bound = bound * 1.01 + 1e-5 * magnitude
                let scalar = Double(dot(t, .scalar, k: k, w, a))
                XCTAssertLessThanOrEqual(abs(scalar - exact), bound, "\(t) nb=\(nb): scalar \(scalar) vs dequantized \(exact)")
                for isa in KernelISA.supported {
                    let v = Double(dot(t, isa, k: k, w, a))
                    XCTAssertLessThanOrEqual(abs(v - scalar), 1e-5 * magnitude + 1e-6, "\(t) \(isa) nb=\(nb): \(v) vs scalar \(scalar)")
                }
            }
        }
    }

    /// The Q8_0 dot of the 256-bit vpdpbusd kernels (AVX-VNNI, and its EVEX twin on AVX-512 VNNI) gives
    /// the AVX2 kernel's bits: the same i32 lanes (vpdpbusd sums the four products vpmaddubsw + vpmaddwd
    /// sum) and the same float order. Weights include -128 (the sign trick's edge).
    func testQ8_0VNNI256MatchesAVX2Bits() {
        guard KernelISA.supported.contains(.avx2) else { return }
        var rng = TestRNG(133)
        for nb in [1, 2, 3, 37] {
            let k = 32 * nb
            var w = GGMLTestBlocks.weights(.q8_0, rows: 1, k: k, exact: false, rng: &rng)
            for b in 0..<nb { w[b * 34 + 2] = 0x80; w[b * 34 + 33] = 0x80 }
            let x = rng.floats(k).map { $0 * 3 }
            var a = [UInt8](repeating: 0, count: GGMLType.q8_0.rowBytes(k)!)
            x.withUnsafeBufferPointer { xp in a.withUnsafeMutableBytes { GGMLMatmul.quantizeActivations(for: .q8_0, xp.baseAddress!, k: k, into: $0.baseAddress!) } }
            let avx2 = dot(.q8_0, .avx2, k: k, w, a)
            var ran = 0
            for evex in [false, true] {
                let v = w.withUnsafeBytes { wp in a.withUnsafeBytes { ap in
                    GGMLMatmul.dotQ8_0VNNI256(evex: evex, k: k, weights: wp.baseAddress!, activations: ap.baseAddress!)
                } }
                if let v { XCTAssertEqual(v.bitPattern, avx2.bitPattern, "evex=\(evex) nb=\(nb): \(v) vs \(avx2)"); ran += 1 }
            }
            if KernelISA.best == .avx512 { XCTAssertGreaterThan(ran, 0, "the EVEX twin should run on this CPU") }
        }
    }

    /// f32, f16 and bf16 weights: small integers make every level exact.
    func testFloatWeightTypesExact() throws {
        var rng = TestRNG(133)
        for k in [1, 7, 8, 31, 32, 33, 100, 257] {
            let wv = (0..<k).map { _ in Float(rng.int(-8...8)) }, x = (0..<k).map { _ in Float(rng.int(-8...8)) }
            let expected = zip(wv, x).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let halves = wv.map { Half.bits($0) }, bf = wv.map { BFloat16.bits($0) }
            for isa in KernelISA.supported {
                let f32 = wv.withUnsafeBytes { wp in x.withUnsafeBytes { GGMLMatmul.dot(.f32, isa: isa, k: k, weights: wp.baseAddress!, activations: $0.baseAddress!) } }
                let f16 = halves.withUnsafeBytes { wp in x.withUnsafeBytes { GGMLMatmul.dot(.f16, isa: isa, k: k, weights: wp.baseAddress!, activations: $0.baseAddress!) } }
                let b16 = bf.withUnsafeBytes { wp in x.withUnsafeBytes { GGMLMatmul.dot(.bf16, isa: isa, k: k, weights: wp.baseAddress!, activations: $0.baseAddress!) } }
                XCTAssertEqual(f32, expected, "f32 \(isa) k=\(k)")
                XCTAssertEqual(f16, expected, "f16 \(isa) k=\(k)")
                XCTAssertEqual(b16, expected, "bf16 \(isa) k=\(k)")
            }
        }
    }

    /// GGMLMatmul on edge shapes (0 and 1 rows, odd counts, a 32-row batch): each level matches the
    /// scalar level, and each batch row equals the single-row product bit for bit (same quantized x).
    func testMatmulShapesEveryTypeEveryISA() throws {
        var rng = TestRNG(134)
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        KernelThreads.count = 2
        let types: [GGMLType] = [.f32, .f16, .bf16] + GGMLTestBlocks.blockTypes
        for t in types {
            let k = t.blockSize == 256 ? 512 : 96
            // f16/bf16 batches widen weight rows in tiles of up to 512 (GGMLMatmul.widenRows): 1100 rows
            // on 2 threads make tiles of 512, 512 and 76, checked against rows taken one at a time below.
            let wide = t == .f16 || t == .bf16 ? [(8, 1100)] : []
            for (m, n) in [(0, 5), (1, 0), (1, 1), (3, 7), (7, 33), (32, 65)] + wide {
                let w: [UInt8]
                if t == .f32 { w = rng.floats(n * k).withUnsafeBytes { Array($0) } }
                else if t == .f16 { w = rng.floats(n * k).map { Half.bits($0) }.withUnsafeBytes { Array($0) } }
                else if t == .bf16 { w = rng.floats(n * k).map { BFloat16.bits($0) }.withUnsafeBytes { Array($0) } }
                else { w = GGMLTestBlocks.weights(t, rows: n, k: k, exact: false, rng: &rng) }
                let x = rng.floats(m * k)
                func run(_ isa: KernelISA, rows: Int, from row: Int = 0) throws -> [Float] {
                    var y = [Float](repeating: .nan, count: rows * n)
                    try KernelISA.with(isa) {
                        try x.withUnsafeBufferPointer { xp in try w.withUnsafeBytes { wp in try y.withUnsafeMutableBufferPointer { yp in
                            try GGMLMatmul.matmul(t, m: rows, n: n, k: k, x: xp.baseAddress! + row * k, weights: wp.baseAddress!, y: yp.baseAddress!)
                        } } }
                    }
                    return y
                }
                let reference = try run(.scalar, rows: m)
                XCTAssertFalse(reference.contains { $0.isNaN }, "\(t) m=\(m) n=\(n): unwritten outputs")
                for isa in KernelISA.supported {
                    let y = try run(isa, rows: m)
                    assertClose(y, reference, rel: 2e-5, scale: Float(k).squareRoot(), "\(t) \(isa) m=\(m) n=\(n)")
                    if n == 1100 {
                        for row in 0..<m {
                            let single = try run(isa, rows: 1, from: row)
                            assertClose(Array(y[row * n..<(row + 1) * n]), single, rel: 2e-5, scale: Float(k).squareRoot(), "\(t) \(isa) wide tiles, row \(row)")
                        }
                    }
                    if m > 1 && t != .f32 && t != .f16 && t != .bf16 {
                        let last = try run(isa, rows: 1, from: m - 1)
                        XCTAssertEqual(Array(y[(m - 1) * n..<m * n]).map(\.bitPattern), last.map(\.bitPattern), "\(t) \(isa): batch row vs single row")
                    }
                }
            }
        }
    }

    func testRejectsRowLengthNotMultipleOfBlock() {
        var y = [Float](repeating: 0, count: 1)
        let x = [Float](repeating: 0, count: 300), w = [UInt8](repeating: 0, count: 1024)
        XCTAssertThrowsError(try GGMLMatmul.matmul(.q4_K, m: 1, n: 1, k: 288, x: x, weights: w, y: &y)) { error in
            XCTAssertEqual("\(error)", "q4_K: row length 288 is not a multiple of the block size 256")
        }
        XCTAssertThrowsError(try GGMLMatmul.matmul(.q4_0, m: 1, n: 1, k: 33, x: x, weights: w, y: &y))
    }
}
