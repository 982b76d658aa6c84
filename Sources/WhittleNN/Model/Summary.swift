import Foundation
import WhittleTensor

/// Per-layer size figures, as printed by `m:summary()`.
public struct LayerSummary {
    /// Dotted path ("0").
    public let path: String
    /// Layer description ("linear(784 -> 300)").
    public let layer: String
    /// Parameter elements.
    public let parameters: Int
    /// Non-zero parameter elements.
    public let nonzeros: Int
    /// Bytes the parameters occupy when saved (an encoded parameter counts its stored form).
    public let bytes: Int
    /// Parameter dtypes or encodings ("f32", "int8"), or "-" for layers without parameters.
    public let dtype: String

    /// Fraction of zero parameters.
    public var sparsity: Double { parameters == 0 ? 0 : 1 - Double(nonzeros) / Double(parameters) }
    /// Stored bits per parameter element.
    public var bitsPerWeight: Double { parameters == 0 ? 0 : Double(bytes * 8) / Double(parameters) }
}

/// The whole model's figures plus a printable table.
public struct ModelSummary: CustomStringConvertible {
    /// One row per leaf layer.
    public let layers: [LayerSummary]
    /// Total parameter elements.
    public var parameters: Int { layers.reduce(0) { $0 + $1.parameters } }
    /// Total non-zeros.
    public var nonzeros: Int { layers.reduce(0) { $0 + $1.nonzeros } }
    /// Total bytes.
    public var bytes: Int { layers.reduce(0) { $0 + $1.bytes } }
    /// Overall fraction of zeros.
    public var sparsity: Double { parameters == 0 ? 0 : 1 - Double(nonzeros) / Double(parameters) }
    /// Overall stored bits per parameter element.
    public var bitsPerWeight: Double { parameters == 0 ? 0 : Double(bytes * 8) / Double(parameters) }

    public var description: String {
        var rows = [["layer", "type", "params", "bytes", "bits/w", "sparsity", "dtype"]]
        for l in layers {
            rows.append([l.path, l.layer, String(l.parameters), String(l.bytes), bits(l.bitsPerWeight, l.parameters), percent(l.sparsity), l.dtype])
        }
        rows.append(["total", "", String(parameters), String(bytes), bits(bitsPerWeight, parameters), percent(sparsity), ""])
        let widths = (0..<7).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in
            r.enumerated().map { c, s in c >= 2 && c <= 5 ? pad(s, widths[c], left: true) : pad(s, widths[c], left: false) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

private func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
private func bits(_ x: Double, _ n: Int) -> String { n == 0 ? "-" : String(format: "%.2f", x) }
private func pad(_ s: String, _ w: Int, left: Bool) -> String {
    let fill = String(repeating: " ", count: max(0, w - s.count))
    return left ? fill + s : s + fill
}

extension Model {
    /// Parameters, bytes, sparsity and dtype per layer.
    public func summary() -> ModelSummary {
        ModelSummary(layers: layers().map { path, m in
            let params = m.parameters().map(\.parameter)
            let ps = params.map(\.value)
            let n = ps.reduce(0) { $0 + $1.count }
            let nz = ps.reduce(0) { acc, t in acc + (0..<t.count).reduce(0) { $0 + (t.element(at: $1) != 0 ? 1 : 0) } }
            let dtypes = Set(params.map { $0.encoding?.format ?? $0.value.dtype.description }).sorted().joined(separator: ",")
            let bytes = params.reduce(0) { $0 + ($1.encoding?.byteCount ?? $1.value.byteCount) }
            return LayerSummary(path: path, layer: String(describing: m), parameters: n, nonzeros: nz,
                                bytes: bytes, dtype: dtypes.isEmpty ? "-" : dtypes)
        })
    }
}
