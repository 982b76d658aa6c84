/// Products of f32 activations with Q8_0/Q4_0 weight matrices (n rows of k/32 ggml blocks).
public enum QuantMatmul {
    /// y (m x n) = x (m x k) · Wᵀ with x quantized to Q8_0 blocks first and integer block dot
    /// products at the active ISA, as ggml does (GGMLMatmul). k must be a multiple of 32.
    public static func matmul(format: QuantFormat, m: Int, n: Int, k: Int, x: UnsafePointer<Float>,
                              weights: UnsafeRawPointer, y: UnsafeMutablePointer<Float>) throws {
        guard k % 32 == 0 else { throw KernelError.notBlockMultiple(format: "\(format)", length: k, block: 32) }
        try GGMLMatmul.matmul(format == .q8_0 ? .q8_0 : .q4_0, m: m, n: n, k: k, x: x, weights: weights, y: y)
    }

    /// The alternative: dequantize 64 weight rows at a time to f32 and run the f32 GEMM on them.
    public static func matmulDequantizing(format: QuantFormat, m: Int, n: Int, k: Int, x: UnsafePointer<Float>,
                                          weights: UnsafeRawPointer, y: UnsafeMutablePointer<Float>) throws {
        guard k % 32 == 0 else { throw KernelError.notBlockMultiple(format: "\(format)", length: k, block: 32) }
        if m == 0 || n == 0 { return }
        let rowsPerTile = 64, rowBytes = k / 32 * format.blockBytes
        let tiles = (n + rowsPerTile - 1) / rowsPerTile
        let saved = KernelThreads.count
        // Threads split the tiles; each tile's GEMM then runs on the calling thread.
        KernelThreads.parallelFor(min(tiles, saved)) { t in
            withScratch(rowsPerTile * k) { wf in
                var tile = t
                while tile < tiles {
                    let r0 = tile * rowsPerTile, rows = min(rowsPerTile, n - r0)
                    let src = weights + r0 * rowBytes
                    for b in 0..<rows * k / 32 {
                        if format == .q8_0 { Quantize.dequantizeQ8_0Block(src + b * 34, wf + b * 32) } else { Quantize.dequantizeQ4_0Block(src + b * 18, wf + b * 32) }
                    }
                    if m == 1 {
                        for r in 0..<rows { y[r0 + r] = GEMV.dot1(k, wf + r * k, x) }
                    } else {
                        GEMM.blocked(m: m, n: rows, k: k, a: x, lda: k, transA: false, b: wf, ldb: k, transB: true, c: y + r0, ldc: n, beta: 0)
                    }
                    tile += min(tiles, saved)
                }
            }
        }
    }
}
