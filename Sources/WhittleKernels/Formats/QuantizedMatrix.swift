/// A row-major (rows x cols) f32 matrix stored in one of the quantized formats, with the kernel
/// that multiplies it: rows are output channels, as in a Linear layer's weight.
public final class QuantizedMatrix: @unchecked Sendable {
    /// The storage formats.
    public enum Format: String, CaseIterable, Sendable {
        /// i8 values with an f32 scale per row (or one per matrix), optional zero point per row.
        case int8
        /// ggml Q8_0 blocks (34 bytes per 32 values).
        case q8_0
        /// ggml Q4_0 blocks (18 bytes per 32 values).
        case q4_0
        /// Group-wise 4-bit codes with an f16 scale per group (planar, see `GroupInt4Layout`).
        case int4
    }

    /// Storage format.
    public let format: Format
    /// Output channels.
    public let rows: Int
    /// Values per row.
    public let cols: Int
    /// Values sharing a scale: cols for per-channel int8, 0 for per-tensor int8, 32 for Q8_0/Q4_0, the int4 group.
    public let group: Int
    /// True when int8 rows carry zero points.
    public let hasZeroPoint: Bool

    private var blocks: [UInt8] = []          // q8_0 / q4_0 blocks, or int4 codes
    private var halfScales: [UInt16] = []     // int4 group scales
    private var int8: PackedInt8Weights?
    private var int8Values: [Int8] = []

    /// Quantizes `x` (rows x cols). Throws for a row length the format cannot hold or a bad group.
    public init(_ x: UnsafePointer<Float>, rows: Int, cols: Int, format: Format,
                perChannel: Bool = true, group: Int = 32, zeroPoint: Bool = false) throws {
        self.format = format; self.rows = rows; self.cols = cols
        hasZeroPoint = format == .int8 && zeroPoint
        switch format {
        case .int8:
            if zeroPoint && !perChannel { throw KernelError.unsupportedOption("int8: zero points are per channel; set per_channel=true") }
            self.group = perChannel ? cols : 0
            let layout = PerChannelInt8Layout(rows: rows, cols: cols, hasZeroPoint: zeroPoint)
            var q = [Int8](repeating: 0, count: rows * cols), s = [Float](repeating: 0, count: rows), z = [Int8](repeating: 0, count: rows)
            if perChannel {
                z.withUnsafeMutableBufferPointer { zb in
                    Quantize.int8Rows(x, layout: layout, values: &q, scales: &s, zeros: zeroPoint ? zb.baseAddress : nil)
                }
            } else {
                // One scale for the whole matrix: every row is quantized against the global max.
                var amax: Float = 0
                for i in 0..<rows * cols { amax = max(amax, abs(x[i])) }
                let scale = amax / 127, inv: Float = scale == 0 ? 0 : 1 / scale
                for i in 0..<rows * cols { q[i] = Int8((x[i] * inv).rounded(.toNearestOrAwayFromZero)) }
                for r in 0..<rows { s[r] = scale }
            }
            int8Values = q
            int8 = z.withUnsafeBufferPointer { zb in
                PackedInt8Weights(values: q, n: rows, k: cols, scales: s, zeros: zeroPoint ? zb.baseAddress : nil)
            }
        case .q8_0, .q4_0:
            guard cols % 32 == 0 else { throw KernelError.notBlockMultiple(format: format.rawValue, length: cols, block: 32) }
            self.group = 32
            let fmt: QuantFormat = format == .q8_0 ? .q8_0 : .q4_0
            blocks = [UInt8](repeating: 0, count: rows * cols / 32 * fmt.blockBytes)
            if format == .q8_0 { try Quantize.q8_0(x, count: rows * cols, into: &blocks) } else { try Quantize.q4_0(x, count: rows * cols, into: &blocks) }
        case .int4:
            let layout = try GroupInt4Layout(rows: rows, cols: cols, group: group)
            self.group = group
            blocks = [UInt8](repeating: 0, count: layout.codeBytes)
            halfScales = [UInt16](repeating: 0, count: rows * layout.groupsPerRow)
            Quantize.int4(x, layout: layout, codes: &blocks, scales: &halfScales)
        }
    }

    /// Bytes the format stores (values, scales, zero points).
    public var byteCount: Int {
        switch format {
        case .int8: return rows * cols + (group == 0 ? 4 : rows * 4) + (hasZeroPoint ? rows : 0)
        case .q8_0, .q4_0, .int4: return blocks.count + halfScales.count * 2
        }
    }

    /// Writes the dequantized (rows x cols) matrix.
    public func dequantize(into y: UnsafeMutablePointer<Float>) {
        switch format {
        case .int8:
            guard let w = int8 else { return }
            for r in 0..<rows {
                let s = w.scales[r], z = Float(w.zeros[r])
                for j in 0..<cols { y[r * cols + j] = s * (Float(int8Values[r * cols + j]) - z) }
            }
        case .q8_0: try? Quantize.dequantizeQ8_0(blocks, count: rows * cols, into: y)
        case .q4_0: try? Quantize.dequantizeQ4_0(blocks, count: rows * cols, into: y)
        case .int4:
            if let layout = try? GroupInt4Layout(rows: rows, cols: cols, group: group) {
                Quantize.dequantizeInt4(codes: blocks, scales: halfScales, layout: layout, into: y)
            }
        }
    }

    /// y (n x rows) = x (n x cols) · Wᵀ with the format's kernel: VNNI int8 with per-row activation
    /// quantization, Q8_0/Q4_0 block dot products, and for int4 dequantize-then-f32 GEMM.
    public func linear(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>) throws {
        if n == 0 || rows == 0 { return }
        if cols == 0 {
            y.initialize(repeating: 0, count: n * rows)
            return
        }
        switch format {
        case .int8:
            if let w = int8 { Int8GEMM.linear(m: n, x: x, weights: w, y: y) }
        case .q8_0, .q4_0:
            try blocks.withUnsafeBytes { b in
                try QuantMatmul.matmul(format: format == .q8_0 ? .q8_0 : .q4_0, m: n, n: rows, k: cols, x: x, weights: b.baseAddress!, y: y)
            }
        case .int4:
            withScratch(rows * cols) { w in
                dequantize(into: w)
                GEMM.sgemm(m: n, n: rows, k: cols, a: x, lda: cols, b: w, ldb: cols, transB: true, c: y, ldc: rows)
            }
        }
    }
}
