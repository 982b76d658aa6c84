import Foundation

/// SparseGPT (Frantar & Alistarh 2023): prunes a weight matrix column by column, choosing the
/// weights to drop by w² / [H⁻¹]_jj² within each lazy batch (or within each group of M for N:M)
/// and compensating the kept weights through the inverse Hessian, as the reference does.
public enum SparseGPT {
    /// The sparsity pattern.
    public enum Pattern: Equatable {
        /// A fraction of each batch of columns, chosen across all rows of that batch.
        case unstructured(Double)
        /// N zeros in every group of M consecutive inputs of a row.
        case nm(n: Int, m: Int)
    }

    /// The pruned matrix (rows x cols, row-major) and the reference's loss.
    public struct Result {
        public var values: [Float]
        public var loss: Double
        public var damp: Double
    }

    /// Prunes `w` (rows x cols; rows are output channels) given the input Hessian `h` (f64;
    /// converted to f32 for the work).
    public static func prune(_ w: [Float], rows: Int, cols: Int, hessian h: [Double], pattern: Pattern,
                             blockSize: Int = 128, damp: Double = 0.01) throws -> Result {
        var hf = h.map { Float($0) }
        return try prune(w, rows: rows, cols: cols, hessian: &hf, pattern: pattern, blockSize: blockSize, damp: damp)
    }

    /// As `prune(_:rows:cols:hessian:pattern:blockSize:damp:)` with an f32 Hessian used as the
    /// work buffer: on return `h` holds the inverse factor, not H.
    public static func prune(_ w: [Float], rows: Int, cols: Int, hessian h: inout [Float], pattern: Pattern,
                             blockSize: Int = 128, damp: Double = 0.01) throws -> Result {
        guard rows > 0, cols > 0, w.count == rows * cols, h.count == cols * cols else {
            throw CalibrationError.invalid("sparsegpt: weight/hessian sizes disagree")
        }
        var bs = blockSize
        switch pattern {
        case .unstructured(let s):
            guard s >= 0, s < 1 else { throw CalibrationError.invalid("sparsegpt: sparsity must be in [0, 1), got \(s)") }
        case .nm(let n, let m):
            guard m > 0, n >= 0, n <= m, cols % m == 0 else {
                throw CalibrationError.invalid("sparsegpt: \(n):\(m) needs 0 <= n <= m and rows whose length (\(cols)) is a multiple of m")
            }
            bs = max(m, blockSize / m * m)
        }
        var w = w
        for j in 0..<cols where h[j * cols + j] == 0 {
            h[j * cols + j] = 1
            for r in 0..<rows { w[r * cols + j] = 0 }
        }
        let used = try h.withUnsafeMutableBufferPointer { try SPD.dampedInverseUpperInPlace($0.baseAddress!, cols, percent: damp) }
        let u = h
        var loss = 0.0
        var err = [Float](repeating: 0, count: rows * bs)
        var mask = [Bool](repeating: false, count: rows * bs)
        var i1 = 0
        while i1 < cols {
            let i2 = min(i1 + bs, cols), count = i2 - i1
            for k in 0..<mask.count { mask[k] = false }
            if case .unstructured(let s) = pattern {
                // Row-and-column-wide threshold over this batch's saliencies.
                var sal = [Float](); sal.reserveCapacity(rows * count)
                for r in 0..<rows { for i in 0..<count {
                    let d = u[(i1 + i) * cols + i1 + i], v = w[r * cols + i1 + i]
                    sal.append(v * v / (d * d))
                } }
                let k = Int(Double(sal.count) * s)
                if k > 0 {
                    let thresh = sal.sorted()[k - 1]
                    var dropped = 0
                    // Drop exactly k: those strictly below the threshold, then ties in order.
                    for pass in 0..<2 { for r in 0..<rows { for i in 0..<count where dropped < k && !mask[r * bs + i] {
                        let sv = sal[r * count + i]
                        if pass == 0 ? sv < thresh : sv == thresh { mask[r * bs + i] = true; dropped += 1 }
                    } } }
                }
            }
            for i in 0..<count {
                let col = i1 + i
                if case .nm(let n, let m) = pattern, i % m == 0, n > 0 {
                    for r in 0..<rows {
                        // The n least salient of the group of m starting here.
                        let idx = (0..<m).sorted { a, b in
                            let da = u[(col + a) * cols + col + a], db = u[(col + b) * cols + col + b]
                            let wa = w[r * cols + col + a], wb = w[r * cols + col + b]
                            let sa = wa * wa / (da * da), sb = wb * wb / (db * db)
                            return sa != sb ? sa < sb : a < b
                        }
                        for t in idx.prefix(n) { mask[r * bs + i + t] = true }
                    }
                }
                let d = u[col * cols + col]
                for r in 0..<rows {
                    let v = w[r * cols + col]
                    let q: Float = mask[r * bs + i] ? 0 : v
                    w[r * cols + col] = q
                    let e = (v - q) / d
                    err[r * bs + i] = e
                    if e != 0 {
                        loss += Double((v - q) * (v - q)) / Double(d * d) / 2
                        let urow = col * cols, wrow = r * cols
                        for j in (col + 1)..<i2 { w[wrow + j] -= e * u[urow + j] }
                    }
                }
            }
            if i2 < cols { GPTQ.lazyUpdate(&w, err: &err, u: u, rows: rows, cols: cols, i1: i1, i2: i2, stride: bs) }
            i1 = i2
        }
        return Result(values: w, loss: loss, damp: used)
    }
}
