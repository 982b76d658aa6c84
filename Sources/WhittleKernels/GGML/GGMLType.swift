/// ggml's tensor types, as data: the id stored in GGUF files, the elements per block and the
/// bytes per block (ggml's `type_traits[].blck_size` / `.type_size`). Ids come from ggml's
/// `enum ggml_type` and are never reused; removed ids (4, 5, 31-33, 36-38) are absent.
public enum GGMLType: UInt32, CaseIterable, Sendable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39

    /// Elements per block (1 for plain element types; QK_K = 256 for the K-quants).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .i8, .i16, .i32, .i64, .f64: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: return 32
        default: return 256
        }
    }

    /// Bytes per block (ggml's sizeof(block_*)).
    public var blockBytes: Int {
        switch self {
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8: return 1
        case .i64, .f64: return 8
        case .q4_0: return 18      // f16 d + 16 bytes of nibbles
        case .q4_1: return 20      // f16 d, f16 m + 16
        case .q5_0: return 22      // f16 d + 4 bytes high bits + 16
        case .q5_1: return 24      // f16 d, f16 m + 4 + 16
        case .q8_0: return 34      // f16 d + 32 i8
        case .q8_1: return 36      // f16 d, f16 s + 32 i8
        case .q2_K: return 84      // 16 scales + 64 qs + f16 d, dmin
        case .q3_K: return 110     // 32 hmask + 64 qs + 12 scales + f16 d
        case .q4_K: return 144     // f16 d, dmin + 12 scales + 128 qs
        case .q5_K: return 176     // f16 d, dmin + 12 scales + 32 qh + 128 qs
        case .q6_K: return 210     // 128 ql + 64 qh + 16 scales + f16 d
        case .q8_K: return 292     // f32 d + 256 i8 + 16 i16 bsums
        case .iq2_xxs: return 66
        case .iq2_xs: return 74
        case .iq3_xxs: return 98
        case .iq1_s: return 50
        case .iq4_nl: return 18    // f16 d + 16 bytes of nibbles (non-linear codebook)
        case .iq3_s: return 110
        case .iq2_s: return 82
        case .iq4_xs: return 136   // f16 d + u16 scales_h + 4 scales_l + 128 qs
        case .iq1_m: return 56
        case .tq1_0: return 54
        case .tq2_0: return 66
        case .mxfp4: return 17     // e8m0 exponent + 16 bytes of e2m1 nibbles
        }
    }

    /// ggml's lower-case name ("q4_K", "iq4_nl", "bf16").
    public var description: String {
        // Spelled out: "\(self)" would call this getter again (the type is CustomStringConvertible).
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .q4_0: return "q4_0"
        case .q4_1: return "q4_1"
        case .q5_0: return "q5_0"
        case .q5_1: return "q5_1"
        case .q8_0: return "q8_0"
        case .q8_1: return "q8_1"
        case .q2_K: return "q2_K"
        case .q3_K: return "q3_K"
        case .q4_K: return "q4_K"
        case .q5_K: return "q5_K"
        case .q6_K: return "q6_K"
        case .q8_K: return "q8_K"
        case .iq2_xxs: return "iq2_xxs"
        case .iq2_xs: return "iq2_xs"
        case .iq3_xxs: return "iq3_xxs"
        case .iq1_s: return "iq1_s"
        case .iq4_nl: return "iq4_nl"
        case .iq3_s: return "iq3_s"
        case .iq2_s: return "iq2_s"
        case .iq4_xs: return "iq4_xs"
        case .i8: return "i8"
        case .i16: return "i16"
        case .i32: return "i32"
        case .i64: return "i64"
        case .f64: return "f64"
        case .iq1_m: return "iq1_m"
        case .bf16: return "bf16"
        case .tq1_0: return "tq1_0"
        case .tq2_0: return "tq2_0"
        case .mxfp4: return "mxfp4"
        }
    }

    /// ggml's name as printed by llama.cpp tools (upper case: "Q4_K", "IQ4_NL", "BF16").
    public var upperName: String { description.uppercased() }

    /// True for the types Whittle can quantize, dequantize and run. The lattice types
    /// (IQ1/IQ2/IQ3), Q8_1 (an activation-only type) and MXFP4 are listed but refused on load.
    public var isSupported: Bool {
        switch self {
        case .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq3_s, .iq2_s, .iq1_m, .q8_1, .mxfp4, .i16, .i64, .f64: return false
        default: return true
        }
    }

    /// Bytes of a row of `n` elements, or nil when `n` is not a multiple of the block size.
    public func rowBytes(_ n: Int) -> Int? {
        guard n >= 0, n % blockSize == 0 else { return nil }
        let (b, o) = (n / blockSize).multipliedReportingOverflow(by: blockBytes)
        return o ? nil : b
    }

    /// Parses ggml's name in either case ("q4_k", "Q4_K", "iq4_nl").
    public init?(name: String) {
        let lower = name.lowercased()
        guard let t = GGMLType.allCases.first(where: { $0.description.lowercased() == lower }) else { return nil }
        self = t
    }
}
