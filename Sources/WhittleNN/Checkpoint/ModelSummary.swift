import Foundation
import WhittleTensor

extension LanguageModel {
    /// One row per tensor: path, stored type, shape, bytes, bits per weight.
    public var tensorRows: [(name: String, dtype: DType, shape: [Int], bytes: Int)] {
        module.parameters().map { ($0.name, $0.parameter.value.dtype, $0.parameter.value.shape, $0.parameter.value.byteCount) }
    }

    /// A printable table of the tensors and their totals.
    public func summaryText() -> String {
        let rows = tensorRows
        let width = min(60, rows.map(\.name.count).max() ?? 10)
        var lines = ["\(architecture) \(path)"]
        lines.append(summaryConfig.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        lines.append(pad("tensor", width) + "  " + pad("type", 6) + "  " + pad("shape", 14) + "  " + pad("bytes", 12) + "  bits/w")
        var params = 0, bytes = 0
        for r in rows {
            let n = r.shape.reduce(1, *)
            params += n
            bytes += r.bytes
            let bpw = n > 0 ? Double(r.bytes * 8) / Double(n) : 0
            lines.append(pad(r.name, width) + "  " + pad(r.dtype.description, 6) + "  " + pad(shapeString(r.shape), 14) + "  "
                         + pad(String(r.bytes), 12) + "  " + String(format: "%.2f", bpw))
        }
        lines.append("total: \(rows.count) tensors, \(params) parameters, \(bytes) bytes, "
                     + String(format: "%.2f", params > 0 ? Double(bytes * 8) / Double(params) : 0) + " bits per weight")
        return lines.joined(separator: "\n")
    }
}
