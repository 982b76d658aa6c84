/// The "provenance" section `whittle inspect` prints: the source and its hash, each pass with
/// its options, the Whittle version, and the recipe's full text.
public enum ProvenanceReport {
    /// The section for a file's `whittle.*` entries, or "provenance: none".
    public static func render(_ metadata: [String: String]) -> String {
        let entries = Provenance.entries(in: metadata)
        guard !entries.isEmpty else { return "provenance: none\n" }
        var out = "provenance:\n"
        if let v = metadata[Provenance.versionKey] { out += "  written by: Whittle \(v)\n" }
        if let s = metadata[Provenance.sourceKey] {
            if case .object(let o)? = try? JSONParser.parse(s) {
                let name = o.first { $0.key == "name" }?.value.stringValue ?? "?"
                out += "  source: \(name)\n"
                if case .array(let files)? = o.first(where: { $0.key == "files" })?.value {
                    for case .object(let f) in files {
                        let path = f.first { $0.key == "path" }?.value.stringValue ?? "?"
                        let hash = f.first { $0.key == "sha256" }?.value.stringValue ?? "?"
                        out += "    \(path)  sha256 \(hash)\n"
                    }
                }
            } else {
                out += "  source: \(s)\n"
            }
        }
        if let p = metadata[Provenance.passesKey] {
            if case .array(let passes)? = try? JSONParser.parse(p) {
                out += "  passes: \(passes.count)\n"
                for (i, pass) in passes.enumerated() {
                    guard case .object(let o) = pass else { continue }
                    let name = o.first { $0.key == "pass" }?.value.stringValue ?? "?"
                    var opts = ""
                    if case .object(let options)? = o.first(where: { $0.key == "options" })?.value {
                        opts = options.map { "\($0.key)=\(JSONWriter.compact($0.value))" }.joined(separator: " ")
                    }
                    out += "    \(i + 1). \(name) \(opts)\n"
                }
            } else {
                out += "  passes: \(p)\n"
            }
        }
        if let r = metadata[Provenance.recipeKey] {
            out += "  recipe (\(r.split(separator: "\n", omittingEmptySubsequences: false).count) lines):\n"
            for line in r.split(separator: "\n", omittingEmptySubsequences: false) { out += "    | \(line)\n" }
        }
        return out
    }

    /// The string-valued `whittle.*` entries of GGUF metadata.
    public static func strings(_ m: GGUFMetadata) -> [String: String] {
        var out: [String: String] = [:]
        for k in Provenance.keys { if let s = m.string(k) { out[k] = s } }
        return out
    }
}
