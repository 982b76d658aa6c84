import WhittleKernels

/// Attention for many queries at once (prompt processing, encoders, calibration): per head and block
/// of consecutive queries, the scores are one GEMM Q·Kᵀ over the keys any query of the block may see,
/// each row is masked and softmaxed over its own key range, and the output is one GEMM P·V. The
/// query-by-query loop does the same arithmetic with dot products and axpys at a few GFLOPS; here the
/// two products run at GEMM speed. Results agree with the loop to float rounding (the sums are
/// taken in another order).
public enum BlockAttention {
    /// Queries per task: enough rows for the GEMM micro-kernel, few enough that a long prompt still
    /// gives every thread several tasks.
    static let queryBlock = 64
    /// From this many queries on, `AttentionCore.attend` comes here; fewer go query by query,
    /// where packing the GEMM operands would cost more than it saves.
    static let minimumQueries = 8

    /// Same contract as `AttentionCore.attend`.
    public static func attend(q: UnsafePointer<Float>, n: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                       total: Int, firstPosition: Int, heads: Int, kvHeads: Int, headDim: Int,
                       scale: Float, mask: AttentionMask, out: UnsafeMutablePointer<Float>) {
        let group = heads / kvHeads
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        let blocks = (n + queryBlock - 1) / queryBlock
        KernelThreads.parallelFor(heads * blocks) { task in
            let h = task % heads, b = task / heads
            let lo = b * queryBlock, hi = min(n, lo + queryBlock), rows = hi - lo
            let kvh = h / group
            // Key ranges only move forward with the query position, so the block's keys are
            // [first query's lower bound, last query's upper bound).
            let first = mask.keyRange(position: firstPosition + lo, total: total)
            let last = mask.keyRange(position: firstPosition + hi - 1, total: total)
            let k0 = first.lowerBound, k1 = max(last.upperBound, k0), width = k1 - k0
            let qBlock = q + lo * qWidth + h * headDim
            let oBlock = out + lo * qWidth + h * headDim
            guard width > 0 else {
                for r in 0..<rows { (oBlock + r * qWidth).update(repeating: 0, count: headDim) }
                return
            }
            var scores = [Float](repeating: 0, count: rows * width)
            scores.withUnsafeMutableBufferPointer { sbuf in
                guard let s = sbuf.baseAddress else { return }
                GEMM.sgemmOnThisThread(m: rows, n: width, k: headDim, a: qBlock, lda: qWidth,
                                       b: keys + k0 * kvWidth + kvh * headDim, ldb: kvWidth, transB: true, c: s, ldc: width)
                for r in 0..<rows {
                    let row = s + r * width
                    let range = mask.keyRange(position: firstPosition + lo + r, total: total)
                    let a = range.lowerBound - k0, e = range.upperBound - k0
                    if a > 0 { row.update(repeating: 0, count: a) }
                    if e < width { (row + max(e, 0)).update(repeating: 0, count: width - max(e, 0)) }
                    guard e > a else { continue }
                    for j in a..<e { row[j] *= scale }
                    VectorMath.softmax(row + a, e - a)
                }
                GEMM.sgemmOnThisThread(m: rows, n: headDim, k: width, a: s, lda: width,
                                       b: values + k0 * kvWidth + kvh * headDim, ldb: kvWidth, c: oBlock, ldc: qWidth)
            }
        }
    }
}
