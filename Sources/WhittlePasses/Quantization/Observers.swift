import WhittleNN

/// How a calibration observer turns observed values into a quantization range.
public enum ObserverKind: String, CaseIterable, Sendable {
    /// The smallest and largest value seen.
    case minmax
    /// The given percentile of the values (outliers clipped).
    case percentile
    /// The clipping range minimising the quantization mean squared error (grid search).
    case mse
}

/// Chooses the clipping range [low, high] of a set of values for int8 quantization.
public struct RangeObserver {
    /// The rule.
    public let kind: ObserverKind
    /// Percentile kept by `.percentile`, in (50, 100].
    public let percentile: Double
    /// Symmetric ranges are [-a, a]; otherwise [low, high] with 0 inside.
    public let symmetric: Bool
    /// Candidates the MSE search tries (fractions i/grid of the min/max range).
    public static let grid = 100

    /// An observer of `kind`.
    public init(_ kind: ObserverKind, percentile: Double = 99.99, symmetric: Bool) {
        self.kind = kind; self.percentile = percentile; self.symmetric = symmetric
    }

    /// The range for `values` (empty → [0, 0]).
    public func range(_ values: UnsafeBufferPointer<Float>) -> (low: Float, high: Float) {
        guard !values.isEmpty else { return (0, 0) }
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        if lo > hi { return (0, 0) }
        switch kind {
        case .minmax:
            return widen(lo, hi)
        case .percentile:
            if symmetric {
                let a = quantile(values.map { abs($0) }, percentile / 100)
                return (-a, a)
            }
            var sorted = values.filter(\.isFinite)
            sorted.sort()
            return widen(sortedQuantile(sorted, 1 - percentile / 100), sortedQuantile(sorted, percentile / 100))
        case .mse:
            let (l0, h0) = widen(lo, hi)
            var best = (l0, h0), bestErr = Double.infinity
            for i in 1...RangeObserver.grid {
                let f = Float(i) / Float(RangeObserver.grid)
                let cand = (l0 * f, h0 * f)
                let e = quantizationMSE(values, low: cand.0, high: cand.1)
                if e < bestErr { bestErr = e; best = cand }
            }
            return best
        }
    }

    /// [lo, hi] widened to contain 0, and made symmetric when asked.
    private func widen(_ lo: Float, _ hi: Float) -> (Float, Float) {
        let l = min(lo, 0), h = max(hi, 0)
        if symmetric { let a = max(-l, h); return (-a, a) }
        return (l, h)
    }

    /// Mean squared error of int8 quantization of `values` over [low, high].
    public func quantizationMSE(_ values: UnsafeBufferPointer<Float>, low: Float, high: Float) -> Double {
        guard let (s, z) = try? Int8Encoding.int8Parameters(low: low, high: high, symmetric: symmetric) else { return .infinity }
        let qlo: Float = symmetric ? -127 : -128, inv = 1 / s, zf = Float(z)
        var err = 0.0
        for v in values where v.isFinite {
            let q = max(qlo, min(127, (v * inv).rounded(.toNearestOrAwayFromZero) + zf))
            let d = Double(v - s * (q - zf))
            err += d * d
        }
        return err / Double(values.count)
    }
}

/// The q-quantile (linear interpolation) of unsorted values.
func quantile(_ values: [Float], _ q: Double) -> Float {
    var v = values.filter(\.isFinite)
    v.sort()
    return sortedQuantile(v, q)
}

/// The q-quantile of sorted values.
func sortedQuantile(_ v: [Float], _ q: Double) -> Float {
    guard !v.isEmpty else { return 0 }
    let pos = max(0, min(1, q)) * Double(v.count - 1)
    let i = Int(pos.rounded(.down)), f = Float(pos - Double(i))
    return i + 1 < v.count ? v[i] * (1 - f) + v[i + 1] * f : v[i]
}
