import Foundation
import WhittleKernels

/// The f32, in-place form of `SPD.dampedInverseUpper`: the Hessian's own n x n buffer becomes
/// the upper factor U of (H + damp·I)⁻¹ = Uᵀ U, so a layer's inverse costs no second n² buffer
/// (an 8192-wide f64 Hessian and its f64 inverse were 1 GB; this is 268 MB in all). Blocked:
/// the O(n³) work runs in the f32 GEMM; the small diagonal tiles accumulate in f64.
extension SPD {
    /// Tile width of the blocked factorisation and inverse.
    static let tile = 128

    /// On entry `a` holds H (n x n, row-major; the upper triangle and diagonal are read). On
    /// return it holds U (upper; strict lower zero). With J the order reversal (the flat buffer
    /// reversed), J(H + damp I)J = L Lᵀ and U = J L⁻¹ J. While H is factored, its copy for the
    /// damping retry lives in the strict upper triangle and an n-vector of the diagonal.
    /// Returns the damping fraction that worked.
    static func dampedInverseUpperInPlace(_ a: UnsafeMutablePointer<Float>, _ n: Int, percent: Double) throws -> Double {
        guard n > 0 else { return percent }
        let count = n * n
        // J H J: the upper triangle lands in the lower one; then copy it to the strict upper.
        reverse(a, count)
        var diag = [Double](repeating: 0, count: n)
        for i in 0..<n {
            diag[i] = Double(a[i * n + i])
            for j in 0..<i { a[j * n + i] = a[i * n + j] }
        }
        let meanDiag = diag.reduce(0, +) / Double(n)
        var p = percent
        for attempt in 0..<4 {
            let damp = p * max(meanDiag, 1e-12)
            if attempt > 0 {
                // Restore the lower triangle from the strict upper copy.
                for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
            }
            for i in 0..<n { a[i * n + i] = Float(diag[i] + damp) }
            if try choleskyLowerBlocked(a, n) {
                for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { a[i * n + j] = 0 } }
                try invertLowerBlocked(a, n)
                reverse(a, count)
                return p
            }
            p *= 10
        }
        throw CalibrationError.notPositiveDefinite("hessian is not positive definite even with damping \(p / 10) of its mean diagonal (calibration inputs may be all zero or too few)")
    }

    /// `dampedInverseUpperInPlace` on an array: `h` (n x n) becomes U; returns the damping used.
    public static func dampedInverseUpper(inPlace h: inout [Float], _ n: Int, percent: Double) throws -> Double {
        guard n > 0, h.count == n * n else { throw CalibrationError.invalid("hessian: \(h.count) values for a \(n) x \(n) matrix") }
        return try h.withUnsafeMutableBufferPointer { try dampedInverseUpperInPlace($0.baseAddress!, n, percent: percent) }
    }

    /// Reverses the flat buffer: element (i, j) moves to (n-1-i, n-1-j), i.e. J A J.
    static func reverse(_ a: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0, j = count - 1
        while i < j { let t = a[i]; a[i] = a[j]; a[j] = t; i += 1; j -= 1 }
    }

    /// Right-looking blocked lower Cholesky in place: reads and writes only the lower triangle
    /// and diagonal (the strict upper keeps the retry copy). False when not positive definite.
    static func choleskyLowerBlocked(_ a: UnsafeMutablePointer<Float>, _ n: Int) throws -> Bool {
        let nb = tile
        let rowTile = 256
        var panel = [Float](repeating: 0, count: n * nb)       // −P, rows k1..<n of the current panel
        var corner = [Float](repeating: 0, count: rowTile * rowTile)
        var k0 = 0
        while k0 < n {
            let k1 = min(k0 + nb, n), kb = k1 - k0
            // Diagonal tile (earlier panels already subtracted), f64 sums.
            for j in k0..<k1 {
                let rj = a + j * n
                var d = Double(rj[j])
                for k in k0..<j { d -= Double(rj[k]) * Double(rj[k]) }
                guard d > 0, d.isFinite else { return false }
                let ljj = d.squareRoot()
                rj[j] = Float(ljj)
                for i in (j + 1)..<k1 {
                    let ri = a + i * n
                    var s = Double(ri[j])
                    for k in k0..<j { s -= Double(ri[k]) * Double(rj[k]) }
                    ri[j] = Float(s / ljj)
                }
            }
            guard k1 < n else { break }
            // Panel rows below: P = A[k1:, k0:k1] · L11⁻ᵀ, by forward substitution per row.
            for i in k1..<n {
                let ri = a + i * n
                for j in k0..<k1 {
                    let rj = a + j * n
                    var s = Double(ri[j])
                    for k in k0..<j { s -= Double(ri[k]) * Double(rj[k]) }
                    ri[j] = Float(s / Double(rj[j]))
                }
            }
            // Trailing update of the lower triangle: A[k1:, k1:] −= P Pᵀ, tile row by tile row.
            let m = n - k1
            panel.withUnsafeMutableBufferPointer { pb in
                let neg = pb.baseAddress!
                for r in 0..<m { for c in 0..<kb { neg[r * kb + c] = -a[(k1 + r) * n + k0 + c] } }
                corner.withUnsafeMutableBufferPointer { cb in
                    var r0 = k1
                    while r0 < n {
                        let r1 = min(r0 + rowTile, n), rows = r1 - r0
                        let negRows = UnsafePointer(neg + (r0 - k1) * kb)
                        if r0 > k1 {
                            GEMM.sgemm(m: rows, n: r0 - k1, k: kb, a: negRows, lda: kb, b: a + k1 * n + k0, ldb: n, transB: true,
                                       c: a + r0 * n + k1, ldc: n, beta: 1)
                        }
                        let c = cb.baseAddress!
                        GEMM.sgemm(m: rows, n: rows, k: kb, a: negRows, lda: kb, b: a + r0 * n + k0, ldb: n, transB: true,
                                   c: c, ldc: rows, beta: 0)
                        for i in 0..<rows { let ri = a + (r0 + i) * n + r0; for j in 0...i { ri[j] += c[i * rows + j] } }
                        r0 = r1
                    }
                }
            }
            k0 = k1
        }
        return true
    }

    /// L⁻¹ in place for a lower-triangular L whose strict upper triangle is zero, by column
    /// tiles from the last: the panel below tile j becomes −(L⁻¹ of the trailing part)·P·L_jj⁻¹.
    static func invertLowerBlocked(_ a: UnsafeMutablePointer<Float>, _ n: Int) throws {
        let nb = tile
        var t1 = [Float](repeating: 0, count: n * nb), t2 = [Float](repeating: 0, count: n * nb)
        var d = [Double](repeating: 0, count: nb * nb)
        var df = [Float](repeating: 0, count: nb * nb)
        var j0 = (n - 1) / nb * nb
        while j0 >= 0 {
            let j1 = min(j0 + nb, n), jb = j1 - j0, m = n - j1
            // D = L_jj⁻¹ (f64, by rows): D[i][c] = (δ_ic − Σ_{c≤k<i} L[i][k]·D[k][c]) / L[i][i].
            for k in 0..<(jb * jb) { d[k] = 0 }
            for i in 0..<jb {
                let li = a + (j0 + i) * n + j0
                for k in 0..<i {
                    let lik = Double(li[k])
                    if lik == 0 { continue }
                    for c in 0...k { d[i * jb + c] -= lik * d[k * jb + c] }
                }
                d[i * jb + i] += 1
                let inv = 1 / Double(li[i])
                for c in 0...i { d[i * jb + c] *= inv }
            }
            for k in 0..<(jb * jb) { df[k] = Float(d[k]) }
            if m > 0 {
                t1.withUnsafeMutableBufferPointer { b1 in
                    t2.withUnsafeMutableBufferPointer { b2 in
                        df.withUnsafeBufferPointer { db in
                            let p1 = b1.baseAddress!, p2 = b2.baseAddress!
                            for r in 0..<m { for c in 0..<jb { p1[r * jb + c] = -a[(j1 + r) * n + j0 + c] } }
                            // T2 = (L⁻¹ of the trailing part, lower with zero upper) · (−P)
                            GEMM.sgemm(m: m, n: jb, k: m, a: a + j1 * n + j1, lda: n, b: p1, ldb: jb, c: p2, ldc: jb, beta: 0)
                            // panel = T2 · D
                            GEMM.sgemm(m: m, n: jb, k: jb, a: p2, lda: jb, b: db.baseAddress!, ldb: jb, c: a + j1 * n + j0, ldc: n, beta: 0)
                        }
                    }
                }
            }
            for i in 0..<jb { for c in 0..<jb { a[(j0 + i) * n + j0 + c] = df[i * jb + c] } }
            j0 -= nb
        }
    }

    /// A ← A[perm][:, perm] in place (n x n row-major), with one row of scratch: rows are
    /// gathered along the permutation's cycles, then each row's columns.
    static func permuteSymmetric(_ a: UnsafeMutablePointer<Float>, _ n: Int, _ perm: [Int]) {
        var row = [Float](repeating: 0, count: n)
        var done = [Bool](repeating: false, count: n)
        row.withUnsafeMutableBufferPointer { tb in
            let t = tb.baseAddress!
            for s in 0..<n where !done[s] {
                t.update(from: a + s * n, count: n)
                var i = s
                while true {
                    done[i] = true
                    let j = perm[i]
                    if j == s { (a + i * n).update(from: t, count: n); break }
                    (a + i * n).update(from: a + j * n, count: n)
                    i = j
                }
            }
            for i in 0..<n {
                let r = a + i * n
                t.update(from: r, count: n)
                for c in 0..<n { r[c] = t[perm[c]] }
            }
        }
    }
}

