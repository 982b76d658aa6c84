/// Compressed sparse row f32 matrix: the format for unstructured sparsity.
public struct CSRMatrix: Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// rows + 1 offsets into `columns`/`values`; row i is rowStart[i] ..< rowStart[i + 1].
    public let rowStart: [Int32]
    /// Column of each stored value, ascending within a row.
    public let columns: [Int32]
    /// The stored (nonzero) values.
    public let values: [Float]

    /// Keeps the nonzeros of a row-major dense (rows x cols) matrix.
    public init(dense: UnsafePointer<Float>, rows: Int, cols: Int) {
        self.rows = rows; self.cols = cols
        var start: [Int32] = [0], cs: [Int32] = [], vs: [Float] = []
        for i in 0..<rows {
            for j in 0..<cols where dense[i * cols + j] != 0 { cs.append(Int32(j)); vs.append(dense[i * cols + j]) }
            start.append(Int32(cs.count))
        }
        rowStart = start; columns = cs; values = vs
    }

    /// Stored values.
    public var nonzeros: Int { values.count }
    /// Bytes of the three arrays (what SpMV streams).
    public var byteCount: Int { rowStart.count * 4 + columns.count * 4 + values.count * 4 }
}

/// Sparse-times-dense kernels.
public enum Sparse {
    /// y = A·x (x has A.cols entries, y has A.rows).
    public static func spmv(_ a: CSRMatrix, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        a.rowStart.withUnsafeBufferPointer { rs in a.columns.withUnsafeBufferPointer { cs in a.values.withUnsafeBufferPointer { vs in
            let rs = rs.baseAddress!, cs = cs.baseAddress ?? UnsafePointer(bitPattern: 4)!, vs = vs.baseAddress ?? UnsafePointer(bitPattern: 4)!
            let tasks = a.nonzeros < 1 << 16 ? 1 : min(a.rows, KernelThreads.count * 4)
            KernelThreads.parallelFor(tasks) { t in
                for i in a.rows * t / tasks..<a.rows * (t + 1) / tasks {
                    var p = Int(rs[i])
                    let end = Int(rs[i + 1])
                    // Four partial sums break the add chain; the gathers dominate anyway.
                    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                    while p + 4 <= end {
                        s0 += vs[p] * x[Int(cs[p])]; s1 += vs[p + 1] * x[Int(cs[p + 1])]
                        s2 += vs[p + 2] * x[Int(cs[p + 2])]; s3 += vs[p + 3] * x[Int(cs[p + 3])]
                        p += 4
                    }
                    while p < end { s0 += vs[p] * x[Int(cs[p])]; p += 1 }
                    y[i] = (s0 + s1) + (s2 + s3)
                }
            }
        } } }
    }

    /// C (A.rows x n, row stride ldc) = A·B for dense B (A.cols x n, row stride ldb).
    public static func spmm(_ a: CSRMatrix, b: UnsafePointer<Float>, ldb: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        a.rowStart.withUnsafeBufferPointer { rs in a.columns.withUnsafeBufferPointer { cs in a.values.withUnsafeBufferPointer { vs in
            let rs = rs.baseAddress!, cs = cs.baseAddress ?? UnsafePointer(bitPattern: 4)!, vs = vs.baseAddress ?? UnsafePointer(bitPattern: 4)!
            let tasks = a.nonzeros * n < 1 << 16 ? 1 : min(a.rows, KernelThreads.count * 4)
            KernelThreads.parallelFor(tasks) { t in
                for i in a.rows * t / tasks..<a.rows * (t + 1) / tasks {
                    let crow = c + i * ldc
                    var j = 0
                    while j + 16 <= n {
                        var acc = SIMD16<Float>()
                        for p in Int(rs[i])..<Int(rs[i + 1]) {
                            // Multiply then add: a fused addingProduct would be a libm call per lane at the baseline ISA.
                            acc += SIMD16(repeating: vs[p]) * load16(b + Int(cs[p]) * ldb + j)
                        }
                        store16(acc, crow + j)
                        j += 16
                    }
                    while j < n {
                        var s: Float = 0
                        for p in Int(rs[i])..<Int(rs[i + 1]) { s += vs[p] * b[Int(cs[p]) * ldb + j] }
                        crow[j] = s
                        j += 1
                    }
                }
            }
        } } }
    }
}
