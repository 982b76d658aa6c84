import CKernels

extension GGMLMatmul {
    /// The Q8_0 dot product of the 256-bit vpdpbusd kernels, for tests: `evex` false is the AVX-VNNI code
    /// the AVX2 level takes on such CPUs, true the same code in EVEX form; nil when this CPU lacks it.
    public static func dotQ8_0VNNI256(evex: Bool, k: Int, weights: UnsafeRawPointer, activations: UnsafeRawPointer) -> Float? {
        var out: Float = 0
        return ck_dot_q8_0_vnni256(evex ? 1 : 0, k, weights, activations, &out) != 0 ? out : nil
    }
}
