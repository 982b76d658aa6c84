import CLua
import Foundation
import WhittleData
import WhittleNN

/// `whittle.data.text`: text datasets for language models, and the token windows that
/// calibrate language-model passes (`data = text:windows(lm.tokenizer, {...})`).
enum TextDataBindings {
    /// A text and where it came from.
    final class TextData {
        let text: String
        let source: String
        init(text: String, source: String) { self.text = text; self.source = source }
    }

    static let namespaces: [Namespace] = [
        Namespace("data", doc: "Datasets: the bundled MNIST, IDX pairs and text for language models.", [
            Binding("text", "whittle.data.text(path_or_string) -> Text",
                    "A text dataset: the contents of the file when the argument names one, else the string itself.") { c in
                let arg = try c.string(1, "path_or_string")
                guard !arg.isEmpty else { throw c.error("'path_or_string' is empty") }
                var isDir: ObjCBool = false
                if arg.utf8.count < 4096, !arg.contains("\n"), FileManager.default.fileExists(atPath: arg, isDirectory: &isDir) {
                    guard !isDir.boolValue else { throw c.error("'\(arg)' is a directory, not a text file") }
                    guard let data = FileManager.default.contents(atPath: arg) else { throw c.error("cannot read '\(arg)'") }
                    guard let s = String(data: data, encoding: .utf8) else { throw c.error("'\(arg)' is not UTF-8 text") }
                    guard !s.isEmpty else { throw c.error("'\(arg)' is empty") }
                    c.push(object: TextData(text: s, source: (arg as NSString).lastPathComponent), className: "Text")
                } else {
                    c.push(object: TextData(text: arg, source: "text"), className: "Text")
                }
                return 1
            },
        ]),
    ]

    static let classes: [LuaClass] = [textClass, windowsClass]

    private static func textData(_ c: LuaCall) throws -> TextData { try c.object(1, "self", TextData.self, className: "Text") }
    private static func windows(_ c: LuaCall) throws -> TokenWindows { try c.object(1, "self", TokenWindows.self, className: "TokenWindows") }

    /// The codec at `i`: a Tokenizer, or an LM whose tokenizer is used.
    private static func codec(_ c: LuaCall, _ i: Int32) throws -> (TextCodec, vocab: Int) {
        if let t = c.object(i, LMBindings.TokenizerHandle.self, className: "Tokenizer") { return (t.codec, t.vocab) }
        if let lm = c.object(i, LanguageModel.self, className: "LM") {
            guard let t = lm.tokenizer else { throw c.error("'tokenizer': this model has no tokenizer Whittle can read") }
            return (t, lm.vocabSize)
        }
        throw c.error("'tokenizer' must be a Tokenizer (lm.tokenizer) or an LM, got \(Lua.typeName(c.L, i))")
    }

    static let textClass = LuaClass("Text", doc: "A text dataset for language models (whittle.data.text).", methods: [
        Binding("windows", "text:windows(tokenizer, {ctx=512, count=128, seed=1}) -> TokenWindows",
                "Tokenizes the text (no BOS) and draws count non-overlapping windows of ctx tokens at seeded random offsets: calibration data for language-model passes.") { c in
            let t = try textData(c)
            let (codec, vocab) = try codec(c, 2)
            let o = try c.options(3)
            let ctx = try o.integer("ctx", default: 512, in: 1...1_048_576)
            let count = try o.integer("count", default: 128, in: 1...1_000_000)
            let seed = try o.integer("seed", default: 1, in: 0...Int.max)
            try o.finish()
            let ids = try codec.encode(t.text, addSpecial: false)
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocab }) { throw c.error("token id \(bad) is outside the vocabulary of \(vocab)") }
            do {
                c.push(object: try TokenWindows(tokens: ids, ctx: ctx, count: count, seed: UInt64(seed), source: t.source), className: "TokenWindows")
            } catch let e as DataError { throw c.error("\(e)") }
            return 1
        },
        Binding("slice", "text:slice(from, to) -> Text",
                "The part between two fractions of the text's length (0..1), cut at character boundaries: text:slice(0, 0.5) is the first half.") { c in
            let t = try textData(c)
            let from = try c.number(2, "from"), to = try c.number(3, "to")
            guard from >= 0, to <= 1, from < to else { throw c.error("need 0 <= from < to <= 1, got from=\(from) to=\(to)") }
            let chars = Array(t.text)
            let a = Int((Double(chars.count) * from).rounded(.down)), b = Int((Double(chars.count) * to).rounded(.down))
            guard b > a else { throw c.error("the slice [\(from), \(to)) of \(chars.count) characters is empty") }
            c.push(object: TextData(text: String(chars[a..<b]), source: "\(t.source)[\(from)..\(to)]"), className: "Text")
            return 1
        },
    ], properties: [
        Binding("source", "text.source -> string", "The file name, or \"text\" for a string.") { c in c.push(try textData(c).source); return 1 },
        Binding("string", "text.string -> string", "The text itself.") { c in c.push(try textData(c).text); return 1 },
    ], metamethods: [
        Binding("__len", "#text", "Length in bytes.") { c in c.push(try textData(c).text.utf8.count); return 1 },
        Binding("__tostring", "tostring(text)", "Source and size.") { c in
            let t = try textData(c)
            c.push("Text(\(t.source), \(t.text.utf8.count) bytes)"); return 1
        },
    ])

    static let windowsClass = LuaClass("TokenWindows", doc: "Calibration windows of token ids (text:windows).", methods: [
        Binding("get", "w:get(i) -> {ids...}", "The i-th window's token ids (1-based).") { c in
            let w = try windows(c)
            let i = try c.integer(2, "i")
            guard (1...w.count).contains(i) else { throw c.error("window \(i) out of range 1..\(w.count)") }
            c.push(integers: w.windows[i - 1]); return 1
        },
    ], properties: [
        Binding("ctx", "w.ctx -> integer", "Tokens per window.") { c in c.push(try windows(c).ctx); return 1 },
        Binding("count", "w.count -> integer", "Number of windows.") { c in c.push(try windows(c).count); return 1 },
        Binding("source", "w.source -> string", "The text the windows were drawn from.") { c in c.push(try windows(c).source); return 1 },
    ], metamethods: [
        Binding("__len", "#w", "Number of windows.") { c in c.push(try windows(c).count); return 1 },
        Binding("__tostring", "tostring(w)", "Count, length and source.") { c in
            let w = try windows(c)
            c.push("TokenWindows(\(w.count) x \(w.ctx) tokens from \(w.source))"); return 1
        },
    ])
}
