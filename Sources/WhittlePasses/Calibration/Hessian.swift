import Foundation
import WhittleKernels

/// The layer-input second moment GPTQ and SparseGPT need: H = (2/n)·Σ x xᵀ over the n
/// calibration rows x (each of length `cols`), accumulated in f32 as inputs stream past
/// (as the reference and llm-compressor do): one cols² buffer, 268 MB for an 8192-wide input.
public struct HessianAccumulator {
    /// Input features (H is cols x cols).
    public let cols: Int
    /// Rows seen so far.
    public private(set) var samples = 0
    /// Σ x xᵀ, row-major, f32; held in a box so `takeHessian` can hand the buffer over uncopied.
    private let sum: SumBox

    final class SumBox {
        var values: [Float]
        init(_ values: [Float]) { self.values = values }
    }

    /// An empty accumulator; throws for a size the memory budget cannot hold.
    public init(cols: Int) throws {
        guard cols > 0, cols <= 1 << 16 else { throw CalibrationError.invalid("hessian: input width \(cols) out of range") }
        self.cols = cols
        sum = SumBox([Float](repeating: 0, count: cols * cols))
    }

    /// Bytes one accumulator of `cols` inputs holds.
    public static func bytes(cols: Int) -> Int { cols * cols * 4 }

    /// Rows of the sum computed per GEMM call: each call makes one band of the upper triangle.
    static let band = 256

    /// Adds `rows` input rows (row-major f32, `cols` each): XᵀX by the f32 GEMM straight into
    /// the running sum (beta = 1), in batches of at most 512 rows. Only the upper triangle is
    /// computed (band by band, each band from its diagonal to the right edge): `finish` mirrors
    /// it, so the lower half would be work thrown away (the accumulation is GPTQ's largest cost).
    public mutating func add(_ x: UnsafePointer<Float>, rows: Int) {
        let n = cols
        var r0 = 0
        sum.values.withUnsafeMutableBufferPointer { c in
            let sum = c.baseAddress!
            while r0 < rows {
                let r = min(512, rows - r0)
                let xr = x + r0 * n
                for i0 in stride(from: 0, to: n, by: HessianAccumulator.band) {
                    let m = min(HessianAccumulator.band, n - i0)
                    GEMM.sgemm(m: m, n: n - i0, k: r, a: xr + i0, lda: n, transA: true, b: xr + i0, ldb: n,
                               c: sum + i0 * n + i0, ldc: n, beta: 1)
                }
                r0 += r
            }
        }
        samples += rows
    }

    /// H = 2/n · Σ x xᵀ, full symmetric, f64 (a copy; for small layers and tests).
    public func hessian() -> [Double] {
        let n = cols, scale = samples == 0 ? 0 : 2 / Double(samples)
        var h = [Double](repeating: 0, count: n * n)
        let s = sum.values
        for i in 0..<n {
            for j in i..<n {
                let v = Double(s[i * n + j]) * scale
                h[i * n + j] = v; h[j * n + i] = v
            }
        }
        return h
    }

    /// H = 2/n · Σ x xᵀ, full symmetric, f32 (a copy: the accumulator stays usable).
    public func hessianF32() -> [Float] {
        var h = sum.values
        HessianAccumulator.finish(&h, cols: cols, samples: samples)
        return h
    }

    /// H as `hessianF32()`, but the accumulator's own buffer is handed over (no copy) and the
    /// accumulator is left empty: for the last projection that reads this input.
    public func takeHessian() -> [Float] {
        var h = sum.values
        sum.values = []
        HessianAccumulator.finish(&h, cols: cols, samples: samples)
        return h
    }

    /// Scales by 2/n and mirrors the upper triangle (the only one `add` computes) onto the lower, in place.
    static func finish(_ h: inout [Float], cols n: Int, samples: Int) {
        guard h.count == n * n else { h = [Float](repeating: 0, count: n * n); return }
        let scale = samples == 0 ? 0 : Float(2 / Double(samples))
        h.withUnsafeMutableBufferPointer { b in
            let p = b.baseAddress!
            for i in 0..<n {
                for j in i..<n { let v = p[i * n + j] * scale; p[i * n + j] = v; p[j * n + i] = v }
            }
        }
    }
}

