/// One splitting rule of a pre-tokenizer, written as a hand scanner equivalent to the regex it names.
public enum PreTokenizerRule: Hashable, Sendable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3(maxDigits: Int)
    /// Numbers isolated from the rest: one piece per digit (`individual`) or per run of digits.
    case digits(individual: Bool)
}

/// A sequence of splitting rules; each rule splits every piece the previous one produced,
/// as Hugging Face's `Sequence` pre-tokenizer and llama.cpp's list of regexes do.
public struct PreTokenizer: Equatable, Sendable {
    /// The rules, applied in order.
    public let rules: [PreTokenizerRule]

    /// A pre-tokenizer applying `rules` in order.
    public init(_ rules: [PreTokenizerRule]) { self.rules = rules }

    /// llama.cpp's `tokenizer.ggml.pre` names Whittle implements, with their rules.
    public static func named(_ pre: String) -> PreTokenizer? {
        switch pre {
        case "gpt-2", "phi-2", "mpt", "olmo", "jais", "exaone4", "roberta-bpe", "default": return PreTokenizer([.gpt2])
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "dbrx", "smaug-bpe", "chatglm-bpe", "glm4":
            return PreTokenizer([.llama3(maxDigits: 3)])
        case "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez", "hunyuan", "grok-2":
            return PreTokenizer([.llama3(maxDigits: 1)])
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            return PreTokenizer([.digits(individual: true), .gpt2])
        default: return nil
        }
    }

    /// The `tokenizer.ggml.pre` names `named` accepts.
    public static let supportedNames = ["gpt-2", "llama-bpe", "llama3", "qwen2", "smollm", "starcoder", "default", "..."]

    /// The words of `text` (what the BPE model sees, before byte-level spelling).
    public func pieces(_ text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        var start = 0
        return split(s, s.map(CharClass.of)).map { end in
            defer { start = end }
            var v = String.UnicodeScalarView()
            v.append(contentsOf: s[start..<end])
            return String(v)
        }
    }

    /// Splits `scalars[0..<n]` into pieces, returned as consecutive end indices.
    func split(_ scalars: [Unicode.Scalar], _ classes: [CharClass]) -> [Int] {
        var ends = scalars.isEmpty ? [] : [scalars.count]
        for rule in rules {
            var out: [Int] = []
            out.reserveCapacity(ends.count * 2)
            var lo = 0
            for hi in ends {
                let scanner = Scanner(s: scalars, c: classes, lo: lo, hi: hi)
                switch rule {
                case .gpt2: scanner.gpt2(&out)
                case .llama3(let d): scanner.llama3(maxDigits: d, &out)
                case .digits(let individual): scanner.digits(individual: individual, &out)
                }
                lo = hi
            }
            ends = out
        }
        return ends
    }
}

/// Scans one piece [lo, hi); lookahead beyond the piece sees its end, as a regex on that piece would.
private struct Scanner {
    let s: [Unicode.Scalar]
    let c: [CharClass]
    let lo: Int
    let hi: Int

    @inline(__always) func cls(_ i: Int) -> CharClass { i < hi ? c[i] : [] }
    @inline(__always) func isOther(_ i: Int) -> Bool {
        i < hi && c[i].isDisjoint(with: [.letter, .number, .whitespace])
    }
    @inline(__always) func isCRLF(_ i: Int) -> Bool { i < hi && (s[i] == "\r" || s[i] == "\n") }
    @inline(__always) func lower(_ i: Int) -> UInt32 {
        guard i < hi else { return 0 }
        let v = s[i].value
        return (v >= 65 && v <= 90) ? v + 32 : v
    }

    /// Length of a contraction ('s 't 're 've 'm 'll 'd) at i, or 0.
    func contraction(_ i: Int, caseInsensitive: Bool) -> Int {
        guard s[i] == "'", i + 1 < hi else { return 0 }
        let a = caseInsensitive ? lower(i + 1) : s[i + 1].value
        if a == 115 || a == 116 || a == 109 || a == 100 { return 2 }   // s t m d
        guard i + 2 < hi else { return 0 }
        let b = caseInsensitive ? lower(i + 2) : s[i + 2].value
        if (a == 114 && b == 101) || (a == 118 && b == 101) || (a == 108 && b == 108) { return 3 }   // re ve ll
        return 0
    }

    /// Length of the whitespace run at i.
    func whitespaceRun(_ i: Int) -> Int {
        var j = i
        while j < hi && c[j].contains(.whitespace) { j += 1 }
        return j - i
    }

    /// `\s+(?!\S)|\s+` at i (a whitespace character): the run, less its last character when
    /// something non-blank follows and the run is longer than one.
    func trailingWhitespace(_ i: Int) -> Int {
        let n = whitespaceRun(i)
        if i + n == hi || n == 1 { return n }
        return n - 1
    }

    func gpt2(_ out: inout [Int]) {
        var i = lo
        while i < hi {
            var end: Int
            let k = contraction(i, caseInsensitive: false)
            if k > 0 {
                end = i + k
            } else {
                let start = s[i] == " " && i + 1 < hi && !c[i + 1].contains(.whitespace) ? i + 1 : i
                let cl = c[start]
                end = start + 1
                if cl.contains(.letter) {
                    while end < hi && c[end].contains(.letter) { end += 1 }
                } else if cl.contains(.number) {
                    while end < hi && c[end].contains(.number) { end += 1 }
                } else if !cl.contains(.whitespace) {
                    while isOther(end) { end += 1 }
                } else {
                    end = i + trailingWhitespace(i)
                }
            }
            out.append(end)
            i = end
        }
    }

    func llama3(maxDigits: Int, _ out: inout [Int]) {
        var i = lo
        while i < hi {
            var end: Int
            let ch = s[i], cl = c[i]
            let k = contraction(i, caseInsensitive: true)
            if k > 0 {
                end = i + k
            } else if cl.contains(.letter) || (!isCRLF(i) && !cl.contains(.number) && cls(i + 1).contains(.letter)) {
                // [^\r\n\p{L}\p{N}]?\p{L}+
                end = i + 1
                while end < hi && c[end].contains(.letter) { end += 1 }
            } else if cl.contains(.number) {
                end = i + 1
                while end < hi && end - i < maxDigits && c[end].contains(.number) { end += 1 }
            } else if isOther(i) || (ch == " " && isOther(i + 1)) {
                // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
                end = i + 1
                while isOther(end) { end += 1 }
                while isCRLF(end) { end += 1 }
            } else {
                // `\s*[\r\n]+`: up to the last CR/LF of the run; otherwise `\s+(?!\S)|\s+`
                let n = whitespaceRun(i)
                var lastBreak = -1
                for j in i..<(i + n) where s[j] == "\r" || s[j] == "\n" { lastBreak = j }
                end = lastBreak >= 0 ? lastBreak + 1 : i + trailingWhitespace(i)
            }
            out.append(end)
            i = end
        }
    }

    func digits(individual: Bool, _ out: inout [Int]) {
        var i = lo
        while i < hi {
            var end = i + 1
            if c[i].contains(.number) {
                if !individual { while end < hi && c[end].contains(.number) { end += 1 } }
            } else {
                while end < hi && !c[end].contains(.number) { end += 1 }
            }
            out.append(end)
            i = end
        }
    }
}
