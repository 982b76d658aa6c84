import Foundation

/// numpy/torch-style printing: nested brackets, aligned columns, the middle of
/// long dimensions elided, then shape and dtype.
extension Tensor: CustomStringConvertible {
    public var description: String { formatted() }

    /// Renders the tensor; dimensions longer than `2 * edge` show only `edge` items at each end
    /// once the tensor has more than `threshold` elements.
    public func formatted(threshold: Int = 1000, edge: Int = 3) -> String {
        let summarize = count > threshold
        let values = (0..<count).map { element(at: $0) }
        let integral = values.allSatisfy { $0.isFinite && $0 == $0.rounded() && abs($0) < 1e8 }
        let maxAbs = values.filter { $0.isFinite }.map { abs($0) }.max() ?? 0
        let scientific = !integral && (maxAbs >= 1e6 || (maxAbs < 1e-4 && maxAbs > 0))
        func fmt(_ v: Float) -> String {
            if v.isNaN { return "nan" }
            if v.isInfinite { return v > 0 ? "inf" : "-inf" }
            if integral { return String(format: "%.0f.", Double(v)) }
            return scientific ? String(format: "%.4e", Double(v)) : String(format: "%.4f", Double(v))
        }
        let width = values.map { fmt($0).count }.max() ?? 1
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

        func render(dim: Int, offset: Int, indent: Int) -> String {
            if rank == 0 { return fmt(values[0]) }
            let n = shape[dim]
            let stride = shape[(dim + 1)...].reduce(1, *)
            var idx = Array(0..<n)
            var elided = false
            if summarize && n > 2 * edge { idx = Array(0..<edge) + Array((n - edge)..<n); elided = true }
            var parts: [String] = []
            for (pos, i) in idx.enumerated() {
                if elided && pos == edge { parts.append("...") }
                parts.append(dim == rank - 1 ? pad(fmt(values[offset + i])) : render(dim: dim + 1, offset: offset + i * stride, indent: indent + 1))
            }
            if dim == rank - 1 { return "[" + parts.joined(separator: ", ") + "]" }
            let sep = "," + String(repeating: "\n", count: rank - dim - 1) + String(repeating: " ", count: indent + 1)
            return "[" + parts.joined(separator: sep) + "]"
        }
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (rank == 1 ? ",)" : ")")
        let prefix = "tensor("
        let body = count == 0 ? String(repeating: "[", count: max(rank, 1)) + String(repeating: "]", count: max(rank, 1))
                              : render(dim: 0, offset: 0, indent: prefix.count)
        return prefix + body + ", shape=\(shapeText), dtype=\(dtype))"
    }
}
