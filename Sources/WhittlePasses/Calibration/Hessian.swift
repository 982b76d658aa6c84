import Foundation
import WhittleKernels

/// The layer-input second moment GPTQ and SparseGPT need: H = (2/n)·Σ x xᵀ over the n
/// calibration rows x (each of length `cols`), accumulated in f64 as inputs stream past.
public struct HessianAccumulator {
    /// Input features (H is cols x cols).
    public let cols: Int
    /// Rows seen so far.
    public private(set) var samples = 0
    /// Σ x xᵀ, row-major, f64 (only the upper triangle is accumulated; mirrored on read).
    private var sum: [Double]

    /// An empty accumulator; throws for a size the memory budget cannot hold.
    public init(cols: Int) throws {
        guard cols > 0, cols <= 1 << 16 else { throw CalibrationError.invalid("hessian: input width \(cols) out of range") }
        self.cols = cols
        sum = [Double](repeating: 0, count: cols * cols)
    }

    /// Adds `rows` input rows (row-major f32, `cols` each): XᵀX of the batch by the f32 GEMM,
    /// summed into the f64 total (batches of at most 512 rows keep the f32 partial sums short).
    public mutating func add(_ x: UnsafePointer<Float>, rows: Int) {
        let n = cols
        var partial = [Float](repeating: 0, count: n * n)
        var r0 = 0
        while r0 < rows {
            let r = min(512, rows - r0)
            partial.withUnsafeMutableBufferPointer { c in
                GEMM.sgemm(m: n, n: n, k: r, a: x + r0 * n, lda: n, transA: true, b: x + r0 * n, ldb: n, c: c.baseAddress!, ldc: n)
            }
            sum.withUnsafeMutableBufferPointer { h in
                for i in 0..<n { let row = i * n; for j in i..<n { h[row + j] += Double(partial[row + j]) } }
            }
            r0 += r
        }
        samples += rows
    }

    /// H = 2/n · Σ x xᵀ, full symmetric, f64.
    public func hessian() -> [Double] {
        let n = cols, scale = samples == 0 ? 0 : 2 / Double(samples)
        var h = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                let v = sum[i * n + j] * scale
                h[i * n + j] = v; h[j * n + i] = v
            }
        }
        return h
    }

    /// Per-column mean of x² (llama.cpp's imatrix definition; Wanda's ‖X_j‖² / n).
    public func columnMeanSquares() -> [Float] {
        (0..<cols).map { samples == 0 ? 0 : Float(sum[$0 * cols + $0] / Double(samples)) }
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

/// Dense symmetric positive-definite helpers in f64 (row-major n x n).
enum SPD {
    /// In-place lower Cholesky factor L (A = L Lᵀ); false when A is not positive definite.
    static func cholesky(_ a: inout [Double], _ n: Int) -> Bool {
        for j in 0..<n {
            var d = a[j * n + j]
            for k in 0..<j { d -= a[j * n + k] * a[j * n + k] }
            guard d > 0, d.isFinite else { return false }
            let ljj = d.squareRoot()
            a[j * n + j] = ljj
            for i in (j + 1)..<max(j + 1, n) {
                var s = a[i * n + j]
                for k in 0..<j { s -= a[i * n + k] * a[j * n + k] }
                a[i * n + j] = s / ljj
            }
            for k in (j + 1)..<max(j + 1, n) { a[j * n + k] = 0 }
        }
        return true
    }

    /// A⁻¹ from its lower Cholesky factor L (A⁻¹ = L⁻ᵀ L⁻¹).
    static func inverseFromCholesky(_ l: [Double], _ n: Int) -> [Double] {
        // Linv: lower-triangular inverse of L by forward substitution, column by column.
        var linv = [Double](repeating: 0, count: n * n)
        for c in 0..<n {
            linv[c * n + c] = 1 / l[c * n + c]
            for i in (c + 1)..<max(c + 1, n) {
                var s = 0.0
                for k in c..<i { s -= l[i * n + k] * linv[k * n + c] }
                linv[i * n + c] = s / l[i * n + i]
            }
        }
        var inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in j..<n { s += linv[k * n + i] * linv[k * n + j] }
                inv[i * n + j] = s; inv[j * n + i] = s
            }
        }
        return inv
    }

    /// The upper Cholesky factor U of (H + damp·I)⁻¹ (H⁻¹ = Uᵀ U), as GPTQ uses it; the damping
    /// starts at `percent`·mean(diag H) and grows tenfold (up to 3 retries) while Cholesky fails.
    /// Returns U in f32 and the damping fraction that worked.
    static func dampedInverseUpper(_ h: [Double], _ n: Int, percent: Double) throws -> (u: [Float], percent: Double) {
        let meanDiag = (0..<n).reduce(0.0) { $0 + h[$1 * n + $1] } / Double(max(n, 1))
        var p = percent
        for _ in 0..<4 {
            var a = h
            let damp = p * max(meanDiag, 1e-12)
            for i in 0..<n { a[i * n + i] += damp }
            if cholesky(&a, n) {
                var inv = inverseFromCholesky(a, n)
                if cholesky(&inv, n) {
                    // inv now holds lower L with H⁻¹ = L Lᵀ; GPTQ wants upper U = Lᵀ.
                    var u = [Float](repeating: 0, count: n * n)
                    for i in 0..<n { for j in 0...i { u[j * n + i] = Float(inv[i * n + j]) } }
                    return (u, p)
                }
            }
            p *= 10
        }
        throw CalibrationError.notPositiveDefinite("hessian is not positive definite even with damping \(p / 10) of its mean diagonal (calibration inputs may be all zero or too few)")
    }
}
