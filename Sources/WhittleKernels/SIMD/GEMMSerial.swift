extension GEMM {
    /// `sgemm` on the calling thread only: for callers that already split their work over
    /// `KernelThreads` (attention runs one GEMM per head and query block).
    public static func sgemmSerial(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 || m == 1 || n == 1 {
            sgemm(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc, beta: beta)
            return
        }
        blocked(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc, beta: beta)
    }
}
