import Foundation
import WhittleKernels

/// The human-readable summary `whittle inspect` prints for a GGUF file: header, metadata
/// (long arrays elided), every tensor, totals by type and the effective bits per weight.
public enum GGUFReport {
    /// Array elements shown before "...".
    public static let shownArrayElements = 8

    /// The whole report.
    public static func render(_ f: GGUFFile) -> String {
        var out = "\(f.path) (\(f.fileBytes) bytes)\n"
        out += "GGUF v\(f.version), alignment \(f.alignment), \(f.metadata.count) keys, \(f.tensorInfos.count) tensors, data at byte \(f.dataOffset)\n\n"
        out += metadataSection(f.metadata)
        out += "\n" + tensorTable(f)
        out += "\n" + totals(f.tensorInfos)
        return out
    }

    static func metadataSection(_ m: GGUFMetadata) -> String {
        guard m.count > 0 else { return "metadata: none\n" }
        var rows: [[String]] = []
        for (k, v) in m {
            let type: String
            if case .array(let a) = v { type = "arr[\(a.elementType)]" } else { type = v.type.description }
            rows.append([k, type, v.description])
        }
        return "metadata: \(m.count) keys\n" + SafetensorsReport.table(rows, rightAligned: [])
    }

    static func tensorTable(_ f: GGUFFile) -> String {
        var rows = [["name", "type", "shape", "bytes", "offset"]]
        for t in f.tensorInfos {
            let type = t.type.upperName + (t.dtype == nil ? " (unsupported)" : "")
            rows.append([t.name, type, "[" + t.shape.map(String.init).joined(separator: ", ") + "]", "\(t.byteCount)", "\(f.dataOffset + t.offset)"])
        }
        return "tensors: \(f.tensorInfos.count)\n" + SafetensorsReport.table(rows, rightAligned: [3, 4])
    }

    /// Elements, bytes and bits per weight per type, then over all tensors.
    static func totals(_ infos: [GGUFTensorInfo]) -> String {
        var byType: [GGMLType: (count: Int, elements: Int, bytes: Int)] = [:]
        for t in infos {
            let n = t.dims.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
            let old = byType[t.type] ?? (0, 0, 0)
            byType[t.type] = (old.count + 1, old.elements &+ n, old.bytes &+ t.byteCount)
        }
        func bpw(_ bytes: Int, _ elements: Int) -> String { elements == 0 ? "-" : String(format: "%.3f", Double(bytes) * 8 / Double(elements)) }
        var rows = [["type", "tensors", "elements", "bytes", "bits/weight"]]
        for (type, s) in byType.sorted(by: { $0.value.bytes > $1.value.bytes }) {
            rows.append([type.upperName, "\(s.count)", "\(s.elements)", "\(s.bytes)", bpw(s.bytes, s.elements)])
        }
        let elements = byType.values.reduce(0) { $0 &+ $1.elements }, bytes = byType.values.reduce(0) { $0 &+ $1.bytes }
        rows.append(["total", "\(infos.count)", "\(elements)", "\(bytes)", bpw(bytes, elements)])
        return "totals by type:\n" + SafetensorsReport.table(rows, rightAligned: [1, 2, 3, 4])
    }
}
