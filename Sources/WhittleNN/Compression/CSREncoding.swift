import WhittleKernels
import WhittleTensor

/// A sparse weight stored Deep Compression style: the nonzero values (f32) plus the relative
/// position of each from the previous one, packed in 4 or 8 bits. A gap longer than the index
/// width allows costs a filler entry (value 0) in between. Positions run over the flattened
/// row-major tensor. Stored as "values" (f32, entries) and "gaps" (u8, packed codes), with
/// `index_bits`, `entries` and `nonzeros` in the metadata. Runs on the CSR SpMM kernel when
/// sparse enough to beat the dense GEMM, else on the dense decoding.
public final class CSREncoding: ExecutableEncoding {
    /// Format id written in the file's compression metadata.
    public static let formatID = "csr"
    public var format: String { CSREncoding.formatID }
    public let shape: [Int]
    /// Bits per relative index: 4 or 8.
    public let indexBits: Int
    /// Stored values, fillers included.
    public let values: Tensor
    /// Packed gap codes (code = distance to the previous entry - 1), low nibble first at 4 bits.
    public let gaps: Tensor
    /// Nonzero entries (stored entries minus fillers).
    public let nonzeros: Int
    /// Densities at or below this run a batch on the sparse kernel; measured on LeNet-300-100 (batch 500):
    /// CSR wins from about 70% sparsity (0.7: 11.7 vs 19.4 ms, 0.9: 5.6 vs 10.1 ms dense), loses at 50%.
    public static let sparseExecutionDensity = 0.25
    /// The same bound for a single input (SpMV): the dense GEMV is fast, CSR wins only from about 90% sparsity.
    public static let sparseVectorDensity = 0.1
    private var matrix: CSRMatrix?
    private var dense: Tensor?

    /// Encodes `t`; `indexBits` nil picks whichever of 4 and 8 stores fewer bytes.
    public static func encode(_ t: Tensor, indexBits: Int? = nil) throws -> CSREncoding {
        try t.requireF32("csr")
        if let b = indexBits, b != 4 && b != 8 { throw NNError.invalidArgument("csr: 'index_bits' must be 4 or 8, got \(b)") }
        guard t.count > 0 else { throw NNError.invalidArgument("csr: cannot encode an empty tensor") }
        let f = t.floats
        if let bad = (0..<t.count).first(where: { !f[$0].isFinite }) {
            throw NNError.invalidArgument("csr: element \(bad) is \(f[bad]); only finite values can be stored")
        }
        let positions = (0..<t.count).filter { f[$0] != 0 }
        let bits = indexBits ?? ([4, 8].min { bytes(positions, $0) < bytes(positions, $1) } ?? 8)
        let span = 1 << bits
        var vals: [Float] = [], codes: [UInt8] = []
        var prev = -1
        for p in positions {
            while p - prev > span {
                prev += span
                vals.append(0); codes.append(UInt8(span - 1))
            }
            vals.append(f[p]); codes.append(UInt8(p - prev - 1))
            prev = p
        }
        let packed = bits == 8 ? codes : stride(from: 0, to: codes.count, by: 2).map { i in
            codes[i] | (i + 1 < codes.count ? codes[i + 1] << 4 : 0)
        }
        let v = try Tensor(shape: [vals.count], values: vals)
        let g = try Tensor(zeros: [packed.count], dtype: .u8)
        packed.withUnsafeBytes { g.storage.bytes.copyMemory(from: $0.baseAddress!, byteCount: packed.count) }
        return try CSREncoding(shape: t.shape, indexBits: bits, values: v, gaps: g, nonzeros: positions.count)
    }

    /// Bytes the encoding of `positions` takes at `bits` per gap (values + packed gaps).
    private static func bytes(_ positions: [Int], _ bits: Int) -> Int {
        var entries = 0, prev = -1
        for p in positions { entries += (p - prev - 1) / (1 << bits) + 1; prev = p }
        return entries * 4 + (entries * bits + 7) / 8
    }

