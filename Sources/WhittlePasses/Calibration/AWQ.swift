import Foundation
import WhittleKernels

/// AWQ's numerics (Lin et al. 2023, following llm-awq's auto_scale/auto_clip and AutoAWQ's
/// quantizer) for projections that share one input x. Errors are measured on the calibration
/// activations through their Hessian H = 2/n·XᵀX: the output error of a weight change D is
/// Σ_r D_r H D_rᵀ, exact over every calibration token at a cost independent of their number.
enum AWQ {
    /// Search settings (AutoAWQ's defaults).
    struct Options {
        /// Grid points of the ratio in [0, 1) (n_grid).
        var nGrid = 20
        /// s = x̄^α / w̄^(1-α) (AutoAWQ's duo_scaling) rather than x̄^α.
        var duoScaling = true
        /// Clipping tries max|w|·(1 - i/20) for i < maxShrink·20 (max_shrink).
        var maxShrink = 0.5
    }

    /// Rounds `count` weights (whole grid blocks) to the grid in place; with `codes`, writes the
    /// blocks' stored bytes there too.
    static func roundToGrid(_ w: UnsafeMutablePointer<Float>, count: Int, grid: QuantGrid, encodeInto out: UnsafeMutableRawPointer? = nil) {
        let g = grid.blockSize
        var codes = [Int32](repeating: 0, count: g)
        for b in 0..<(count / g) {
            let p = w + b * g
            let params = grid.fit(p)
            for j in 0..<g { let (c, v) = grid.round(p[j], params, element: j); codes[j] = c; p[j] = v }
            if let out { codes.withUnsafeBufferPointer { grid.encode(params, codes: $0.baseAddress!, into: out + b * grid.blockBytes) } }
        }
    }

    /// Σ_r d_r H d_rᵀ for d (rows x k) and H (k x k), both row-major f32.
    static func quadratic(_ d: [Float], rows: Int, k: Int, h: [Float]) -> Double {
        var e = [Float](repeating: 0, count: rows * k)
        d.withUnsafeBufferPointer { db in h.withUnsafeBufferPointer { hb in e.withUnsafeMutableBufferPointer { eb in
            GEMM.sgemm(m: rows, n: k, k: k, a: db.baseAddress!, lda: k, b: hb.baseAddress!, ldb: k, c: eb.baseAddress!, ldc: k)
        } } }
        var s = 0.0
        for i in 0..<(rows * k) { s += Double(d[i] * e[i]) }
        return s
    }

    /// The result of the scale search for one group.
    struct ScaleSearch {
        /// Scales per scale index (`tie` maps columns to them).
        var scales: [Float]
        /// The best ratio α.
        var ratio: Double
        /// Output error with the best scales, and with none (plain round-to-nearest).
        var loss: Double, rtnLoss: Double
    }

