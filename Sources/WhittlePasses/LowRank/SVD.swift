import WhittleTensor

/// A thin singular value decomposition W = U·diag(s)·Vᵀ, singular values in decreasing order.
public struct SVDResult {
    /// Left singular vectors: `u[j]` has `rows` entries.
    public let u: [[Double]]
    /// Singular values, decreasing.
    public let s: [Double]
    /// Right singular vectors: `v[j]` has `cols` entries.
    public let v: [[Double]]
    /// Rows of the decomposed matrix.
    public let rows: Int
    /// Columns of the decomposed matrix.
    public let cols: Int

    /// The rank-`k` reconstruction U_k·diag(s_k)·V_kᵀ as a rows × cols f32 tensor.
    public func reconstruct(rank k: Int) throws -> Tensor {
        let t = try Tensor(zeros: [rows, cols])
        let f = t.floats
        for j in 0..<min(k, s.count) {
            for r in 0..<rows {
                let a = u[j][r] * s[j]
                if a == 0 { continue }
                for c in 0..<cols { f[r * cols + c] += Float(a * v[j][c]) }
            }
        }
        return t
    }

    /// The smallest rank whose singular values keep at least `energy` of Σ s² (1 for an all-zero matrix).
    public func rank(forEnergy energy: Double) -> Int {
        let total = s.reduce(0) { $0 + $1 * $1 }
        guard total > 0 else { return 1 }
        var acc = 0.0
        for (k, x) in s.enumerated() {
            acc += x * x
            if acc >= energy * total * (1 - 1e-12) { return k + 1 }
        }
        return s.count
    }
}

/// Singular value decomposition by one-sided Jacobi (Hestenes) rotations in double precision:
/// accurate for small singular values (no squared condition number, unlike eigen-solving WᵀW),
/// and quick enough for layers of a few thousand units.
public enum SVD {
    /// Decomposes a 2-D f32 tensor.
    public static func decompose(_ w: Tensor, maxSweeps: Int = 60) throws -> SVDResult {
        guard w.rank == 2 else { throw TensorError.invalidArgument("svd: needs a 2-D tensor, got \(w.rank)-D") }
        let rows = w.shape[0], cols = w.shape[1]
        let dense = try w.checkedF32()
        defer { withExtendedLifetime(dense) {} }
        let f = dense.floats
        // Orthogonalise the columns of the orientation with fewer columns: W (rows > cols) or Wᵀ.
        let transposed = rows <= cols
        let n = transposed ? rows : cols, m = transposed ? cols : rows
        // Scratch: A and J in f64, plus the singular vectors it returns in f32.
        let (nm, o1) = n.multipliedReportingOverflow(by: m), (nn, o2) = n.multipliedReportingOverflow(by: n)
        guard !o1, !o2 else { throw TensorError.invalidShape("svd: \(rows)x\(cols) is too large") }
        try MemoryBudget.check(bytes: (nm + nn) &* 8 &+ (nm + nn) &* 4, what: "the SVD of a \(rows)x\(cols) tensor")
        // Column i of A is a[i*m ..< (i+1)*m]; column i of the accumulated rotation J is j[i*n ..< (i+1)*n].
        var a = [Double](repeating: 0, count: n * m)
        for i in 0..<n {
            for k in 0..<m { a[i * m + k] = Double(transposed ? f[i * cols + k] : f[k * cols + i]) }
        }
        var j = [Double](repeating: 0, count: n * n)
        for i in 0..<n { j[i * n + i] = 1 }
        a.withUnsafeMutableBufferPointer { ab in j.withUnsafeMutableBufferPointer { jb in
            guard let ap = ab.baseAddress, let jp = jb.baseAddress else { return }
            for _ in 0..<maxSweeps {
                var rotated = false
                for p in 0..<n {
                    for q in (p + 1)..<n where rotate(ap, jp, m: m, n: n, p, q) { rotated = true }
                }
                if !rotated { break }
            }
        } }
        var s = (0..<n).map { i in (0..<m).reduce(0.0) { $0 + a[i * m + $1] * a[i * m + $1] }.squareRoot() }
        let order = (0..<n).sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }
        let b = order.map { i in (0..<m).map { k in s[i] > 0 ? a[i * m + k] / s[i] : 0 } }
        // J's column i pairs with A's column i: A·J = B·diag(s).
        let jcols = order.map { i in Array(j[(i * n)..<((i + 1) * n)]) }
        s = order.map { s[$0] }
        return transposed ? SVDResult(u: jcols, s: s, v: b, rows: rows, cols: cols)
                          : SVDResult(u: b, s: s, v: jcols, rows: rows, cols: cols)
    }

    /// One Jacobi rotation making columns p and q orthogonal; false when they already are (to 1e-12).
    private static func rotate(_ a: UnsafeMutablePointer<Double>, _ j: UnsafeMutablePointer<Double>, m: Int, n: Int, _ p: Int, _ q: Int) -> Bool {
        let x = a + p * m, y = a + q * m
        var sa = SIMD4<Double>(), sb = SIMD4<Double>(), sg = SIMD4<Double>()
        var k = 0
        while k + 4 <= m {
            let u = SIMD4(x[k], x[k + 1], x[k + 2], x[k + 3]), v = SIMD4(y[k], y[k + 1], y[k + 2], y[k + 3])
            sa += u * u; sb += v * v; sg += u * v
            k += 4
        }
        var alpha = sa.sum(), beta = sb.sum(), gamma = sg.sum()
        while k < m { alpha += x[k] * x[k]; beta += y[k] * y[k]; gamma += x[k] * y[k]; k += 1 }
        guard gamma != 0, abs(gamma) > 1e-12 * (alpha * beta).squareRoot() else { return false }
        let zeta = (beta - alpha) / (2 * gamma)
        let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
        let c = 1 / (1 + t * t).squareRoot(), s = c * t
        rotatePair(x, y, m, c, s)
        rotatePair(j + p * n, j + q * n, n, c, s)
        return true
    }

    private static func rotatePair(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ count: Int, _ c: Double, _ s: Double) {
        for k in 0..<count {
            let u = x[k], v = y[k]
            x[k] = c * u - s * v
            y[k] = s * u + c * v
        }
    }
}