/// Errors from the calibrated passes' numerics (before any weight is changed).
public enum CalibrationError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case notPositiveDefinite(String)

    public var description: String {
        switch self {
        case .invalid(let m): return m
        case .notPositiveDefinite(let m): return m
        }
    }
}

/// Dense symmetric positive-definite helpers (row-major n x n): the f64 reference and the f32
/// in-place form GPTQ and SparseGPT run (SPDInPlace.swift).
public enum SPD {
    /// In-place lower Cholesky factor L (A = L Lᵀ); false when A is not positive definite.
    static func cholesky(_ a: UnsafeMutablePointer<Double>, _ n: Int) -> Bool {
        for j in 0..<n {
            let rj = a + j * n
            var d = rj[j]
            for k in 0..<j { d -= rj[k] * rj[k] }
            guard d > 0, d.isFinite else { return false }
            let ljj = d.squareRoot()
            rj[j] = ljj
            for i in (j + 1)..<max(j + 1, n) {
                let ri = a + i * n
                var s = ri[j]
                for k in 0..<j { s -= ri[k] * rj[k] }
                ri[j] = s / ljj
            }
            for k in (j + 1)..<max(j + 1, n) { rj[k] = 0 }
        }
        return true
    }

    /// The upper Cholesky factor U of (H + damp·I)⁻¹ (H⁻¹ = Uᵀ U), as GPTQ uses it; the damping
    /// starts at `percent`·mean(diag H) and grows tenfold (up to 3 retries) while Cholesky fails.
    /// With J the order reversal and J(H)J = L Lᵀ, U = J L⁻¹ J: one factorisation and one
    /// triangular inverse instead of the reference's factor, inverse and second factor.
    /// Returns U in f32 and the damping fraction that worked.
    public static func dampedInverseUpper(_ h: [Double], _ n: Int, percent: Double) throws -> (u: [Float], percent: Double) {
        let meanDiag = (0..<n).reduce(0.0) { $0 + h[$1 * n + $1] } / Double(max(n, 1))
        var p = percent
        var a = [Double](repeating: 0, count: n * n)
        for _ in 0..<4 {
            let damp = p * max(meanDiag, 1e-12)
            // a = J (H + damp I) J
            for i in 0..<n { for j in 0..<n { a[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)] } }
            for i in 0..<n { a[i * n + i] += damp }
            let ok = a.withUnsafeMutableBufferPointer { cholesky($0.baseAddress!, n) }
            if ok {
                // M = L⁻¹ (lower), by rows: M[i][c] = (δ_ic − Σ_{c≤k<i} L[i][k]·M[k][c]) / L[i][i].
                var m = [Double](repeating: 0, count: n * n)
                a.withUnsafeBufferPointer { l in
                    m.withUnsafeMutableBufferPointer { mb in
                        let L = l.baseAddress!, M = mb.baseAddress!
                        for i in 0..<n {
                            let mi = M + i * n, li = L + i * n
                            // Row i of M: mi[c] for c ≤ i accumulates −Σ_k L[i][k]·M[k][c] over k < i.
                            for k in 0..<i {
                                let lik = li[k]
                                if lik == 0 { continue }
                                let mk = M + k * n
                                for c in 0...k { mi[c] -= lik * mk[c] }
                            }
                            mi[i] += 1
                            let inv = 1 / li[i]
                            for c in 0...i { mi[c] *= inv }
                        }
                    }
                }
                // U = J M J: U[i][j] = M[n-1-i][n-1-j].
                var u = [Float](repeating: 0, count: n * n)
                for i in 0..<n { for j in i..<n { u[i * n + j] = Float(m[(n - 1 - i) * n + (n - 1 - j)]) } }
                return (u, p)
            }
            p *= 10
        }
        throw CalibrationError.notPositiveDefinite("hessian is not positive definite even with damping \(p / 10) of its mean diagonal (calibration inputs may be all zero or too few)")
    }
}
