import XCTest
import WhittleKernels

/// The int8 kernels (VNNI, AVX2, scalar) against the integer reference: results must be exactly equal.
final class Int8GEMMTests: XCTestCase {
    func randomInt8(_ rng: inout TestRNG, _ n: Int) -> [Int8] { (0..<n).map { _ in Int8(truncatingIfNeeded: rng.next()) } }

    func testExactI32ProductsOnEdgeShapes() {
        var rng = TestRNG(11)
        // m: 1 (GEMV path), 8 (full tile), odd; n: not multiples of 32, one or two panels;
        // k: not multiples of 4 and past one 256-byte k slice; m past one 128-row block (AVX-512) and
        // 64-row block with 1-3 leftover rows (AVX2's 4-row tiles); values cover -128 and 127.
        for (m, n, k) in [(1, 1, 1), (1, 33, 7), (1, 64, 64), (1, 97, 130), (3, 5, 9), (8, 32, 4), (9, 65, 31), (17, 40, 257), (2, 100, 1000), (131, 37, 300), (70, 47, 515), (5, 17, 2)] {
            var x = randomInt8(&rng, m * k), w = randomInt8(&rng, n * k)
            x[0] = -128; w[0] = -128
            if k > 1 { x[1] = 127; w[1] = 127 }
            let scales = [Float](repeating: 1, count: n)
            let packed = PackedInt8Weights(values: w, n: n, k: k, scales: scales, zeros: nil)
            var expected = [Int32](repeating: 0, count: m * n)
            Reference.gemmI8(m: m, n: n, k: k, x: x, w: w, out: &expected)
            forEachISA { isa in
                var got = [Int32](repeating: 7, count: m * n)
                Int8GEMM.matmulI32(m: m, x: x, ldx: k, weights: packed, out: &got)
                XCTAssertEqual(got, expected, "\(isa) m=\(m) n=\(n) k=\(k)")
                // Without -128 the AVX2 GEMV takes its 8-bit path (it checks for -128 and widens otherwise).
                let x127 = x.map { max($0, -127) }
                var ref127 = expected, got127 = got
                Reference.gemmI8(m: m, n: n, k: k, x: x127, w: w, out: &ref127)
                Int8GEMM.matmulI32(m: m, x: x127, ldx: k, weights: packed, out: &got127)
                XCTAssertEqual(got127, ref127, "\(isa) x in [-127, 127] m=\(m) n=\(n) k=\(k)")
            }
        }
    }

    /// The extremes everywhere (255 x -128 as the kernels see it: activation 127 or -128 against weight
    /// -128 or 127), on sizes around every tile and block edge, 0 and 1 included: each ISA level and
    /// the 256-bit vpdpbusd variants this CPU has give exactly the reference's integers.
    func testExtremeValuesExactOnEveryPath() {
        var rng = TestRNG(15)
        let shapes = [(1, 1, 1), (1, 1, 0), (3, 5, 0), (1, 32, 4), (2, 31, 9), (3, 33, 1), (4, 8, 4), (5, 7, 13), (6, 16, 256),
                      (7, 40, 257), (13, 64, 260), (97, 45, 515), (1, 65, 4100), (2, 3, 1030)]
        let patterns: [(String, (Int) -> Int8, (Int) -> Int8)] = [
            ("127 x -128", { _ in 127 }, { _ in -128 }),
            ("-128 x -128", { _ in -128 }, { _ in -128 }),
            ("-128 x 127", { _ in -128 }, { _ in 127 }),
            ("alternating extremes", { $0 % 3 == 0 ? -128 : 127 }, { $0 % 2 == 0 ? -128 : 127 }),
            ("random", { _ in Int8(truncatingIfNeeded: rng.next()) }, { _ in Int8(truncatingIfNeeded: rng.next()) }),
        ]
        for (m, n, k) in shapes {
            for (name, xv, wv) in patterns {
                let x = (0..<(m * k)).map(xv), w = (0..<(n * k)).map(wv)
                let packed = PackedInt8Weights(values: w, n: n, k: k, scales: [Float](repeating: 1, count: n), zeros: nil)
                var expected = [Int32](repeating: 0, count: m * n)
                Reference.gemmI8(m: m, n: n, k: k, x: x, w: w, out: &expected)
                forEachISA { isa in
                    var got = [Int32](repeating: 7, count: m * n)
                    Int8GEMM.matmulI32(m: m, x: x, ldx: k, weights: packed, out: &got)
                    XCTAssertEqual(got, expected, "\(isa) \(name) m=\(m) n=\(n) k=\(k)")
                }
                for evex in [false, true] {
                    var got = [Int32](repeating: 7, count: m * n)
                    if Int8GEMM.matmulI32VNNI256(evex: evex, m: m, x: x, ldx: k, weights: packed, out: &got) {
                        XCTAssertEqual(got, expected, "vpdpbusd ymm evex=\(evex) \(name) m=\(m) n=\(n) k=\(k)")
                    }
                }
            }
        }
    }

