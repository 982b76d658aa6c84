/// ggml's `block_q8_0`: 32 weights as a shared f16 scale and 32 signed bytes (34 bytes, 8.5 bits/weight).
/// Value j decodes as `Half.float(d) * Float(qs[j])`.
public struct BlockQ8_0 {
    /// Scale d = max|x| / 127, as f16 bits.
    public var d: UInt16
    /// The 32 quantized values round(x / d), in [-127, 127].
    public var qs: (Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8,
                    Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8)
    /// Weights per block.
    public static let count = 32
    /// Bytes per block on disk and in memory (ggml's sizeof(block_q8_0)).
    public static let bytes = 34
}

/// ggml's `block_q4_0`: 32 weights as a shared f16 scale and 16 bytes of 4-bit codes (18 bytes, 4.5 bits/weight).
/// Code c decodes as `Half.float(d) * Float(c - 8)`.
public struct BlockQ4_0 {
    /// Scale d = (the signed value of largest magnitude) / -8, as f16 bits.
    public var d: UInt16
    /// Byte j holds element j in its low nibble and element j + 16 in its high nibble.
    public var qs: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    /// Weights per block.
    public static let count = 32
    /// Bytes per block on disk and in memory (ggml's sizeof(block_q4_0)).
    public static let bytes = 18
}

/// Per-output-channel int8 weights for an (rows x cols) matrix, stored planar (not in blocks).
public struct PerChannelInt8Layout: Equatable {
    /// Output rows; each row has its own scale (and zero point when asymmetric).
    public var rows: Int
    /// Values per row.
    public var cols: Int
    /// True when each row also stores an i8 zero point: x ≈ scale * (q - zero).
    public var hasZeroPoint: Bool
    /// rows*cols bytes of i8 values, row-major.
    public var valueBytes: Int { rows * cols }
    /// rows f32 scales.
    public var scaleBytes: Int { rows * 4 }
    /// rows i8 zero points when asymmetric, else 0.
    public var zeroBytes: Int { hasZeroPoint ? rows : 0 }
    /// Everything the format stores.
    public var totalBytes: Int { valueBytes + scaleBytes + zeroBytes }
    /// Describes a (rows x cols) per-channel int8 matrix.
    public init(rows: Int, cols: Int, hasZeroPoint: Bool) { self.rows = rows; self.cols = cols; self.hasZeroPoint = hasZeroPoint }
}

/// Group-wise signed int4 for an (rows x cols) matrix: an f16 scale per `group` values of a row,
/// codes packed two per byte with Q4_0's nibble order inside each group (so group 32 is Q4_0, planar).
public struct GroupInt4Layout: Equatable {
    /// Rows of the matrix.
    public var rows: Int
    /// Values per row (a multiple of `group`).
    public var cols: Int
    /// Values sharing one scale: 32, 64 or 128.
    public var group: Int
    /// Groups per row.
    public var groupsPerRow: Int { cols / group }
    /// rows*cols/2 bytes of codes; in group g byte j holds element j (low) and j + group/2 (high).
    public var codeBytes: Int { rows * cols / 2 }
    /// rows*groupsPerRow f16 scales.
    public var scaleBytes: Int { rows * groupsPerRow * 2 }
    /// Everything the format stores.
    public var totalBytes: Int { codeBytes + scaleBytes }
    /// Validates the group size and row length.
    public init(rows: Int, cols: Int, group: Int) throws {
        guard [32, 64, 128].contains(group) else { throw KernelError.unsupportedGroup(group) }
        guard cols % group == 0 else { throw KernelError.notBlockMultiple(format: "int4", length: cols, block: group) }
        self.rows = rows; self.cols = cols; self.group = group
    }
}
