import WhittleKernels

extension AttentionCore {
    /// Query rows per task of the batched path: a block's scores (rows x keys) stay in L2.
    static let queryBlock = 64
    /// From this many queries on, attention runs as two GEMMs per head and query block.
    static let batchedFrom = 16

    /// The prefill form of `attend`: per (head, block of queries), scores = Q·Kᵀ over the keys any
    /// query of the block may see (one GEMM), masked softmax row by row, then out = P·V (a second
    /// GEMM). Same result as the row-by-row loop up to the order of float sums.
    static func attendBatched(q: UnsafePointer<Float>, n: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                              total: Int, firstPosition: Int, heads: Int, kvHeads: Int, headDim: Int,
                              scale: Float, mask: AttentionMask, out: UnsafeMutablePointer<Float>) {
        let group = heads / kvHeads
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        let blocks = (n + queryBlock - 1) / queryBlock
        KernelThreads.parallelFor(heads * blocks) { task in
            let h = task % heads, b = task / heads
            let lo = b * queryBlock, hi = min(n, lo + queryBlock), rows = hi - lo
            let kvh = h / group
            let first = mask.keyRange(position: firstPosition + lo, total: total)
            let last = mask.keyRange(position: firstPosition + hi - 1, total: total)
            let k0 = min(first.lowerBound, last.lowerBound), k1 = max(first.upperBound, last.upperBound)
            let o = out + lo * qWidth + h * headDim
            guard k1 > k0 else {
                for i in 0..<rows { (o + i * qWidth).update(repeating: 0, count: headDim) }
                return
            }
            let count = k1 - k0
            let s = UnsafeMutablePointer<Float>.allocate(capacity: rows * count)
            defer { s.deallocate() }
            GEMM.sgemmSerial(m: rows, n: count, k: headDim, a: q + lo * qWidth + h * headDim, lda: qWidth,
                             b: keys + k0 * kvWidth + kvh * headDim, ldb: kvWidth, transB: true, c: s, ldc: count)
            for i in 0..<rows {
                let row = s + i * count
                let range = mask.keyRange(position: firstPosition + lo + i, total: total)
                let a = max(range.lowerBound, k0) - k0, e = min(range.upperBound, k1) - k0
                if a > 0 { row.update(repeating: 0, count: a) }
                if e < count { (row + e).update(repeating: 0, count: count - e) }
                guard e > a else { continue }
                for j in a..<e { row[j] *= scale }
                VectorMath.softmax(row + a, e - a)
            }
            GEMM.sgemmSerial(m: rows, n: headDim, k: count, a: s, lda: count,
                             b: values + k0 * kvWidth + kvh * headDim, ldb: kvWidth, c: o, ldc: qWidth)
        }
    }
}
