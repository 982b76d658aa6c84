import WhittleKernels

/// Element types a tensor's storage can hold. Raw values are stable ids: never reuse one.
/// Plain element types are 0...8; ggml block types are 100 + their ggml id, and hold
/// `blockSize` elements in `blockBytes` bytes along the last dimension.
public enum DType: Int, CaseIterable, Sendable, CustomStringConvertible {
    case f32 = 0, f16 = 1, bf16 = 2, i8 = 3, u8 = 4, i32 = 5, i64 = 6, f64 = 7, bool = 8
    case q4_0 = 102, q4_1 = 103, q5_0 = 106, q5_1 = 107, q8_0 = 108
    case q2_K = 110, q3_K = 111, q4_K = 112, q5_K = 113, q6_K = 114, q8_K = 115
    case iq4_nl = 120, iq4_xs = 123, tq1_0 = 134, tq2_0 = 135

    /// The ggml type of a block dtype (nil for the plain element types).
    public var ggmlBlockType: GGMLType? { rawValue >= 100 ? GGMLType(rawValue: UInt32(rawValue - 100)) : nil }

    /// True for the ggml block types.
    public var isBlock: Bool { rawValue >= 100 }

    /// The dtype holding a ggml type in its own layout, when Whittle supports it.
    public init?(ggml: GGMLType) {
        switch ggml {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .i8: self = .i8
        case .i32: self = .i32
        default:
            guard ggml.isSupported, let d = DType(rawValue: 100 + Int(ggml.rawValue)) else { return nil }
            self = d
        }
    }

    /// Elements per storage unit: 1 for element types, the block size for ggml block types.
    public var blockSize: Int { ggmlBlockType?.blockSize ?? 1 }

    /// Bytes per storage unit: the element size, or the bytes of one block.
    public var size: Int {
        if let g = ggmlBlockType { return g.blockBytes }
        switch self {
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .i8, .u8, .bool: return 1
        default: return 8
        }
    }

    /// Bytes that `count` elements occupy (count must be a multiple of `blockSize`;
    /// nil when it is not, or on overflow).
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (b, o) = (count / blockSize).multipliedReportingOverflow(by: size)
        return o ? nil : b
    }

    /// Lower-case name used in Lua and in printed output ("f32", "q4_K").
    public var description: String {
        if let g = ggmlBlockType { return g.description }
        return Self.names[rawValue]
    }

    private static let names = ["f32", "f16", "bf16", "i8", "u8", "i32", "i64", "f64", "bool"]

    /// Parses a name as printed (`"f32"`, `"q4_K"`), accepting torch/numpy spellings and any case for ggml types.
    public init?(name: String) {
        let aliases: [String: DType] = ["float32": .f32, "float": .f32, "float16": .f16, "half": .f16,
                                        "bfloat16": .bf16, "int8": .i8, "uint8": .u8, "int32": .i32,
                                        "int64": .i64, "float64": .f64, "double": .f64]
        if let i = Self.names.firstIndex(of: name), let d = DType(rawValue: i) { self = d }
        else if let d = aliases[name] { self = d }
        else if let g = GGMLType(name: name), let d = DType(ggml: g), d.isBlock { self = d }
        else { return nil }
    }
}
