import Foundation

/// Tied parameters (one `Parameter` object used by several layers, ALBERT-style) are saved
/// once: later names are recorded under "whittle.tied" as {"alias": "source"} and re-tied on load.
extension Model {
    /// Metadata key of the alias → source map.
    public static let tiedKey = "whittle.tied"

    /// Parameters with each object listed once (first name), and the later names mapped to it.
    public func uniqueParameters() -> (parameters: [(name: String, parameter: Parameter)], tied: [String: String]) {
        var first: [ObjectIdentifier: String] = [:], out: [(name: String, parameter: Parameter)] = [], tied: [String: String] = [:]
        for p in parameters() {
            if let source = first[ObjectIdentifier(p.parameter)] { tied[p.name] = source; continue }
            first[ObjectIdentifier(p.parameter)] = p.name
            out.append(p)
        }
        return (out, tied)
    }

    /// The JSON text of the alias map, or nil when nothing is tied.
    static func tiedJSON(_ tied: [String: String]) -> String? {
        guard !tied.isEmpty, let data = try? JSONSerialization.data(withJSONObject: tied, options: [.sortedKeys]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses the alias map written by `save` (nil text → nothing tied).
    static func parseTied(_ text: String?) throws -> [String: String] {
        guard let text else { return [:] }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let map = obj as? [String: String] else {
            throw NNError.invalidModel("'\(tiedKey)' metadata must be a JSON object of parameter names")
        }
        return map
    }

    /// Makes each alias use its source's parameter object; both must be same-shaped linear/conv2d weights or biases.
    public func retie(_ tied: [String: String]) throws {
        for alias in tied.keys.sorted() {
            guard let sourceName = tied[alias], let source = parameter(named: sourceName) else {
                throw NNError.invalidModel("tied parameter '\(alias)': source '\(tied[alias] ?? "")' does not exist")
            }
            guard let dot = alias.lastIndex(of: "."), let layer = layers().first(where: { $0.path == String(alias[..<dot]) })?.module,
                  let old = parameter(named: alias), old.value.shape == source.value.shape else {
                throw NNError.invalidModel("tied parameter '\(alias)' does not match a layer parameter shaped like '\(sourceName)'")
            }
            switch (layer, alias[alias.index(after: dot)...]) {
            case (let l as Linear, "weight"): l.weight = source
            case (let l as Linear, "bias"): l.bias = source
            case (let c as Conv2d, "weight"): c.weight = source
            case (let c as Conv2d, "bias"): c.bias = source
            default: throw NNError.invalidModel("tied parameter '\(alias)' is not a linear or conv2d weight or bias")
            }
        }
    }
}
