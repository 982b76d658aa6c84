/// The character classes the pre-tokenizer regexes use (\p{L}, \p{N}, \s), by Unicode
/// general category and the White_Space property, as Oniguruma and Rust's regex define them.
struct CharClass: OptionSet, Sendable {
    let rawValue: UInt8
    static let letter = CharClass(rawValue: 1)
    static let number = CharClass(rawValue: 2)
    static let whitespace = CharClass(rawValue: 4)
    /// Unicode punctuation (P*), used by BERT's pre-tokenizer.
    static let punctuation = CharClass(rawValue: 8)
    /// Nonspacing mark (Mn), removed when BERT strips accents.
    static let nonspacingMark = CharClass(rawValue: 16)
    /// Other characters (Cc, Cf, Cn, Co, Cs), removed by BERT's clean_text.
    static let control = CharClass(rawValue: 32)

    private static let ascii: [CharClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    /// The classes of `s` (ASCII from a table).
    @inline(__always) static func of(_ s: Unicode.Scalar) -> CharClass {
        s.value < 128 ? ascii[Int(s.value)] : classify(s)
    }

    static func classify(_ s: Unicode.Scalar) -> CharClass {
        var c: CharClass = []
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: c.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber: c.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: c.insert(.punctuation)
        case .nonspacingMark: c.insert(.nonspacingMark)
        case .control, .format, .unassigned, .privateUse, .surrogate: c.insert(.control)
        default: break
        }
        if s.properties.isWhitespace { c.insert(.whitespace) }
        return c
    }
}
