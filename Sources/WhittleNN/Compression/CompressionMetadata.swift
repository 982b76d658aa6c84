import Foundation
import WhittleTensor

/// The "whittle.compression" entry of `__metadata__`: for each encoded parameter its format,
/// dense shape, stored tensor suffixes and fields; and each layer's static input quantization.
///
///     {"version": 1,
///      "parameters": {"5.weight": {"format": "int8", "shape": [500, 800], "tensors": ["q", "scale"],
///                                  "per_channel": true, "symmetric": true}},
///      "activations": {"5": {"scale": 0.02, "zero_point": -128, "low": 0, "high": 5.1}}}
public enum CompressionMetadata {
    /// Metadata key.
    public static let key = "whittle.compression"
    /// Layout version written; readers reject newer ones.
    public static let version = 1

    /// The tensors to write for `params` (encoded ones replaced by their stored tensors) and the JSON
    /// text for the metadata (nil when nothing is compressed).
    public static func encode(_ params: [(name: String, parameter: Parameter)], activations: [String: ActivationQuantization])
        throws -> (tensors: [(name: String, tensor: Tensor)], json: String?) {
        var tensors: [(name: String, tensor: Tensor)] = []
        var entries: [String: Any] = [:]
        for (name, p) in params {
            guard let e = p.encoding else { tensors.append((name: name, tensor: p.value)); continue }
            let stored = e.storedTensors()
            var f = e.fields
            f["format"] = e.format
            f["shape"] = e.shape
            f["tensors"] = stored.map(\.suffix)
            entries[name] = f
            for s in stored { tensors.append((name: "\(name).\(s.suffix)", tensor: s.tensor)) }
        }
        if entries.isEmpty && activations.isEmpty { return (tensors, nil) }
        var root: [String: Any] = ["version": version, "parameters": entries]
        if !activations.isEmpty { root["activations"] = activations.mapValues(\.json) }
        guard JSONSerialization.isValidJSONObject(root) else {
            throw NNError.invalidModel("save: an encoding's metadata fields are not representable as JSON")
        }
        let data = try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
        return (tensors, String(decoding: data, as: UTF8.self))
    }

    /// A parsed entry: parameter entries by name, activation quantizations by layer path.
    public struct Parsed {
        /// Raw fields per encoded parameter.
        public var parameters: [String: [String: Any]] = [:]
        /// Static input quantization per layer path.
        public var activations: [String: ActivationQuantization] = [:]
    }

    /// Parses the JSON text (nil text → nothing compressed).
    public static func parse(_ text: String?) throws -> Parsed {
        var out = Parsed()
        guard let text else { return out }
        let obj: Any
        do { obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
            throw NNError.invalidModel("'\(key)' metadata is not valid JSON")
        }
        guard let root = obj as? [String: Any] else { throw NNError.invalidModel("'\(key)' metadata must be a JSON object") }
        guard let v = jsonInt(root["version"]), v >= 1, v <= version else {
            throw NNError.invalidModel("'\(key)' metadata has an unsupported version (this build reads version \(version))")
        }
        if let ps = root["parameters"] {
            guard let d = ps as? [String: Any] else { throw NNError.invalidModel("'\(key)': 'parameters' must be an object") }
            for (name, raw) in d {
                guard let f = raw as? [String: Any] else { throw NNError.invalidModel("compressed parameter '\(name)': entry must be an object") }
                out.parameters[name] = f
            }
        }
        if let acts = root["activations"] {
            guard let d = acts as? [String: Any] else { throw NNError.invalidModel("'\(key)': 'activations' must be an object") }
            for (layer, raw) in d { out.activations[layer] = try ActivationQuantization.parse(raw, layer: layer) }
        }
        return out
    }

    /// Rebuilds the encoding of parameter `name` from its fields; `tensor(fullName)` reads the file.
    public static func decodeEntry(name: String, fields: [String: Any], tensor: @escaping (String) throws -> Tensor?) throws -> ParameterEncoding {
        func bad(_ m: String) -> NNError { NNError.invalidModel("compressed parameter '\(name)': \(m)") }
        guard let format = fields["format"] as? String else { throw bad("missing 'format'") }
        guard let rawShape = fields["shape"] as? [Any] else { throw bad("missing 'shape'") }
        let shape = try rawShape.map { v -> Int in
            guard let i = jsonInt(v), i >= 0 else { throw bad("'shape' must hold non-negative integers") }
            return i
        }
        _ = try Tensor.checkedCount(shape)
        let listed = fields["tensors"] as? [String] ?? []
        guard let decoder = EncodingRegistry.decoder(format) else {
            throw bad("unknown format '\(format)' (known: \(EncodingRegistry.formats.joined(separator: ", ")))")
        }
        let entry = EncodedEntry(name: name, shape: shape, fields: fields) { suffix in
            guard listed.contains(suffix), let t = try tensor("\(name).\(suffix)") else {
                throw bad("the file has no tensor '\(name).\(suffix)'")
            }
            return t
        }
        let e = try decoder(entry)
        guard e.shape == shape else { throw bad("decoded shape \(shapeString(e.shape)) differs from the recorded \(shapeString(shape))") }
        return e
    }
}