    /// Grid search of α: s = x̄^α / w̄^(1-α) (or x̄^α), normalised by sqrt(max·min), minimising the
    /// output error of Q(W·s)/s. `w` holds the group's weights stacked (rows x k); `tie[j]` is the
    /// scale index of column j (identity, or GQA's head sharing), there being `count` scales.
    static func searchScales(_ w: [Float], rows: Int, k: Int, hessian h: [Float], xMean: [Float], tie: [Int], count: Int,
                             grid: QuantGrid, options: Options) -> ScaleSearch {
        // Reduce column statistics to scale indices (the mean over tied columns).
        var xs = [Float](repeating: 0, count: count), ws = [Float](repeating: 0, count: count), n = [Float](repeating: 0, count: count)
        // w̄: |w| relative to its grid block's max, averaged over rows (AutoAWQ's w_mean).
        var wMean = [Double](repeating: 0, count: k)
        let g = grid.blockSize
        for r in 0..<rows {
            for b in 0..<(k / g) {
                var m: Float = 0
                for j in 0..<g { m = max(m, abs(w[r * k + b * g + j])) }
                for j in 0..<g { wMean[b * g + j] += Double(abs(w[r * k + b * g + j]) / (m + 1e-6)) }
            }
        }
        for j in 0..<k { xs[tie[j]] += xMean[j]; ws[tie[j]] += Float(wMean[j] / Double(rows)); n[tie[j]] += 1 }
        for i in 0..<count where n[i] > 0 { xs[i] /= n[i]; ws[i] /= n[i] }

        var best = ScaleSearch(scales: [Float](repeating: 1, count: count), ratio: 0, loss: .infinity, rtnLoss: 0)
        var q = [Float](repeating: 0, count: rows * k), s = [Float](repeating: 1, count: k)
        for step in 0..<options.nGrid {
            let ratio = Double(step) / Double(options.nGrid)
            var sc = (0..<count).map { i -> Float in
                let v = options.duoScaling ? Float(pow(Double(xs[i]), ratio) / (pow(Double(ws[i]), 1 - ratio) + 1e-4))
                                           : Float(pow(Double(xs[i]), ratio))
                return v.isFinite ? max(v, 1e-4) : 1
            }
            let norm = (sc.max()! * sc.min()!).squareRoot()
            if norm > 0, norm.isFinite { for i in 0..<count { sc[i] /= norm } }
            for j in 0..<k { s[j] = sc[tie[j]] }
            for r in 0..<rows { for j in 0..<k { q[r * k + j] = w[r * k + j] * s[j] } }
            q.withUnsafeMutableBufferPointer { roundToGrid($0.baseAddress!, count: rows * k, grid: grid) }
            for r in 0..<rows { for j in 0..<k { q[r * k + j] = w[r * k + j] - q[r * k + j] / s[j] } }
            let loss = quadratic(q, rows: rows, k: k, h: h)
            if step == 0 { best.rtnLoss = loss }
            if loss < best.loss { best = ScaleSearch(scales: sc, ratio: ratio, loss: loss, rtnLoss: best.rtnLoss) }
        }
        return best
    }

    /// AutoAWQ's clipping: per row and grid block, the largest |w| is shrunk to max·(1 - i/20)
    /// (i < maxShrink·20) where that gives the smallest output error d H_bb dᵀ on the block's
    /// own inputs; returns the clipped weights.
    static func clip(_ w: [Float], rows: Int, k: Int, hessian h: [Float], grid: QuantGrid, options: Options) -> [Float] {
        let g = grid.blockSize, steps = max(1, Int(options.maxShrink * 20))
        var out = w
        var cur = [Float](repeating: 0, count: g), d = [Float](repeating: 0, count: g)
        for b in 0..<(k / g) {
            // H's diagonal block for this group of inputs.
            var hb = [Float](repeating: 0, count: g * g)
            for i in 0..<g { for j in 0..<g { hb[i * g + j] = h[(b * g + i) * k + b * g + j] } }
            for r in 0..<rows {
                let base = r * k + b * g
                var amax: Float = 0
                for j in 0..<g { amax = max(amax, abs(w[base + j])) }
                if amax == 0 { continue }
                var bestErr = Float.infinity, bestMax = amax
                for i in 0..<steps {
                    let mv = amax * (1 - Float(i) / 20)
                    for j in 0..<g { cur[j] = min(mv, max(-mv, w[base + j])) }
                    cur.withUnsafeMutableBufferPointer { roundToGrid($0.baseAddress!, count: g, grid: grid) }
                    for j in 0..<g { d[j] = cur[j] - w[base + j] }
                    var e: Float = 0
                    for i2 in 0..<g { var t: Float = 0; for j in 0..<g { t += hb[i2 * g + j] * d[j] }; e += d[i2] * t }
                    if e < bestErr { bestErr = e; bestMax = mv }
                }
                for j in 0..<g { out[base + j] = min(bestMax, max(-bestMax, w[base + j])) }
            }
        }
        return out
    }
}
