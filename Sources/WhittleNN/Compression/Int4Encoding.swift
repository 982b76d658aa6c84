import WhittleKernels
import WhittleTensor

/// Group-wise signed 4-bit weights: an f16 scale per `group` values of a row (32, 64 or 128),
/// value = scale · (code - 8), Q4_0's rounding. Rows are zero-padded to a whole group. Stored as
/// "codes" (u8, rows × padded/2; in each group byte j holds element j low, j + group/2 high) and
/// "scales" (f16, rows × padded/group). Runs on the Q4_0 kernel after an in-memory repack.
public final class Int4Encoding: ExecutableEncoding {
    public let format = "int4"
    public let shape: [Int]
    /// Values per scale.
    public let group: Int
    /// Row length after zero padding (a multiple of `group`).
    public let paddedCols: Int
    /// Packed codes.
    public let codes: Tensor
    /// f16 scales.
    public let scales: Tensor
    private var q4Blocks: [UInt8]?

    /// Quantizes `t` (rows = shape[0]) with one scale per `group` values.
    public static func quantize(_ t: Tensor, group: Int) throws -> Int4Encoding {
        try t.requireF32("int4")
        guard [32, 64, 128].contains(group) else { throw NNError.invalidArgument("int4: group must be 32, 64 or 128, got \(group)") }
        guard t.rank >= 1, t.count > 0 else { throw NNError.invalidArgument("int4: cannot quantize an empty tensor") }
        let rows = t.shape[0], cols = t.count / rows, padded = (cols + group - 1) / group * group
        let layout = try GroupInt4Layout(rows: rows, cols: padded, group: group)
        let codes = try Tensor(zeros: [rows, padded / 2], dtype: .u8)
        let scales = try Tensor(zeros: [rows, padded / group], dtype: .f16)
        try withPaddedRows(t.floats, rows: rows, cols: cols, padded: padded) { src in
            Quantize.int4(src, layout: layout, codes: codes.storage.bytes.assumingMemoryBound(to: UInt8.self),
                          scales: scales.storage.bytes.assumingMemoryBound(to: UInt16.self))
        }
        return try Int4Encoding(shape: t.shape, group: group, codes: codes, scales: scales)
    }

    /// Wraps stored tensors (checked against the shape and group).
    public init(shape: [Int], group: Int, codes: Tensor, scales: Tensor) throws {
        guard [32, 64, 128].contains(group) else { throw NNError.invalidModel("int4: group must be 32, 64 or 128, got \(group)") }
        let rows = shape.first ?? 0, cols = rows == 0 ? 0 : shape.reduce(1, *) / rows
        guard rows > 0 else { throw NNError.invalidModel("int4: empty shape") }
        let padded = (cols + group - 1) / group * group
        guard codes.dtype == .u8, codes.shape == [rows, padded / 2] else {
            throw NNError.invalidModel("int4: codes must be u8 \(shapeString([rows, padded / 2])), got \(codes.dtype) \(shapeString(codes.shape))")
        }
        guard scales.dtype == .f16, scales.shape == [rows, padded / group] else {
            throw NNError.invalidModel("int4: scales must be f16 \(shapeString([rows, padded / group])), got \(scales.dtype) \(shapeString(scales.shape))")
        }
        self.shape = shape; self.group = group; self.paddedCols = padded; self.codes = codes; self.scales = scales
    }

    static func decode(_ e: EncodedEntry) throws -> Int4Encoding {
        let group = try e.int("group")
        guard [32, 64, 128].contains(group) else { throw e.invalid("'group' must be 32, 64 or 128, got \(group)") }
        guard let rows = e.shape.first, rows > 0 else { throw e.invalid("int4 needs a non-empty shape") }
        let padded = (e.shape.reduce(1, *) / rows + group - 1) / group * group
        let c = try e.tensor("codes", .u8, [rows, padded / 2])
        let s = try e.tensor("scales", .f16, [rows, padded / group])
        do { return try Int4Encoding(shape: e.shape, group: group, codes: c, scales: s) } catch NNError.invalidModel(let m) { throw e.invalid(m) }
    }

    public func storedTensors() -> [(suffix: String, tensor: Tensor)] { [(suffix: "codes", tensor: codes), (suffix: "scales", tensor: scales)] }
    public var fields: [String: Any] { ["group": group] }
    public var byteCount: Int { storedByteCount }

    public func decode() throws -> Tensor {
        let rows = matrixRows, cols = matrixCols
        let layout = try GroupInt4Layout(rows: rows, cols: paddedCols, group: group)
        let full = UnsafeMutablePointer<Float>.allocate(capacity: rows * paddedCols)
        defer { full.deallocate() }
        Quantize.dequantizeInt4(codes: codes.storage.bytes.assumingMemoryBound(to: UInt8.self),
                                scales: scales.storage.bytes.assumingMemoryBound(to: UInt16.self), layout: layout, into: full)
        let out = try Tensor(zeros: shape)
        for r in 0..<rows { (out.floats + r * cols).update(from: full + r * paddedCols, count: cols) }
        return out
    }

    /// The same values as Q4_0 blocks (each group's scale repeated per 32 values), built once.
    private func blocksQ4_0() -> [UInt8] {
        if let b = q4Blocks { return b }
        let rows = matrixRows, perRow = paddedCols / 32
        var out = [UInt8](repeating: 0, count: rows * perRow * BlockQ4_0.bytes)
        let c = codes.storage.bytes.assumingMemoryBound(to: UInt8.self), s = scales.storage.bytes.assumingMemoryBound(to: UInt16.self)
        let half = group / 2
        var code = [UInt8](repeating: 0, count: group)
        for r in 0..<rows {
            for g in 0..<paddedCols / group {
                let src = c + r * paddedCols / 2 + g * half
                for j in 0..<half { code[j] = src[j] & 15; code[j + half] = src[j] >> 4 }
                let d = s[r * (paddedCols / group) + g]
                for sb in 0..<group / 32 {
                    let o = (r * perRow + g * group / 32 + sb) * BlockQ4_0.bytes
                    out[o] = UInt8(d & 0xFF); out[o + 1] = UInt8(d >> 8)
                    for j in 0..<16 { out[o + 2 + j] = code[sb * 32 + j] | (code[sb * 32 + j + 16] << 4) }
                }
            }
        }
        q4Blocks = out
        return out
    }

    public func linear(_ x: UnsafePointer<Float>, count m: Int, into y: UnsafeMutablePointer<Float>, input: ActivationQuantization?) throws {
        let b = blocksQ4_0()
        try withPaddedRows(x, rows: m, cols: matrixCols, padded: paddedCols) { xp in
            try b.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }  // no rows: nothing to multiply
                try QuantMatmul.matmul(format: .q4_0, m: m, n: matrixRows, k: paddedCols, x: xp, weights: base, y: y)
            }
        }
    }
}