    /// Wraps stored tensors, checking that every position lands inside the tensor.
    public init(shape: [Int], indexBits: Int, values: Tensor, gaps: Tensor, nonzeros: Int) throws {
        guard indexBits == 4 || indexBits == 8 else { throw NNError.invalidModel("csr: 'index_bits' must be 4 or 8, got \(indexBits)") }
        guard values.dtype == .f32, values.rank == 1, gaps.dtype == .u8, gaps.rank == 1 else {
            throw NNError.invalidModel("csr: values must be 1-D f32 and gaps 1-D u8, got \(values.dtype) \(shapeString(values.shape)) and \(gaps.dtype) \(shapeString(gaps.shape))")
        }
        guard gaps.count == (values.count * indexBits + 7) / 8 else {
            throw NNError.invalidModel("csr: \(values.count) entries need \((values.count * indexBits + 7) / 8) gap bytes, got \(gaps.count)")
        }
        let count = try Tensor.checkedCount(shape)
        let codes = CSREncoding.codes(gaps, indexBits, values.count)
        var pos = -1, real = 0
        for (k, c) in codes.enumerated() {
            pos += Int(c) + 1
            guard pos < count else { throw NNError.invalidModel("csr: entry \(k) lands at position \(pos), past the \(count) elements") }
            if values.floats[k] != 0 { real += 1 }
        }
        guard real == nonzeros else { throw NNError.invalidModel("csr: \(real) nonzero entries, the metadata says \(nonzeros)") }
        self.shape = shape; self.indexBits = indexBits; self.values = values; self.gaps = gaps; self.nonzeros = nonzeros
    }

    /// The unpacked gap codes.
    private static func codes(_ gaps: Tensor, _ bits: Int, _ n: Int) -> [UInt8] {
        let b = gaps.storage.bytes.assumingMemoryBound(to: UInt8.self)
        return (0..<n).map { k in bits == 8 ? b[k] : (k % 2 == 0 ? b[k / 2] & 15 : b[k / 2] >> 4) }
    }

    static func decode(_ e: EncodedEntry) throws -> CSREncoding {
        let bits = try e.int("index_bits"), entries = try e.int("entries"), nnz = try e.int("nonzeros")
        guard bits == 4 || bits == 8, entries >= 0, entries < 1 << 40, nnz >= 0 else {
            throw e.invalid("'index_bits' must be 4 or 8 and 'entries', 'nonzeros' non-negative")
        }
        let v = try e.tensor("values", .f32, [entries])
        let g = try e.tensor("gaps", .u8, [(entries * bits + 7) / 8])
        do { return try CSREncoding(shape: e.shape, indexBits: bits, values: v, gaps: g, nonzeros: nnz) } catch NNError.invalidModel(let m) { throw e.invalid(m) }
    }

    public func storedTensors() -> [(suffix: String, tensor: Tensor)] { [("values", values), ("gaps", gaps)] }
    public var fields: [String: Any] { ["index_bits": indexBits, "entries": values.count, "nonzeros": nonzeros] }
    public var byteCount: Int { values.byteCount + gaps.byteCount }
    /// Stored entries including fillers.
    public var entries: Int { values.count }

    public func decode() throws -> Tensor {
        let out = try Tensor(zeros: shape)
        var pos = -1
        for (k, c) in CSREncoding.codes(gaps, indexBits, values.count).enumerated() {
            pos += Int(c) + 1
            out.floats[pos] = values.floats[k]
        }
        return out
    }

    /// Fraction of nonzero elements.
    public var density: Double { Double(nonzeros) / Double(max(shape.reduce(1, *), 1)) }

    public func linear(_ x: UnsafePointer<Float>, count m: Int, into y: UnsafeMutablePointer<Float>, input: ActivationQuantization?) throws {
        let rows = matrixRows, cols = matrixCols
        if dense == nil { dense = try decode() }
        guard let w = dense else { return }
        guard density <= (m == 1 ? CSREncoding.sparseVectorDensity : CSREncoding.sparseExecutionDensity) else {
            GEMM.sgemm(m: m, n: rows, k: cols, a: x, lda: cols, b: w.floats, ldb: cols, transB: true, c: y, ldc: rows)
            return
        }
        if matrix == nil { matrix = CSRMatrix(dense: w.floats, rows: rows, cols: cols) }
        guard let a = matrix else { return }
        if m == 1 { Sparse.spmv(a, x: x, y: y); return }
        // y (m × rows) = x·Wᵀ, i.e. yᵀ = W·xᵀ: the kernel wants the batch as columns.
        let xt = UnsafeMutablePointer<Float>.allocate(capacity: cols * m), yt = UnsafeMutablePointer<Float>.allocate(capacity: rows * m)
        defer { xt.deallocate(); yt.deallocate() }
        for i in 0..<m { for j in 0..<cols { xt[j * m + i] = x[i * cols + j] } }
        Sparse.spmm(a, b: xt, ldb: m, n: m, c: yt, ldc: m)
        for j in 0..<rows { for i in 0..<m { y[i * rows + j] = yt[j * m + i] } }
    }
}
