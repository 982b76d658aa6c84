/// Fast f32 matrix multiply entry point (row-major, same contract as `Reference.sgemm`).
public enum GEMM {
    /// Depth of one packed block (rows of op(B) per pass): an A micro-panel (MR x kc) fits L1.
    static let kc = 256
    /// `kc` for callers: every C element is one FMA chain over the depth, restarted at each multiple
    /// of this (attention starts its key ranges on one so that any batch sums alike).
    public static var depthBlock: Int { kc }
    /// Columns of op(B) packed per block: kc x nc floats stay in L2 while A panels stream past.
    static let nc = 512
    /// Rows of op(A) packed per block.
    static let mc = 128
    /// Below this many multiply-adds, threads cost more than they save.
    static let parallelThreshold = 1 << 21

    /// C = op(A)·op(B) + beta·C, row-major; op(A) is m×k (A stored k×m when transA),
    /// op(B) is k×n (B stored n×k when transB).
    public static func sgemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        if isEmpty(m: m, n: n, k: k, c: c, ldc: ldc, beta: beta) { return }
        if n == 1 || m == 1 {
            gemvDispatch(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc, beta: beta)
            return
        }
        let threads = m * n * k < parallelThreshold ? 1 : KernelThreads.count
        let kernel = GEMMKernel(KernelISA.active)
        if threads == 1 {
            blocked(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc, beta: beta,
                    kernel: kernel)
            return
        }
        // Split the larger output side into one slab per thread; each slab is an independent GEMM
        // with its own packing buffers, so threads share nothing but read-only A and B.
        let splitColumns = n >= m
        let unit = splitColumns ? kernel.nr : kernel.mr
        let extent = splitColumns ? n : m
        let units = (extent + unit - 1) / unit
        let chunks = min(threads, units)
        KernelThreads.parallelFor(chunks) { t in
            let lo = units * t / chunks * unit, hi = min(extent, units * (t + 1) / chunks * unit)
            if lo >= hi { return }
            if splitColumns {
                let bOff = transB ? lo * ldb : lo
                blocked(m: m, n: hi - lo, k: k, a: a, lda: lda, transA: transA, b: b + bOff, ldb: ldb, transB: transB,
                        c: c + lo, ldc: ldc, beta: beta, kernel: kernel)
            } else {
                let aOff = transA ? lo : lo * lda
                blocked(m: hi - lo, n: n, k: k, a: a + aOff, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB,
                        c: c + lo * ldc, ldc: ldc, beta: beta, kernel: kernel)
            }
        }
    }

    /// C = op(A)·op(B) + beta·C like `sgemm`, on the calling thread only: for callers that already
    /// spread independent products over the kernel threads (attention runs one per head and query block).
    public static func sgemmOnThisThread(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        if isEmpty(m: m, n: n, k: k, c: c, ldc: ldc, beta: beta) { return }
        blocked(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc, beta: beta)
    }

    /// True (with C scaled by beta when k is 0) when there is no product to take.
    static func isEmpty(m: Int, n: Int, k: Int, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) -> Bool {
        if m <= 0 || n <= 0 { return true }
        if k > 0 { return false }
        for i in 0..<m { scaleRow(c + i * ldc, n, beta) }
        return true
    }

    /// Single-threaded blocked GEMM: loops jc (nc) → pc (kc, pack B) → ic (mc, pack A) → ir (MR) → jr (NR).
    static func blocked(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float, kernel: GEMMKernel = GEMMKernel(KernelISA.active)
    ) {
        let mr = kernel.mr, nr = kernel.nr
        let ncPad = (min(nc, n) + nr - 1) / nr * nr
        let mcPad = (min(mc, m) + mr - 1) / mr * mr
        let kcMax = min(kc, k)
        withScratch(kcMax * ncPad) { packedB in
            withScratch(kcMax * mcPad) { packedA in
                var jc = 0
                while jc < n {
                    let ncb = min(nc, n - jc)
                    var pc = 0
                    while pc < k {
                        let kcb = min(kc, k - pc)
                        let blockBeta: Float = pc == 0 ? beta : 1
                        GEMMPack.packB(b, ldb: ldb, transB: transB, p0: pc, kc: kcb, j0: jc, nc: ncb, nr: nr, into: packedB)
                        var ic = 0
                        while ic < m {
                            let mcb = min(mc, m - ic)
                            GEMMPack.packA(a, lda: lda, transA: transA, i0: ic, mc: mcb, p0: pc, kc: kcb, mr: mr, into: packedA)
                            var ir = 0
                            while ir < mcb {
                                let rows = min(mr, mcb - ir)
                                let ap = packedA + ir * kcb
                                var jr = 0
                                while jr < ncb {
                                    kernel.run(kc: kcb, a: ap, b: packedB + jr * kcb,
                                                   c: c + (ic + ir) * ldc + jc + jr, ldc: ldc,
                                                   rows: rows, cols: min(nr, ncb - jr), beta: blockBeta)
                                    jr += nr
                                }
                                ir += mr
                            }
                            ic += mc
                        }
                        pc += kc
                    }
                    jc += nc
                }
            }
        }
    }

    static func scaleRow(_ row: UnsafeMutablePointer<Float>, _ n: Int, _ beta: Float) {
        if beta == 1 { return }
        for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
    }

    /// Routes the m == 1 or n == 1 shapes to the two GEMV primitives (a dot per row, or a sum of scaled rows).
    static func gemvDispatch(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float
    ) {
        if n == 1 {
            // y[i] = op(A)[i]·x with x[p] = op(B)[p][0]
            let xStride = transB ? 1 : ldb
            withContiguous(b, count: k, stride: xStride) { x in
                if !transA {
                    GEMV.dotRows(rows: m, length: k, matrix: a, ld: lda, x: x, y: c, yStride: ldc, beta: beta)
                } else {
                    withStrided(c, count: m, stride: ldc) { y in
                        GEMV.axpyRows(rows: k, length: m, matrix: a, ld: lda, x: x, y: y, beta: beta)
                    }
                }
            }
        } else {
            // y[j] = sum_p x[p]·op(B)[p][j] with x[p] = op(A)[0][p]
            let xStride = transA ? lda : 1
            withContiguous(a, count: k, stride: xStride) { x in
                if transB {
                    GEMV.dotRows(rows: n, length: k, matrix: b, ld: ldb, x: x, y: c, yStride: 1, beta: beta)
                } else {
                    GEMV.axpyRows(rows: k, length: n, matrix: b, ld: ldb, x: x, y: c, beta: beta)
                }
            }
        }
    }

    static func withContiguous(_ p: UnsafePointer<Float>, count: Int, stride: Int, _ body: (UnsafePointer<Float>) -> Void) {
        if stride == 1 { body(p); return }
        withScratch(count) { t in
            for i in 0..<count { t[i] = p[i * stride] }
            body(t)
        }
    }

    static func withStrided(_ p: UnsafeMutablePointer<Float>, count: Int, stride: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        if stride == 1 { body(p); return }
        withScratch(count) { t in
            for i in 0..<count { t[i] = p[i * stride] }
            body(t)
            for i in 0..<count { p[i * stride] = t[i] }
        }
    }
}
