import WhittleKernels

/// The ggml types `quantize.mix` chooses among, and what each tensor can actually take.
public enum MixCandidates {
    /// The default list: the 32-block types and the K/IQ4 types from 3.4 to 8.5 bits per weight.
    public static let defaultNames = ["q3_K", "iq4_xs", "q4_0", "iq4_nl", "q4_1", "q4_K", "q5_0", "q5_1", "q5_K", "q6_K", "q8_0"]

    /// The types named in `names` (ggml's names, any case); an unknown name, or a type Whittle cannot
    /// both write and run, is an error naming it.
    public static func parse(_ names: [String]) throws -> [GGMLType] {
        guard !names.isEmpty else { throw CalibrationError.invalid("quantize.mix: 'candidates' is empty") }
        var out: [GGMLType] = []
        for n in names {
            guard let t = GGMLType(name: n) else { throw CalibrationError.invalid("quantize.mix: unknown candidate type '\(n)'") }
            guard t.blockSize > 1, GGMLCodec.canQuantize(t), t.isSupported else {
                throw CalibrationError.invalid("quantize.mix: '\(n)' is not a block type Whittle can write and run")
            }
            if !out.contains(t) { out.append(t) }
        }
        return out
    }

    /// The distinct types a tensor with rows of `rowLength` elements can take: each candidate after
    /// llama.cpp's shape fallback (tensor_type_fallback: Q3_K→Q4_0, IQ4_XS→IQ4_NL, Q4_K→Q5_0,
    /// Q5_K→Q5_1, Q6_K→Q8_0), F16 fallbacks left out; sorted by bits per weight.
    public static func options(_ types: [GGMLType], rowLength: Int) -> [GGMLType] {
        var out: [GGMLType] = []
        for t in types {
            let e = GGMLShapeFallback(requested: t, rowLength: rowLength).effective
            if e.blockSize > 1, rowLength % e.blockSize == 0, !out.contains(e) { out.append(e) }
        }
        return out.sorted { bitsPerWeight($0) < bitsPerWeight($1) }
    }

    /// Stored bits per weight of a block type (Q4_0: 18 bytes per 32 = 4.5).
    public static func bitsPerWeight(_ t: GGMLType) -> Double { Double(t.blockBytes * 8) / Double(t.blockSize) }
}
