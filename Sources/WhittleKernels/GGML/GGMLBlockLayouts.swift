/// Byte layouts of ggml's block types (ggml-common.h), one table per type: each field's offset and
/// length in bytes, in declaration order, with what it holds. All multi-byte fields are little-endian;
/// "f16" fields hold IEEE half bits. `GGMLType.blockBytes` is the sum of the lengths (a test checks).
public struct GGMLBlockLayout: Sendable {
    /// One field of a block.
    public struct Field: Sendable {
        /// ggml's field name.
        public let name: String
        /// Byte offset inside the block.
        public let offset: Int
        /// Length in bytes.
        public let bytes: Int
    }

    /// Elements per block.
    public let elements: Int
    /// The fields, contiguous from offset 0.
    public let fields: [Field]
    /// Bytes per block (end of the last field).
    public var bytes: Int { fields.last.map { $0.offset + $0.bytes } ?? 0 }

    init(_ elements: Int, _ spec: [(String, Int)]) {
        var offset = 0
        var out: [Field] = []
        for (name, bytes) in spec {
            out.append(Field(name: name, offset: offset, bytes: bytes))
            offset += bytes
        }
        self.elements = elements
        fields = out
    }

    /// Offset of the named field (nil when the type has no such field).
    public func offset(_ name: String) -> Int? { fields.first { $0.name == name }?.offset }

    /// The layout of `type`'s block, or nil for plain element types and unsupported block types.
    public static func of(_ type: GGMLType) -> GGMLBlockLayout? {
        switch type {
        case .q4_0: return q4_0
        case .q4_1: return q4_1
        case .q5_0: return q5_0
        case .q5_1: return q5_1
        case .q8_0: return q8_0
        case .q2_K: return q2_K
        case .q3_K: return q3_K
        case .q4_K: return q4_K
        case .q5_K: return q5_K
        case .q6_K: return q6_K
        case .q8_K: return q8_K
        case .iq4_nl: return iq4_nl
        case .iq4_xs: return iq4_xs
        case .tq1_0: return tq1_0
        case .tq2_0: return tq2_0
        default: return nil
        }
    }

    /// Q4_0: d (f16, x ≈ d·(q−8)); qs: byte j = element j (low nibble) | element j+16 (high nibble).
    public static let q4_0 = GGMLBlockLayout(32, [("d", 2), ("qs", 16)])
    /// Q4_1: d, m (f16, x ≈ d·q + m); qs as Q4_0.
    public static let q4_1 = GGMLBlockLayout(32, [("d", 2), ("m", 2), ("qs", 16)])
    /// Q5_0: d (f16, x ≈ d·(q−16)); qh: u32, bit j = 5th bit of element j; qs: low 4 bits as Q4_0.
    public static let q5_0 = GGMLBlockLayout(32, [("d", 2), ("qh", 4), ("qs", 16)])
    /// Q5_1: d, m (f16, x ≈ d·q + m); qh, qs as Q5_0.
    public static let q5_1 = GGMLBlockLayout(32, [("d", 2), ("m", 2), ("qh", 4), ("qs", 16)])
    /// Q8_0: d (f16, x ≈ d·q); qs: 32 signed bytes.
    public static let q8_0 = GGMLBlockLayout(32, [("d", 2), ("qs", 32)])
    /// Q2_K: scales: per 16-element group, low nibble scale, high nibble min; qs: 2-bit codes, byte
    /// 32c+l holds elements 128c+l, +32, +64, +96 (bits 0-1, 2-3, 4-5, 6-7); d, dmin (f16):
    /// x ≈ d·sc·q − dmin·m.
    public static let q2_K = GGMLBlockLayout(256, [("scales", 16), ("qs", 64), ("d", 2), ("dmin", 2)])
    /// Q3_K: hmask: bit k of byte l = 3rd bit of element 32k+l (set means no −4 offset); qs: low 2 bits as
    /// Q2_K; scales: 16 6-bit scales (low nibbles in bytes 0-7, high 2 bits in 8-11), biased by 32; d (f16).
    public static let q3_K = GGMLBlockLayout(256, [("hmask", 32), ("qs", 64), ("scales", 12), ("d", 2)])
    /// Q4_K: d, dmin (f16); scales: 8 6-bit scales and 8 6-bit mins (get_scale_min_k4 packing);
    /// qs: byte 32c+l = element 64c+l (low nibble) | element 64c+32+l (high). x ≈ d·sc·q − dmin·m.
    public static let q4_K = GGMLBlockLayout(256, [("d", 2), ("dmin", 2), ("scales", 12), ("qs", 128)])
    /// Q5_K: as Q4_K plus qh: bit 2c (2c+1) of byte l = 5th bit of element 64c+l (64c+32+l).
    public static let q5_K = GGMLBlockLayout(256, [("d", 2), ("dmin", 2), ("scales", 12), ("qh", 32), ("qs", 128)])
    /// Q6_K: ql: low 4 bits, qh: high 2 bits (per 128 elements: ql 64 bytes, qh 32 bytes), scales:
    /// 16 signed 8-bit scales, d (f16). x ≈ d·sc·(q−32).
    public static let q6_K = GGMLBlockLayout(256, [("ql", 128), ("qh", 64), ("scales", 16), ("d", 2)])
    /// Q8_K (activations): d (f32), qs: 256 signed bytes, bsums: 16 i16 sums of 16 qs each.
    public static let q8_K = GGMLBlockLayout(256, [("d", 4), ("qs", 256), ("bsums", 32)])
    /// IQ4_NL: d (f16); qs as Q4_0, codes index the non-linear table `kvaluesIQ4NL`.
    public static let iq4_nl = GGMLBlockLayout(32, [("d", 2), ("qs", 16)])
    /// IQ4_XS: d (f16); scales_h: u16, 2 high bits per 32-block scale; scales_l: low nibbles;
    /// qs: per 32-block as IQ4_NL. x ≈ d·(ls−32)·kvalues[q].
    public static let iq4_xs = GGMLBlockLayout(256, [("d", 2), ("scales_h", 2), ("scales_l", 4), ("qs", 128)])
    /// TQ1_0: qs: 5 trits per byte (fixed-point base-3 fraction), qh: 4 trits per byte; d (f16).
    public static let tq1_0 = GGMLBlockLayout(256, [("qs", 48), ("qh", 4), ("d", 2)])
    /// TQ2_0: qs: 2-bit codes q+1 (q in −1...1), byte 32c+m holds elements 128c+m+32n at bits 2n; d (f16).
    public static let tq2_0 = GGMLBlockLayout(256, [("qs", 64), ("d", 2)])
}
