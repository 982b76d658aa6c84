/// f32 matrix-vector primitives; GEMM routes its m == 1 and n == 1 shapes here.
public enum GEMV {
    /// Rows per task when threads share a GEMV.
    static let rowsPerTask = 64

    /// y[i*yStride] = dot(matrix[i*ld ..< i*ld+length], x) + beta*y[i*yStride] for i in 0..<rows.
    public static func dotRows(rows: Int, length: Int, matrix: UnsafePointer<Float>, ld: Int,
                               x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, yStride: Int, beta: Float) {
        let tasks = rows * length < 1 << 16 ? 1 : (rows + rowsPerTask - 1) / rowsPerTask
        KernelThreads.parallelFor(tasks) { t in
            let lo = rows * t / tasks, hi = rows * (t + 1) / tasks
            // One row at a time: measured here, interleaving 2-4 rows at a 16 KB stride streams
            // 3x slower from DRAM than finishing each row before the next.
            for i in lo..<hi { finish(&y[i * yStride], dot1(length, matrix + i * ld, x), beta) }
        }
    }

    @inline(__always) static func finish(_ y: inout Float, _ v: Float, _ beta: Float) {
        y = beta == 0 ? v : v + beta * y
    }

    @inline(__always)
    static func dot1(_ n: Int, _ r: UnsafePointer<Float>, _ x: UnsafePointer<Float>) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var p = 0
        while p + 32 <= n {
            a0 = a0.addingProduct(load16(r + p), load16(x + p))
            a1 = a1.addingProduct(load16(r + p + 16), load16(x + p + 16))
            p += 32
        }
        while p + 16 <= n { a0 = a0.addingProduct(load16(r + p), load16(x + p)); p += 16 }
        var s = (a0 + a1).sum()
        while p < n { s += r[p] * x[p]; p += 1 }
        return s
    }

    /// y[0..<length] = sum over p < rows of x[p] * matrix[p*ld ..< p*ld+length] + beta*y.
    public static func axpyRows(rows: Int, length: Int, matrix: UnsafePointer<Float>, ld: Int,
                                x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, beta: Float) {
        // Column slabs of 256 keep each thread's slice of y in registers/L1 across all rows.
        let slab = 256
        let slabs = (length + slab - 1) / slab
        let tasks = rows * length < 1 << 16 ? 1 : slabs
        KernelThreads.parallelFor(tasks) { t in
            let lo = tasks == 1 ? 0 : t * slab, hi = tasks == 1 ? length : min(length, lo + slab)
            GEMM.scaleRow(y + lo, hi - lo, beta)
            var j = lo
            while j + 64 <= hi {
                var y0 = load16(y + j), y1 = load16(y + j + 16), y2 = load16(y + j + 32), y3 = load16(y + j + 48)
                for p in 0..<rows {
                    let s = SIMD16<Float>(repeating: x[p]), r = matrix + p * ld + j
                    y0 = y0.addingProduct(s, load16(r)); y1 = y1.addingProduct(s, load16(r + 16))
                    y2 = y2.addingProduct(s, load16(r + 32)); y3 = y3.addingProduct(s, load16(r + 48))
                }
                store16(y0, y + j); store16(y1, y + j + 16); store16(y2, y + j + 32); store16(y3, y + j + 48)
                j += 64
            }
            while j + 16 <= hi {
                var y0 = load16(y + j)
                for p in 0..<rows { y0 = y0.addingProduct(SIMD16<Float>(repeating: x[p]), load16(matrix + p * ld + j)) }
                store16(y0, y + j)
                j += 16
            }
            while j < hi {
                var s = y[j]
                for p in 0..<rows { s += x[p] * matrix[p * ld + j] }
                y[j] = s
                j += 1
            }
        }
    }
}
