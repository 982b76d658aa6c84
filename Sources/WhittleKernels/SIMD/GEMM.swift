/// Fast f32 matrix multiply entry point (row-major, same contract as `Reference.sgemm`).
public enum GEMM {
    public static func sgemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        // Row-parallel i-k-j loop: contiguous in B and C, vectorised by the compiler.
        // The packed, register-blocked kernel replaces this in the kernels issue.
        if transA || transB {
            Reference.sgemm(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc, beta: beta)
            return
        }
        KernelThreads.parallelFor(min(m, KernelThreads.count * 4)) { chunk in
            let chunks = min(m, KernelThreads.count * 4)
            let lo = m * chunk / chunks, hi = m * (chunk + 1) / chunks
            for i in lo..<hi {
                let crow = c + i * ldc
                if beta == 0 { for j in 0..<n { crow[j] = 0 } } else if beta != 1 { for j in 0..<n { crow[j] *= beta } }
                for p in 0..<k {
                    let av = a[i * lda + p]
                    if av == 0 { continue }
                    let brow = b + p * ldb
                    for j in 0..<n { crow[j] += av * brow[j] }
                }
            }
        }
    }
}
