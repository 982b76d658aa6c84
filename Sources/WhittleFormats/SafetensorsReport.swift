/// The human-readable summary `whittle inspect` prints for a safetensors file.
public enum SafetensorsReport {
    /// Why a Whittle model's metadata cannot be shown as a layer table.
    public struct ArchitectureError: Error, CustomStringConvertible, Equatable {
        /// What was wrong with "whittle.architecture".
        public let description: String
        /// An error with its message.
        public init(description: String) { self.description = description }
    }

    /// Tensors, metadata and, for a Whittle model, its layers. Throws `ArchitectureError`
    /// (after nothing is printed) when "whittle.architecture" is present but malformed.
    public static func render(_ file: SafetensorsFile, fileBytes: Int? = nil) throws -> String {
        var out = "\(file.path)"
        if let fileBytes { out += " (\(fileBytes) bytes)" }
        out += "\n\n"
        out += tensorTable(file.entries)
        out += "\n" + metadataSection(file.metadata)
        if let arch = file.metadata["whittle.architecture"] {
            out += "\n" + (try layerTable(arch))
        }
        return out
    }

    static func tensorTable(_ entries: [SafetensorsEntry]) -> String {
        var rows = [["name", "dtype", "shape", "bytes"]]
        var elements = 0, bytes = 0
        for e in entries {
            let dtype = e.dtype.map { "\($0)" } ?? "\(e.fileDType.rawValue) (unsupported)"
            rows.append([e.name, dtype, "[" + e.shape.map(String.init).joined(separator: ", ") + "]", "\(e.byteCount)"])
            elements = elements.addingReportingOverflow(e.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }).partialValue
            bytes += e.byteCount
        }
        return "tensors: \(entries.count), \(elements) elements, \(bytes) bytes\n" + table(rows, rightAligned: [3])
    }

    static func metadataSection(_ metadata: [String: String]) -> String {
        guard !metadata.isEmpty else { return "metadata: none\n" }
        var out = "metadata: \(metadata.count) entries\n"
        for key in metadata.keys.sorted() {
            let value = metadata[key] ?? ""
            // The architecture gets its own table below; long values would swamp the summary.
            let shown = key == "whittle.architecture" ? "(layer table below)"
                : value.count > 200 ? String(value.prefix(200)) + "... (\(value.utf8.count) bytes)" : value
            out += "  \(key): \(shown.replacingOccurrences(of: "\n", with: "\\n"))\n"
        }
        return out
    }

    static func layerTable(_ text: String) throws -> String {
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch {
            throw ArchitectureError(description: "whittle.architecture is not valid JSON: \(error)")
        }
        var layers: [JSONValue]
        var header = ""
        switch json {
        case .array(let a): layers = a
        case .object(let o):
            guard case .array(let a)? = o.first(where: { $0.key == "layers" })?.value else {
                throw ArchitectureError(description: "whittle.architecture is an object without a \"layers\" array")
            }
            layers = a
            let rest = o.filter { $0.key != "layers" }
            if !rest.isEmpty { header = "  " + rest.map { "\($0.key)=\(JSONWriter.compact($0.value))" }.joined(separator: " ") + "\n" }
        default:
            throw ArchitectureError(description: "whittle.architecture is not a JSON array of layers")
        }
        var rows = [["#", "type", "options"]]
        for (i, layer) in layers.enumerated() {
            guard case .object(let fields) = layer, let type = fields.first(where: { $0.key == "type" })?.value.stringValue else {
                throw ArchitectureError(description: "whittle.architecture layer \(i) is not an object with a string \"type\"")
            }
            let options = fields.filter { $0.key != "type" }.map { "\($0.key)=\(JSONWriter.compact($0.value))" }.joined(separator: " ")
            rows.append(["\(i)", type, options])
        }
        return "layers: \(layers.count)\n" + header + table(rows, rightAligned: [0])
    }

    /// Columns padded to their widest cell, indented by two spaces.
    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            var line = "  " + row.indices.map { c in
                let pad = String(repeating: " ", count: widths[c] - row[c].count)
                return rightAligned.contains(c) ? pad + row[c] : row[c] + pad
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }
}
