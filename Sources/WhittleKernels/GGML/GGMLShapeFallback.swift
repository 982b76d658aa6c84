/// llama.cpp's shape-fallback rule (llama-quant.cpp, tensor_type_fallback): a tensor whose rows are not
/// a multiple of the requested type's block gets another type, silently, even with `--pure`.
/// Whittle applies the same rule when asked to be compatible and reports it.
public struct GGMLShapeFallback: Equatable, Sendable, CustomStringConvertible {
    /// The type that was asked for.
    public let requested: GGMLType
    /// The type llama.cpp would write.
    public let effective: GGMLType
    /// The row length (ne[0]) that decided it.
    public let rowLength: Int

    /// True when llama-quantize would stop instead ("no tensor type fallback is defined"): a 256-block
    /// type without a fallback (Q8_K) on rows it does not divide. `effective` is then F16.
    public var llamaCppRefuses: Bool {
        rowLength % requested.blockSize != 0 && requested.blockSize > 32 && fallbackTable(requested) == nil
    }

    /// True when the effective type differs from the requested one.
    public var changed: Bool { requested != effective }

    /// Why the type changed (empty when it did not), in llama-quantize's terms.
    public var reason: String {
        guard changed else { return "" }
        var text = "row length \(rowLength) is not a multiple of \(requested.blockSize) (required by \(requested.upperName))"
        if effective == .f16 && (fallbackTable(requested) ?? .f16) != .f16 {
            text += "; its fallback \(fallbackTable(requested).map(\.upperName) ?? "?") does not fit either"
        }
        return text + ": llama.cpp uses \(effective.upperName)"
    }

    public var description: String { changed ? "\(requested.upperName) -> \(effective.upperName) (\(reason))" : requested.upperName }

    /// The choice llama.cpp makes for `requested` on rows of `rowLength` elements.
    public init(requested: GGMLType, rowLength: Int) {
        self.requested = requested
        self.rowLength = rowLength
        guard rowLength % requested.blockSize != 0 else { effective = requested; return }
        // Types without a table entry are 32-block (or element) types: only the F16 check applies.
        var type = fallbackTable(requested) ?? requested
        if rowLength % type.blockSize != 0 { type = .f16 }
        effective = type
    }
}

/// tensor_type_fallback's switch: the 32-block type each 256-block type falls back to.
private func fallbackTable(_ type: GGMLType) -> GGMLType? {
    switch type {
    case .iq1_s, .iq1_m, .iq2_xxs, .iq2_xs, .iq2_s, .iq3_xxs, .iq3_s, .iq4_xs: return .iq4_nl
    case .q2_K, .q3_K, .tq1_0, .tq2_0: return .q4_0
    case .q4_K: return .q5_0
    case .q5_K: return .q5_1
    case .q6_K: return .q8_0
    default: return nil
    }
}
