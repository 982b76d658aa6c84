import Foundation

/// BERT's text normalizer and pre-tokenizer (Hugging Face `BertNormalizer` + `BertPreTokenizer`):
/// clean control characters, pad CJK ideographs with spaces, strip accents, lowercase, then split
/// on whitespace and isolate each punctuation character.
public struct BertNormalizer: Equatable, Sendable {
    /// Drop control characters and map every whitespace to a space.
    public var cleanText = true
    /// Surround CJK ideographs with spaces so each is its own word.
    public var handleChineseChars = true
    /// Remove combining accents (after canonical decomposition); nil follows `lowercase`, as BERT does.
    public var stripAccents: Bool? = nil
    /// Lowercase the text.
    public var lowercase = true

    /// The default uncased-BERT normalizer.
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText; self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents; self.lowercase = lowercase
    }

    /// The words of `text` after normalization, as arrays of scalars.
    func words(_ text: Substring) -> [[Unicode.Scalar]] {
        var normalized: [Unicode.Scalar] = []
        normalized.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            let v = s.value
            if cleanText {
                // Hugging Face drops "other" characters first (so VT, FF and NEL vanish), then maps whitespace to a space.
                if v == 9 || v == 10 || v == 13 { normalized.append(" "); continue }
                let c = CharClass.of(s)
                if v == 0 || v == 0xFFFD || c.contains(.control) { continue }
                if c.contains(.whitespace) { normalized.append(" "); continue }
            }
            if handleChineseChars && Self.isChinese(v) {
                normalized += [" ", s, " "]
            } else {
                normalized.append(s)
            }
        }
        if stripAccents ?? lowercase { normalized = Self.stripAccents(normalized) }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(normalized.count)
            for s in normalized {
                if s.value < 128 {
                    lowered.append(s.value >= 65 && s.value <= 90 ? Unicode.Scalar(s.value + 32) ?? s : s)
                } else {
                    lowered += s.properties.lowercaseMapping.unicodeScalars
                }
            }
            normalized = lowered
        }
        // BertPreTokenizer: split on whitespace, isolate punctuation.
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in normalized {
            let c = CharClass.of(s)
            if c.contains(.whitespace) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if Self.isPunctuation(s, c) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([s])
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// NFD, then drop nonspacing marks (Mn).
    static func stripAccents(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if scalars.allSatisfy({ $0.value < 128 }) { return scalars }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        let nfd = String(view).decomposedStringWithCanonicalMapping
        return nfd.unicodeScalars.filter { !CharClass.of($0).contains(.nonspacingMark) }
    }

    /// BERT's punctuation: ASCII symbol ranges or any Unicode P* character.
    static func isPunctuation(_ s: Unicode.Scalar, _ c: CharClass) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        return c.contains(.punctuation)
    }

    /// The CJK Unified Ideographs blocks BERT pads with spaces.
    static func isChinese(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
