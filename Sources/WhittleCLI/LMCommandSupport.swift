import Foundation
import WhittleKernels
import WhittleNN

/// What the language-model commands share: loading, token ids from text or --ids, progress lines.
enum LMCommandSupport {
    /// Loads MODEL, turning any failure into a one-line error naming it.
    static func load(_ path: String, threads: Int?) throws -> LanguageModel {
        if let threads { KernelThreads.count = threads }
        do { return try LanguageModelLoader.load(path: path) } catch {
            throw LMCommandError(description: "\(error)")
        }
    }

    /// Token ids: parsed from a comma-separated --ids list, or `text` encoded by the model's tokenizer.
    static func tokens(_ lm: LanguageModel, text: String?, ids: String?, addSpecial: Bool = true) throws -> [Int] {
        let out: [Int]
        if let ids {
            out = try ids.split(separator: ",").map { s in
                guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else { throw LMCommandError(description: "--ids: '\(s)' is not an integer") }
                return v
            }
        } else if let text {
            guard !text.isEmpty else { throw LMCommandError(description: "empty text") }
            guard let t = lm.tokenizer else {
                throw LMCommandError(description: "\(lm.path) has no tokenizer Whittle can read: pass token ids with --ids")
            }
            out = try t.encode(text, addSpecial: addSpecial)
        } else {
            throw LMCommandError(description: "give a text or --ids")
        }
        do { try lm.checkIDs(out) } catch { throw LMCommandError(description: "\(error)") }
        return out
    }

    /// True when stderr is a terminal (progress lines are shown only there).
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// Writes `s` to stderr without a newline (progress lines rewrite themselves with \r).
    static func progress(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}

/// A language-model command's failure, printed by ArgumentParser.
struct LMCommandError: Error, CustomStringConvertible {
    let description: String
}