    /// The vpdpbusd variants run on this machine when it has AVX-512 VNNI (the EVEX twin) or AVX-VNNI.
    func testVNNI256VariantRunsWhereTheCPUHasIt() {
        let w = PackedInt8Weights(values: [Int8](repeating: 3, count: 8), n: 2, k: 4, scales: [1, 1], zeros: nil)
        var out = [Int32](repeating: 0, count: 2)
        let ran = Int8GEMM.matmulI32VNNI256(evex: true, m: 1, x: [1, 2, 3, -128], ldx: 4, weights: w, out: &out)
        XCTAssertEqual(ran, KernelISA.best == .avx512, "the EVEX twin runs exactly when the AVX-512 level does")
        if ran { XCTAssertEqual(out, [-366, -366]) }
    }

    func testThreadedLargeProductExact() {
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        KernelThreads.count = 2
        var rng = TestRNG(12)
        let m = 33, n = 300, k = 301
        let x = randomInt8(&rng, m * k), w = randomInt8(&rng, n * k)
        let packed = PackedInt8Weights(values: w, n: n, k: k, scales: [Float](repeating: 1, count: n), zeros: nil)
        var expected = [Int32](repeating: 0, count: m * n)
        Reference.gemmI8(m: m, n: n, k: k, x: x, w: w, out: &expected)
        forEachISA { isa in
            var got = [Int32](repeating: 0, count: m * n)
            Int8GEMM.matmulI32(m: m, x: x, ldx: k, weights: packed, out: &got)
            XCTAssertEqual(got, expected, "\(isa)")
        }
    }

    /// f32 in, f32 out: identical bits to the reference pipeline (same quantization, exact integers, same scaling).
    func testLinearMatchesReferenceBitForBit() {
        var rng = TestRNG(13)
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        KernelThreads.count = 2
        // The last shape is large enough to split panels across threads (each finishing its own columns).
        for (m, n, k, zp) in [(1, 70, 45, false), (5, 33, 64, true), (12, 9, 100, false), (1, 1, 3, true), (20, 300, 200, true)] {
            let x = rng.floats(m * k).map { $0 * 3 }
            let w = randomInt8(&rng, n * k)
            let scales = (0..<n).map { _ in abs(rng.float()) * 0.1 + 0.01 }
            let zeros: [Int8] = (0..<n).map { _ in Int8(truncatingIfNeeded: rng.next() % 21) &- 10 }
            forEachISA { isa in
                var got = [Float](repeating: .nan, count: m * n), expected = [Float](repeating: 0, count: m * n)
                zeros.withUnsafeBufferPointer { zb in
                    let z = zp ? zb.baseAddress : nil
                    let packed = PackedInt8Weights(values: w, n: n, k: k, scales: scales, zeros: z)
                    Int8GEMM.linear(m: m, x: x, weights: packed, y: &got)
                    Reference.linearInt8(m: m, n: n, k: k, x: x, w: w, scales: scales, zeros: z, y: &expected)
                }
                XCTAssertEqual(got.map(\.bitPattern), expected.map(\.bitPattern), "\(isa) m=\(m) n=\(n) k=\(k) zp=\(zp)")
            }
        }
    }

    /// End to end: quantize f32 weights per channel, run the int8 Linear, land near the f32 product.
    func testLinearApproximatesFloatProduct() {
        var rng = TestRNG(14)
        let m = 4, n = 48, k = 256
        let x = rng.floats(m * k), wf = rng.floats(n * k)
        let layout = PerChannelInt8Layout(rows: n, cols: k, hasZeroPoint: false)
        var q = [Int8](repeating: 0, count: n * k), s = [Float](repeating: 0, count: n)
        Quantize.int8Rows(wf, layout: layout, values: &q, scales: &s, zeros: nil)
        let packed = PackedInt8Weights(values: q, n: n, k: k, scales: s, zeros: nil)
        var y = [Float](repeating: 0, count: m * n), ref = y
        Int8GEMM.linear(m: m, x: x, weights: packed, y: &y)
        Reference.sgemm(m: m, n: n, k: k, a: x, lda: k, b: wf, ldb: k, transB: true, c: &ref, ldc: n)
        for i in 0..<y.count { XCTAssertEqual(y[i], ref[i], accuracy: 0.15, "element \(i)") }
    }
}
