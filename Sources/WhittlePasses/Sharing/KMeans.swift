import WhittleTensor

/// One-dimensional k-means (Lloyd's algorithm) over weight values, as Deep Compression clusters a layer's weights.
public enum KMeans1D {
    /// How the centroids start (Han et al. found linear best: it keeps the rare large weights).
    public enum Initialization: String, CaseIterable {
        /// Evenly spaced between the smallest and largest value.
        case linear
        /// k distinct values drawn at random (Forgy).
        case random
        /// Evenly spaced on the values' cumulative distribution (quantiles).
        case density
    }

    /// The fitted clustering: sorted centroids (empty clusters dropped) and each value's centroid index.
    public struct Result {
        public let centroids: [Float]
        public let assignments: [Int32]
        /// Lloyd iterations run.
        public let iterations: Int
    }

    /// Starting centroids for `values` (sorted ascending).
    public static func initial(_ values: [Float], k: Int, method: Initialization, seed: UInt64) -> [Float] {
        guard let lo = values.min(), let hi = values.max(), k > 0 else { return [] }
        switch method {
        case .linear:
            return k == 1 ? [(lo + hi) / 2] : (0..<k).map { lo + (hi - lo) * Float($0) / Float(k - 1) }
        case .density:
            let s = values.sorted()
            return (0..<k).map { s[min(s.count - 1, Int((Double($0) + 0.5) / Double(k) * Double(s.count)))] }
        case .random:
            var g = SeededGenerator(seed: seed)
            var picked = Set<Int>(), out: [Float] = []
            while out.count < min(k, values.count) {
                let i = Int(UInt64(values.count).multipliedFullWidth(by: g.next()).high)
                if picked.insert(i).inserted { out.append(values[i]) }
            }
            return out.sorted()
        }
    }

    /// Clusters `values` into at most `k` centroids, iterating until no value changes cluster.
    public static func fit(_ values: [Float], k: Int, method: Initialization = .linear, seed: UInt64 = 1, maxIterations: Int = 100) -> Result {
        var c = initial(values, k: k, method: method, seed: seed)
        guard !c.isEmpty else { return Result(centroids: [], assignments: [], iterations: 0) }
        var a = [Int32](repeating: -1, count: values.count)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            c.sort()
            var changed = false
            var sums = [Double](repeating: 0, count: c.count), counts = [Int](repeating: 0, count: c.count)
            for (i, v) in values.enumerated() {
                let j = nearest(v, c)
                if a[i] != Int32(j) { a[i] = Int32(j); changed = true }
                sums[j] += Double(v)
                counts[j] += 1
            }
            for j in 0..<c.count where counts[j] > 0 { c[j] = Float(sums[j] / Double(counts[j])) }
            if !changed { break }
        }
        // Drop empty clusters so the codebook only holds used values; the means keep the order.
        var used = [Bool](repeating: false, count: c.count)
        for x in a { used[Int(x)] = true }
        var remap = [Int32](repeating: -1, count: c.count), kept: [Float] = []
        for j in 0..<c.count where used[j] { remap[j] = Int32(kept.count); kept.append(c[j]) }
        return Result(centroids: kept, assignments: a.map { remap[Int($0)] }, iterations: iterations)
    }

    /// Index of the centroid closest to `v` in the sorted `c` (the lower one on a tie).
    @inline(__always) static func nearest(_ v: Float, _ c: [Float]) -> Int {
        var lo = 0, hi = c.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if v > (c[mid] + c[mid + 1]) / 2 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
