/// Element types a tensor's storage can hold. Raw values are stable ids: never reuse one.
public enum DType: Int, CaseIterable, Sendable, CustomStringConvertible {
    case f32 = 0, f16 = 1, bf16 = 2, i8 = 3, u8 = 4, i32 = 5, i64 = 6, f64 = 7, bool = 8

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .i8, .u8, .bool: return 1
        case .i64, .f64: return 8
        }
    }

    /// Lower-case name used in Lua and in printed output ("f32").
    public var description: String { Self.names[rawValue] }

    private static let names = ["f32", "f16", "bf16", "i8", "u8", "i32", "i64", "f64", "bool"]

    /// Parses a name as printed (`"f32"`), accepting the torch/numpy spellings too.
    public init?(name: String) {
        let aliases: [String: DType] = ["float32": .f32, "float": .f32, "float16": .f16, "half": .f16,
                                        "bfloat16": .bf16, "int8": .i8, "uint8": .u8, "int32": .i32,
                                        "int64": .i64, "float64": .f64, "double": .f64]
        if let i = Self.names.firstIndex(of: name) { self = DType(rawValue: i)! } else if let d = aliases[name] { self = d } else { return nil }
    }
}
