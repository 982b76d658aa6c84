import CKernels

/// f32 matrix-vector primitives; GEMM routes its m == 1 and n == 1 shapes here.
public enum GEMV {
    /// Rows per task when threads share a GEMV.
    static let rowsPerTask = 64

    /// y[i*yStride] = dot(matrix[i*ld ..< i*ld+length], x) + beta*y[i*yStride] for i in 0..<rows.
    public static func dotRows(rows: Int, length: Int, matrix: UnsafePointer<Float>, ld: Int,
                               x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, yStride: Int, beta: Float) {
        let tasks = rows * length < 1 << 16 ? 1 : (rows + rowsPerTask - 1) / rowsPerTask
        let isa = KernelISA.active.rawValue
        KernelThreads.parallelFor(tasks) { t in
            let lo = rows * t / tasks, hi = rows * (t + 1) / tasks
            // One row at a time: measured here, interleaving 2-4 rows at a 16 KB stride streams
            // 3x slower from DRAM than finishing each row before the next.
            for i in lo..<hi { finish(&y[i * yStride], ck_dot_f32(isa, length, matrix + i * ld, x), beta) }
        }
    }

    @inline(__always) static func finish(_ y: inout Float, _ v: Float, _ beta: Float) {
        y = beta == 0 ? v : v + beta * y
    }

    /// f32 dot product of n elements at the active ISA.
    @inline(__always)
    static func dot1(_ n: Int, _ r: UnsafePointer<Float>, _ x: UnsafePointer<Float>) -> Float {
        ck_dot_f32(KernelISA.active.rawValue, n, r, x)
    }

    /// y[0..<length] = sum over p < rows of x[p] * matrix[p*ld ..< p*ld+length] + beta*y.
    public static func axpyRows(rows: Int, length: Int, matrix: UnsafePointer<Float>, ld: Int,
                                x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, beta: Float) {
        // Column slabs of 256 keep each thread's slice of y in registers/L1 across all rows.
        let slab = 256
        let slabs = (length + slab - 1) / slab
        let tasks = rows * length < 1 << 16 ? 1 : slabs
        let isa = KernelISA.active.rawValue
        KernelThreads.parallelFor(tasks) { t in
            let lo = tasks == 1 ? 0 : t * slab, hi = tasks == 1 ? length : min(length, lo + slab)
            GEMM.scaleRow(y + lo, hi - lo, beta)
            ck_axpy_rows(isa, rows, hi - lo, matrix + lo, ld, x, y + lo)
        }
    }
}
