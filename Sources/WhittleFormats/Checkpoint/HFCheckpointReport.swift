import Foundation

/// What `whittle inspect DIR` prints for a Hugging Face model directory: the configuration's
/// headline numbers, its quantization_config, the files, every tensor, and the provenance.
public enum HFCheckpointReport {
    /// The report; the directory is opened and validated as the loader does first.
    public static func render(_ ckpt: HFCheckpoint) throws -> String {
        let c = ckpt.config
        var out = "\(ckpt.directory) (Hugging Face model directory)\n\n"
        out += "config:\n"
        let keys = ["model_type", "architectures", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                    "intermediate_size", "vocab_size", "max_position_embeddings", "torch_dtype", "tie_word_embeddings"]
        for k in keys { if let v = c[k] { out += "  \(k): \(describe(v))\n" } }
        if let q = c["quantization_config"] as? [String: Any] {
            out += "  quantization_config: \(describe(q["quant_method"] ?? "?")) format=\(describe(q["format"] ?? "?"))"
            if let groups = q["config_groups"] as? [String: Any] {
                for (name, g) in groups.sorted(by: { $0.key < $1.key }) {
                    guard let g = g as? [String: Any], let w = g["weights"] as? [String: Any] else { continue }
                    out += "\n    \(name): int\(describe(w["num_bits"] ?? "?")) weights, strategy \(describe(w["strategy"] ?? "?")), group_size \(describe(w["group_size"] ?? "-")), symmetric=\(describe(w["symmetric"] ?? "?"))"
                    if let a = g["input_activations"] as? [String: Any] { out += " activations int\(describe(a["num_bits"] ?? "?")) \(describe(a["strategy"] ?? "?")) dynamic=\(describe(a["dynamic"] ?? "?"))" }
                }
            }
            if let ignore = q["ignore"] as? [String] { out += "\n    ignore: \(ignore.count) modules (\(ignore.prefix(4).joined(separator: ", "))\(ignore.count > 4 ? ", ..." : ""))" }
            out += "\n"
        }
        let fm = FileManager.default
        let files = ((try? fm.contentsOfDirectory(atPath: ckpt.directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        out += "\nfiles: \(files.joined(separator: ", "))\n"
        if fm.fileExists(atPath: ckpt.directory + "/tokenizer.json") {
            let data = (try? readWholeFile(ckpt.directory + "/tokenizer.json", limit: 1 << 30)) ?? []
            var model = "?", vocab = 0
            if case .object(let root)? = try? JSONParser.parse(data), case .object(let m)? = root.first(where: { $0.key == "model" })?.value {
                model = m.first { $0.key == "type" }?.value.stringValue ?? "?"
                if case .object(let v)? = m.first(where: { $0.key == "vocab" })?.value { vocab = v.count }
                if case .array(let v)? = m.first(where: { $0.key == "vocab" })?.value { vocab = v.count }
            }
            out += "tokenizer: tokenizer.json, model \(model), \(vocab) vocabulary entries\n"
        } else {
            out += "tokenizer: none\n"
        }
        var metadata: [String: String] = [:]
        for shard in Set(ckpt.weightMap.values).sorted() {
            let f = try SafetensorsFile.open(ckpt.directory + "/" + shard)
            out += "\n\(shard): " + SafetensorsReport.tensorTable(f.entries)
            metadata.merge(f.metadata) { a, _ in a }
        }
        out += "\n" + ProvenanceReport.render(metadata)
        return out
    }

    private static func describe(_ v: Any) -> String {
        switch v {
        case let s as String: return s
        case let a as [Any]: return "[" + a.map(describe).joined(separator: ", ") + "]"
        case is NSNull: return "null"
        case let n as NSNumber:
            // JSONSerialization gives booleans as NSNumber of type char ("c"); integers and reals are never that.
            return String(cString: n.objCType) == "c" ? (n.boolValue ? "true" : "false") : n.stringValue
        default: return "\(v)"
        }
    }
}
