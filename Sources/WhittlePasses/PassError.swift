/// Errors of the pass layer; every message starts with the pass name.
public enum PassError: Error, CustomStringConvertible, Equatable {
    /// An option is missing, unknown, of the wrong type or out of range.
    case invalidOption(pass: String, message: String)
    /// No pass of that name; lists the known ones.
    case unknownPass(name: String, known: [String])
    /// A second pass with an existing name.
    case duplicatePass(name: String, existing: String)
    /// A target glob matched nothing, or a target cannot take this pass.
    case invalidTarget(pass: String, message: String)
    /// The pass failed while running; the model was restored.
    case failed(pass: String, message: String)
    /// A language-model pass was given a layer model.
    case languageModelOnly(pass: String)

    public var description: String {
        switch self {
        case .invalidOption(let p, let m), .invalidTarget(let p, let m), .failed(let p, let m): return "\(p): \(m)"
        case .languageModelOnly(let p): return "\(p): works on language models only (load one with whittle.lm.load)"
        case .unknownPass(let n, let known): return "unknown pass '\(n)' (known: \(known.joined(separator: ", ")))"
        case .duplicatePass(let n, let existing): return "a pass named '\(n)' is already registered (\(existing))"
        }
    }
}
