import WhittleKernels

/// Scaled dot-product attention as GEMMs: the scores of a set of query rows are one product Q·Kᵀ
/// over the keys any of them may see, each row is masked and softmaxed over its own key range, and
/// the output is one product P·V. A prompt runs per head and block of 64 queries; a decoded token
/// runs per key/value head, its query heads being the rows.
///
/// Every output element is the same sequence of float operations whichever way it is reached: the
/// GEMM micro-kernel sums each element in one FMA chain over the depth, restarted at every multiple
/// of its depth block (the key range starts on such a multiple here), masked scores are exact zeros
/// (fma(0, v, s) = s), and each row's softmax sees only its own range. So a prompt run in one batch
/// gives bit for bit the logits of the same tokens decoded one at a time: greedy decoding follows
/// the argmax of a full forward, and with activations quantized to 8 bits (where a change in the
/// last bit of one value can move a logit by tenths) nothing depends on how the tokens were batched.
public enum BlockAttention {
    /// Queries per task in a prompt: enough rows for the GEMM micro-kernel, few enough that a long
    /// prompt still gives every thread several tasks.
    static let queryBlock = 64

    /// out (n, heads·headDim) = softmax(scale · q·Kᵀ + mask) · V for queries at positions
    /// firstPosition..<firstPosition+n, keys/values (total, kvHeads·headDim).
    public static func attend(q: UnsafePointer<Float>, n: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                              total: Int, firstPosition: Int, heads: Int, kvHeads: Int, headDim: Int,
                              scale: Float, mask: AttentionMask, out: UnsafeMutablePointer<Float>) {
        let group = heads / kvHeads
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        if n == 1 {
            // One token: a group's query heads are consecutive rows of headDim floats.
            KernelThreads.parallelFor(kvHeads) { kvh in
                let offset = kvh * group * headDim
                rows(group, q: q + offset, ldq: headDim, out: out + offset, ldo: headDim, position: { _ in firstPosition },
                     keys: keys + kvh * headDim, values: values + kvh * headDim, ldkv: kvWidth, total: total,
                     headDim: headDim, scale: scale, mask: mask)
            }
            return
        }
        let blocks = (n + queryBlock - 1) / queryBlock
        KernelThreads.parallelFor(heads * blocks) { task in
            let h = task % heads, b = task / heads
            let lo = b * queryBlock, count = min(n, lo + queryBlock) - lo
            let kvh = h / group
            rows(count, q: q + lo * qWidth + h * headDim, ldq: qWidth, out: out + lo * qWidth + h * headDim, ldo: qWidth,
                 position: { firstPosition + lo + $0 }, keys: keys + kvh * headDim, values: values + kvh * headDim,
                 ldkv: kvWidth, total: total, headDim: headDim, scale: scale, mask: mask)
        }
    }

    /// `count` query rows (ldq apart) at non-decreasing positions against one key/value head, on the
    /// calling thread.
    static func rows(_ count: Int, q: UnsafePointer<Float>, ldq: Int, out: UnsafeMutablePointer<Float>, ldo: Int,
                     position: (Int) -> Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, ldkv: Int,
                     total: Int, headDim: Int, scale: Float, mask: AttentionMask) {
        // Key ranges only move forward with the position, so the rows' keys lie in [first row's lower
        // bound, last row's upper bound); the start goes down to a depth-block boundary so that P·V
        // restarts its sums at the same keys for any set of rows.
        let first = mask.keyRange(position: position(0), total: total)
        let last = mask.keyRange(position: position(count - 1), total: total)
        let k0 = first.lowerBound / GEMM.depthBlock * GEMM.depthBlock
        let width = max(last.upperBound, first.lowerBound) - k0
        guard width > 0 else {
            for r in 0..<count { (out + r * ldo).update(repeating: 0, count: headDim) }
            return
        }
        // No zero fill: the first GEMM (beta 0) writes every score and the masks write the rest.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: count * width) { sbuf in
            guard let s = sbuf.baseAddress else { return }
            GEMM.sgemmOnThisThread(m: count, n: width, k: headDim, a: q, lda: ldq,
                                   b: keys + k0 * ldkv, ldb: ldkv, transB: true, c: s, ldc: width)
            for r in 0..<count {
                let row = s + r * width
                let range = mask.keyRange(position: position(r), total: total)
                let a = max(range.lowerBound - k0, 0), e = max(range.upperBound - k0, a)
                if a > 0 { row.update(repeating: 0, count: a) }
                if e < width { (row + e).update(repeating: 0, count: width - e) }
                guard e > a else { continue }
                for j in a..<e { row[j] *= scale }
                VectorMath.softmax(row + a, e - a)
            }
            GEMM.sgemmOnThisThread(m: count, n: headDim, k: width, a: s, lda: width,
                                   b: values + k0 * ldkv, ldb: ldkv, c: out, ldc: ldo)
        }
    }
}
