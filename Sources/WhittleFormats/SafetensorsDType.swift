import WhittleTensor

/// Every dtype the reference implementation knows, declared in its order
/// (increasing alignment), which is the order its writer sorts by.
public enum SafetensorsDType: String, CaseIterable, Sendable, Comparable {
    case bool = "BOOL", f4 = "F4", f6e2m3 = "F6_E2M3", f6e3m2 = "F6_E3M2", u8 = "U8", i8 = "I8"
    case f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0", i16 = "I16", u16 = "U16"
    case f16 = "F16", bf16 = "BF16", i32 = "I32", u32 = "U32", f32 = "F32", c64 = "C64"
    case f64 = "F64", i64 = "I64", u64 = "U64"

    /// Bits per element (sub-byte float formats pack several per byte).
    public var bitSize: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Position in the reference's declaration order.
    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }

    /// The Whittle dtype holding the same bytes, or nil when Whittle has none.
    public var whittle: DType? {
        switch self {
        case .bool: return .bool
        case .u8: return .u8
        case .i8: return .i8
        case .f16: return .f16
        case .bf16: return .bf16
        case .i32: return .i32
        case .f32: return .f32
        case .f64: return .f64
        case .i64: return .i64
        default: return nil
        }
    }

    /// The file dtype for a Whittle element dtype; ggml block types have none
    /// (they are stored as U8 bytes with their type in the metadata).
    public init?(_ d: DType) {
        switch d {
        case .bool: self = .bool
        case .u8: self = .u8
        case .i8: self = .i8
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .i32: self = .i32
        case .f32: self = .f32
        case .f64: self = .f64
        case .i64: self = .i64
        default: return nil
        }
    }
}
