import WhittleKernels
import WhittleTensor

/// ggml Q8_0 or Q4_0 blocks, one run of blocks per output channel. Rows whose length is not a
/// multiple of 32 are padded with zeros to the next block (the padding is stored and counted).
/// Stored as "blocks" (u8, rows × blocksPerRow·blockBytes), byte-identical to llama.cpp's.
public final class BlockEncoding: ExecutableEncoding {
    /// Which block format.
    public let kind: QuantFormat
    public let shape: [Int]
    /// Row length after zero padding (a multiple of 32).
    public let paddedCols: Int
    /// The raw blocks.
    public let blocks: Tensor

    public var format: String { kind == .q8_0 ? "q8_0" : "q4_0" }

    /// Quantizes `t` (rows = shape[0]) into blocks with ggml's rounding.
    public static func quantize(_ t: Tensor, kind: QuantFormat) throws -> BlockEncoding {
        try t.requireF32(kind == .q8_0 ? "q8_0" : "q4_0")
        guard t.rank >= 1, t.count > 0 else { throw NNError.invalidArgument("\(kind): cannot quantize an empty tensor") }
        let rows = t.shape[0], cols = t.count / rows, padded = (cols + 31) / 32 * 32
        let rowBytes = padded / 32 * kind.blockBytes
        let blocks = try Tensor(zeros: [rows, rowBytes], dtype: .u8)
        try withPaddedRows(t.floats, rows: rows, cols: cols, padded: padded) { src in
            if kind == .q8_0 { try Quantize.q8_0(src, count: rows * padded, into: blocks.storage.bytes) } else {
                try Quantize.q4_0(src, count: rows * padded, into: blocks.storage.bytes)
            }
        }
        return try BlockEncoding(kind: kind, shape: t.shape, paddedCols: padded, blocks: blocks)
    }

    /// Wraps stored blocks (checked against the shape).
    public init(kind: QuantFormat, shape: [Int], paddedCols: Int, blocks: Tensor) throws {
        let rows = shape.first ?? 0, cols = rows == 0 ? 0 : shape.reduce(1, *) / rows
        guard rows > 0, paddedCols == (cols + 31) / 32 * 32 else {
            throw NNError.invalidModel("\(kind): padded row length \(paddedCols) does not fit rows of \(cols)")
        }
        let expected = [rows, paddedCols / 32 * kind.blockBytes]
        guard blocks.dtype == .u8, blocks.shape == expected else {
            throw NNError.invalidModel("\(kind): blocks must be u8 \(shapeString(expected)), got \(blocks.dtype) \(shapeString(blocks.shape))")
        }
        self.kind = kind; self.shape = shape; self.paddedCols = paddedCols; self.blocks = blocks
    }

    static func decode(_ e: EncodedEntry, kind: QuantFormat) throws -> BlockEncoding {
        guard let rows = e.shape.first, rows > 0 else { throw e.invalid("\(kind) needs a non-empty shape") }
        let padded = try e.int("padded_cols")
        guard padded > 0, padded % 32 == 0, padded < 1 << 40 else { throw e.invalid("'padded_cols' must be a positive multiple of 32") }
        let b = try e.tensor("blocks", .u8, [rows, padded / 32 * kind.blockBytes])
        do { return try BlockEncoding(kind: kind, shape: e.shape, paddedCols: padded, blocks: b) } catch NNError.invalidModel(let m) { throw e.invalid(m) }
    }

    public func storedTensors() -> [(suffix: String, tensor: Tensor)] { [(suffix: "blocks", tensor: blocks)] }
    public var fields: [String: Any] { ["padded_cols": paddedCols] }
    public var byteCount: Int { blocks.byteCount }

    public func decode() throws -> Tensor {
        let rows = matrixRows, cols = matrixCols
        let out = try Tensor(zeros: shape)
        let full = UnsafeMutablePointer<Float>.allocate(capacity: rows * paddedCols)
        defer { full.deallocate() }
        if kind == .q8_0 { try Quantize.dequantizeQ8_0(blocks.storage.bytes, count: rows * paddedCols, into: full) } else {
            try Quantize.dequantizeQ4_0(blocks.storage.bytes, count: rows * paddedCols, into: full)
        }
        for r in 0..<rows { (out.floats + r * cols).update(from: full + r * paddedCols, count: cols) }
        return out
    }

    public func linear(_ x: UnsafePointer<Float>, count m: Int, into y: UnsafeMutablePointer<Float>, input: ActivationQuantization?) throws {
        // Activations go to Q8_0 blocks inside the kernel (ggml's scheme); a static range has no use here.
        try withPaddedRows(x, rows: m, cols: matrixCols, padded: paddedCols) { xp in
            try QuantMatmul.matmul(format: kind, m: m, n: matrixRows, k: paddedCols, x: xp, weights: blocks.storage.bytes, y: y)
        }
    }
}

/// Runs `body` on `x` (rows × cols) widened to rows × padded with zeros (no copy when equal).
func withPaddedRows<R>(_ x: UnsafePointer<Float>, rows: Int, cols: Int, padded: Int, _ body: (UnsafePointer<Float>) throws -> R) throws -> R {
    if padded == cols { return try body(x) }
    let p = UnsafeMutablePointer<Float>.allocate(capacity: max(rows * padded, 1))
    defer { p.deallocate() }
    p.initialize(repeating: 0, count: max(rows * padded, 1))
    for r in 0..<rows { (p + r * padded).update(from: x + r * cols, count: cols) }
    return try body(p)
}
