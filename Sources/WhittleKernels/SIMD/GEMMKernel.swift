import CKernels

/// The register-blocked f32 micro-kernel, one per ISA (CKernels): 8 x 32 in 16 zmm accumulators
/// on AVX-512, 6 x 16 in 12 ymm accumulators on AVX2 (16 registers) and in the scalar reference.
struct GEMMKernel {
    /// The ISA whose kernel this is.
    let isa: KernelISA
    /// Rows per tile (broadcast from packed A).
    let mr: Int
    /// Columns per tile (vectors from packed B).
    let nr: Int

    init(_ isa: KernelISA) {
        self.isa = isa
        mr = Int(ck_sgemm_mr(isa.rawValue))
        nr = Int(ck_sgemm_nr(isa.rawValue))
    }

    /// tile = sum over p of a[p*MR + r] * b[p*NR + c]; then C = tile + beta*C on the
    /// top-left rows x cols corner.
    @inline(__always)
    func run(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
             c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, beta: Float) {
        ck_sgemm_tile(isa.rawValue, kc, a, b, c, ldc, Int32(rows), Int32(cols), beta)
    }
}
