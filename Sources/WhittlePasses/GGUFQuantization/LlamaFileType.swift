import WhittleKernels

/// llama.cpp's file types (`enum llama_ftype`): a named mixture whose default tensor type is
/// refined per tensor by `LlamaTensorRules`. Ids are llama.h's and are stored in
/// `general.file_type`. The lattice mixtures (IQ1/IQ2/IQ3) are absent: Whittle cannot write those types.
public enum LlamaFileType: Int, CaseIterable, Sendable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 7, q5_0 = 8, q5_1 = 9
    case q2_K = 10, q3_K_S = 11, q3_K_M = 12, q3_K_L = 13, q4_K_S = 14, q4_K_M = 15, q5_K_S = 16, q5_K_M = 17, q6_K = 18
    case q2_K_S = 21, iq4_nl = 25, iq4_xs = 30, bf16 = 32, tq1_0 = 36, tq2_0 = 37

    /// The name llama-quantize takes and prints ("Q4_K_M").
    public var description: String { rawName.uppercased() }

    private var rawName: String {
        switch self {
        case .q4_0: return "q4_0"
        case .q4_1: return "q4_1"
        case .q5_0: return "q5_0"
        case .q5_1: return "q5_1"
        case .q8_0: return "q8_0"
        case .q2_K: return "q2_k"
        case .q2_K_S: return "q2_k_s"
        case .q3_K_S: return "q3_k_s"
        case .q3_K_M: return "q3_k_m"
        case .q3_K_L: return "q3_k_l"
        case .q4_K_S: return "q4_k_s"
        case .q4_K_M: return "q4_k_m"
        case .q5_K_S: return "q5_k_s"
        case .q5_K_M: return "q5_k_m"
        case .q6_K: return "q6_k"
        case .iq4_nl: return "iq4_nl"
        case .iq4_xs: return "iq4_xs"
        case .tq1_0: return "tq1_0"
        case .tq2_0: return "tq2_0"
        case .f32: return "f32"
        case .f16: return "f16"
        case .bf16: return "bf16"
        }
    }

    /// Parses a name in any case ("q4_k_m", "Q8_0"); "Q4_K" and "Q5_K" mean their _M mixtures, as in llama-quantize.
    public init?(name: String) {
        let n = name.lowercased()
        let aliases: [String: LlamaFileType] = ["q4_k": .q4_K_M, "q5_k": .q5_K_M, "q3_k": .q3_K_M]
        if let a = aliases[n] { self = a; return }
        guard let t = LlamaFileType.allCases.first(where: { $0.rawName == n }) else { return nil }
        self = t
    }

    /// Every name, for help and errors.
    public static var names: [String] { allCases.map(\.description) }

    /// llama_ftype_get_default_type.
    public var defaultType: GGMLType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q5_0: return .q5_0
        case .q5_1: return .q5_1
        case .q8_0: return .q8_0
        case .q2_K, .q2_K_S: return .q2_K
        case .q3_K_S, .q3_K_M, .q3_K_L: return .q3_K
        case .q4_K_S, .q4_K_M: return .q4_K
        case .q5_K_S, .q5_K_M: return .q5_K
        case .q6_K: return .q6_K
        case .iq4_nl: return .iq4_nl
        case .iq4_xs: return .iq4_xs
        case .tq1_0: return .tq1_0
        case .tq2_0: return .tq2_0
        }
    }
}
