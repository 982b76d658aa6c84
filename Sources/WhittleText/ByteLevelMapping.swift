/// GPT-2's reversible map between bytes and printable characters: byte-level BPE vocabularies
/// store every token as these characters (a space is "Ġ", a newline "Ċ").
public enum ByteLevelMapping {
    /// The character standing for each byte value.
    public static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var extra: UInt32 = 0
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            let code = printable ? UInt32(b) : 256 + extra
            if !printable { extra += 1 }
            table[b] = Unicode.Scalar(code) ?? " "
        }
        return table
    }()

    /// The byte each mapped character stands for.
    public static let scalarToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    /// The raw bytes a vocabulary entry stands for, or nil when some character is outside the map.
    public static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for s in token.unicodeScalars {
            guard let b = scalarToByte[s.value] else { return nil }
            out.append(b)
        }
        return out
    }

    /// The vocabulary spelling of raw bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }
}
