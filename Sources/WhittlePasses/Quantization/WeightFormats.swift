import WhittleKernels
import WhittleNN
import WhittleTensor

/// A weight storage format chosen by a pass's options.
enum WeightFormat: Equatable {
    case int8(perChannel: Bool, symmetric: Bool)
    case q8_0
    case q4_0
    case int4(group: Int)

    /// Format names `quantize.weights` accepts.
    static let names = ["q8_0", "q4_0", "int4", "int8"]

    /// The format from `format`, `group`, `per_channel` and `symmetric` options, checking their combination.
    static func from(_ o: PassOptions, pass: String) throws -> WeightFormat {
        let name = o.string("format") ?? "q8_0"
        let group = o.integer("group")
        func bad(_ m: String) -> PassError { .invalidOption(pass: pass, message: m) }
        if let g = group, name != "int4", !(g == 32 && (name == "q8_0" || name == "q4_0")) {
            throw bad(name == "int8" ? "'group' does not apply to int8 (it uses per_channel), got \(g)" : "'group' is fixed at 32 for \(name), got \(g)")
        }
        if name != "int8", o.bool("per_channel") != nil || o.bool("symmetric") != nil {
            throw bad("'per_channel' and 'symmetric' apply to int8 only, not \(name)")
        }
        switch name {
        case "int8": return .int8(perChannel: o.bool("per_channel") ?? true, symmetric: o.bool("symmetric") ?? true)
        case "q8_0": return .q8_0
        case "q4_0": return .q4_0
        case "int4":
            let g = group ?? 32
            guard [32, 64, 128].contains(g) else { throw bad("'group' must be 32, 64 or 128, got \(g)") }
            return .int4(group: g)
        default: throw bad("'format' must be one of \(names.joined(separator: ", ")), got \"\(name)\"")
        }
    }

    /// Encodes `t` in this format.
    func encode(_ t: Tensor) throws -> ParameterEncoding {
        switch self {
        case let .int8(pc, sym): return try Int8Encoding.quantize(t, perChannel: pc, symmetric: sym)
        case .q8_0: return try BlockEncoding.quantize(t, kind: .q8_0)
        case .q4_0: return try BlockEncoding.quantize(t, kind: .q4_0)
        case let .int4(g): return try Int4Encoding.quantize(t, group: g)
        }
    }

    /// Display name ("int4/g32").
    var label: String {
        switch self {
        case let .int8(pc, sym): return "int8" + (pc ? "/channel" : "/tensor") + (sym ? "" : "/affine")
        case .q8_0: return "q8_0"
        case .q4_0: return "q4_0"
        case let .int4(g): return "int4/g\(g)"
        }
    }
}

/// Max |a - b| and root mean squared difference of two same-sized tensors.
func errorStats(_ a: Tensor, _ b: Tensor) -> (maxAbs: Double, rmse: Double) {
    var m = 0.0, s = 0.0
    for i in 0..<min(a.count, b.count) {
        let d = Double(a.floats[i] - b.floats[i])
        m = max(m, abs(d)); s += d * d
    }
    return (m, a.count == 0 ? 0 : (s / Double(a.count)).squareRoot())
}

/// The report row of one encoded weight.
func encodingRow(_ name: String, before: Tensor, encoding e: ParameterEncoding, after: Tensor, extra: [(String, PassValue)] = []) -> PassReport.Row {
    let err = errorStats(before, after)
    return PassReport.Row(target: name, values: [
        ("format", .string(e.format)),
        ("bytes_before", .integer(before.byteCount)),
        ("bytes_after", .integer(e.byteCount)),
        ("bits_per_weight", .number(e.bitsPerWeight)),
        ("max_error", .number(err.maxAbs)),
        ("rmse", .number(err.rmse)),
    ] + extra)
}
