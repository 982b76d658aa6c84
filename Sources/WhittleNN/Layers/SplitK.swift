import WhittleKernels

/// C (m×n) += A (m×k, row stride lda) · Bᵀ (B stored n×k, row stride ldb), splitting k across
/// threads when the output is too small for GEMM's own row/column split (the first conv's
/// 20×25 weight gradient summed over ~70k positions would otherwise run on one core).
func accumulateABt(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   c: UnsafeMutablePointer<Float>) {
    let threads = KernelThreads.count
    guard threads > 1, m * n <= 64 * 64, k >= 4096 else {
        GEMM.sgemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transB: true, c: c, ldc: n, beta: 1)
        return
    }
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: threads * m * n)
    defer { partial.deallocate() }
    KernelThreads.parallelFor(threads) { t in
        let lo = k * t / threads, hi = k * (t + 1) / threads
        GEMM.sgemm(m: m, n: n, k: hi - lo, a: a + lo, lda: lda, b: b + lo, ldb: ldb, transB: true,
                   c: partial + t * m * n, ldc: n, beta: 0)
    }
    for t in 0..<threads {
        let p = partial + t * m * n
        for i in 0..<(m * n) { c[i] += p[i] }
    }
}
