/// The register-blocked f32 micro-kernel: an MR x NR tile of C held in 16 zmm accumulators.
enum GEMMKernel {
    /// Rows per tile (broadcast from packed A).
    static let mr = 8
    /// Columns per tile (two SIMD16 vectors from packed B).
    static let nr = 32

    /// tile = sum over p of a[p*MR + r] * b[p*NR + c]; then C = tile + beta*C on the
    /// top-left rows x cols corner (partial tiles go through a stack buffer).
    @inline(never)
    static func run(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, beta: Float) {
        var c0a = SIMD16<Float>(), c0b = SIMD16<Float>(), c1a = SIMD16<Float>(), c1b = SIMD16<Float>()
        var c2a = SIMD16<Float>(), c2b = SIMD16<Float>(), c3a = SIMD16<Float>(), c3b = SIMD16<Float>()
        var c4a = SIMD16<Float>(), c4b = SIMD16<Float>(), c5a = SIMD16<Float>(), c5b = SIMD16<Float>()
        var c6a = SIMD16<Float>(), c6b = SIMD16<Float>(), c7a = SIMD16<Float>(), c7b = SIMD16<Float>()
        var pa = a, pb = b
        for _ in 0..<kc {
            let b0 = load16(pb), b1 = load16(pb + 16)
            var x = SIMD16<Float>(repeating: pa[0])
            c0a = c0a.addingProduct(x, b0); c0b = c0b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: pa[1])
            c1a = c1a.addingProduct(x, b0); c1b = c1b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: pa[2])
            c2a = c2a.addingProduct(x, b0); c2b = c2b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: pa[3])
            c3a = c3a.addingProduct(x, b0); c3b = c3b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: pa[4])
            c4a = c4a.addingProduct(x, b0); c4b = c4b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: pa[5])
            c5a = c5a.addingProduct(x, b0); c5b = c5b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: pa[6])
            c6a = c6a.addingProduct(x, b0); c6b = c6b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: pa[7])
            c7a = c7a.addingProduct(x, b0); c7b = c7b.addingProduct(x, b1)
            pa += 8; pb += 32
        }
        if rows == mr && cols == nr {
            write(c0a, c0b, c, beta); write(c1a, c1b, c + ldc, beta)
            write(c2a, c2b, c + 2 * ldc, beta); write(c3a, c3b, c + 3 * ldc, beta)
            write(c4a, c4b, c + 4 * ldc, beta); write(c5a, c5b, c + 5 * ldc, beta)
            write(c6a, c6b, c + 6 * ldc, beta); write(c7a, c7b, c + 7 * ldc, beta)
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: mr * nr) { buf in
            let t = buf.baseAddress!
            store16(c0a, t); store16(c0b, t + 16); store16(c1a, t + 32); store16(c1b, t + 48)
            store16(c2a, t + 64); store16(c2b, t + 80); store16(c3a, t + 96); store16(c3b, t + 112)
            store16(c4a, t + 128); store16(c4b, t + 144); store16(c5a, t + 160); store16(c5b, t + 176)
            store16(c6a, t + 192); store16(c6b, t + 208); store16(c7a, t + 224); store16(c7b, t + 240)
            for r in 0..<rows {
                let row = c + r * ldc
                for j in 0..<cols { row[j] = t[r * nr + j] + (beta == 0 ? 0 : beta * row[j]) }
            }
        }
    }

    @inline(__always)
    static func write(_ lo: SIMD16<Float>, _ hi: SIMD16<Float>, _ c: UnsafeMutablePointer<Float>, _ beta: Float) {
        if beta == 0 {
            store16(lo, c); store16(hi, c + 16)
        } else if beta == 1 {
            store16(lo + load16(c), c); store16(hi + load16(c + 16), c + 16)
        } else {
            let s = SIMD16<Float>(repeating: beta)
            store16(lo.addingProduct(s, load16(c)), c); store16(hi.addingProduct(s, load16(c + 16)), c + 16)
        }
    }
}
