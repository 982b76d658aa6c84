/// Scalar reference kernels: the specification the SIMD kernels are tested against.
public enum Reference {
    /// C = A·B + beta·C for row-major A (m×k, leading dimension lda), B (k×n, ldb), C (m×n, ldc).
    /// `transA`/`transB` read A or B as stored transposed (A as k×m, B as n×k).
    public static func sgemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    acc += av * bv
                }
                c[i * ldc + j] = acc + (beta == 0 ? 0 : beta * c[i * ldc + j])
            }
        }
    }
}
