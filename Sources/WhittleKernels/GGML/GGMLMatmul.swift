/// Products of f32 activations with a weight matrix stored in any supported ggml type
/// (f32, f16, bf16 or a block type): the one entry point transformer layers call.
public enum GGMLMatmul {
    /// y (m x n) = x (m x k) · Wᵀ, W being n rows of k elements in `type`'s layout at `weights`.
    /// k must be a multiple of the type's block size.
    public static func matmul(_ type: GGMLType, m: Int, n: Int, k: Int, x: UnsafePointer<Float>,
                              weights: UnsafeRawPointer, y: UnsafeMutablePointer<Float>) throws {
        guard type.isSupported else { throw KernelError.unsupportedOption("\(type.upperName) weights are not supported") }
        guard let rowBytes = type.rowBytes(k) else {
            throw KernelError.notBlockMultiple(format: type.description, length: k, block: type.blockSize)
        }
        if m == 0 || n == 0 { return }
        // The kernels work replaces this with ISA-dispatched block dot products (x quantized to
        // Q8_0/Q8_K as ggml does) and the packed f32 GEMM; the reference below is their spec.
        try referenceRows(type, m: m, n: n, k: k, x: x, weights: weights, rowBytes: rowBytes, y: y)
    }

    /// The reference: decode each weight row to f32 and take f32 dot products with every x row.
    static func referenceRows(_ type: GGMLType, m: Int, n: Int, k: Int, x: UnsafePointer<Float>,
                              weights: UnsafeRawPointer, rowBytes: Int, y: UnsafeMutablePointer<Float>) throws {
        let tasks = min(n, KernelThreads.count * 4)
        KernelThreads.parallelFor(tasks) { t in
            let lo = n * t / tasks, hi = n * (t + 1) / tasks
            let row = UnsafeMutablePointer<Float>.allocate(capacity: max(k, 1))
            defer { row.deallocate() }
            for r in lo..<hi {
                GGMLCodec.dequantize(type, weights + r * rowBytes, row, count: k)
                for i in 0..<m {
                    let xi = x + i * k
                    var s: Float = 0
                    for j in 0..<k { s += xi[j] * row[j] }
                    y[i * n + r] = s
                }
            }
        }
    }
}
