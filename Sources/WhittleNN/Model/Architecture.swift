import Foundation
import WhittleTensor

/// Typed access to one layer object of the architecture JSON, with errors naming the layer.
public struct LayerSpec {
    /// The raw JSON object.
    public let fields: [String: Any]
    /// "layer 2 (linear)", for messages.
    public let label: String

    /// The layer's "type" string.
    public var type: String { fields["type"] as? String ?? "" }

    /// A required integer field.
    public func int(_ key: String) throws -> Int {
        guard let n = fields[key] as? NSNumber, let v = Int(exactly: n.doubleValue) else {
            throw NNError.invalidModel("\(label): field '\(key)' must be an integer")
        }
        return v
    }

    /// An optional integer field.
    public func int(_ key: String, default d: Int) throws -> Int { fields[key] == nil ? d : try int(key) }

    /// An optional number field.
    public func double(_ key: String, default d: Double) throws -> Double {
        guard let raw = fields[key] else { return d }
        guard let n = raw as? NSNumber, n.doubleValue.isFinite else { throw NNError.invalidModel("\(label): field '\(key)' must be a number") }
        return n.doubleValue
    }

    /// An optional boolean field.
    public func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let raw = fields[key] else { return d }
        guard let b = raw as? Bool else { throw NNError.invalidModel("\(label): field '\(key)' must be true or false") }
        return b
    }
}

/// Builds a layer from its spec; `tensor(localName)` returns the stored parameter
/// ("weight" → the file's "<path>.weight"), throwing when it is missing.
public typealias LayerBuilder = (LayerSpec, (String) throws -> Tensor) throws -> Module

/// Layer types known to the architecture decoder; passes may register their own.
public enum LayerRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var builders: [String: LayerBuilder] = builtins()

    /// Adds or replaces the builder for `type`.
    public static func register(_ type: String, _ builder: @escaping LayerBuilder) {
        lock.lock(); builders[type] = builder; lock.unlock()
    }

    /// Known type names, sorted.
    public static var types: [String] { lock.lock(); defer { lock.unlock() }; return builders.keys.sorted() }

    static func builder(_ type: String) -> LayerBuilder? { lock.lock(); defer { lock.unlock() }; return builders[type] }

    private static func builtins() -> [String: LayerBuilder] {
        [
            "linear": { s, t in
                let i = try s.int("in"), o = try s.int("out")
                let w = try expectShape(t("weight"), [o, i], s, "weight")
                let b = try s.bool("bias", default: true) ? try expectShape(t("bias"), [o], s, "bias") : nil
                return try Linear(weight: w, bias: b)
            },
            "conv2d": { s, t in
                let i = try s.int("in"), o = try s.int("out"), k = try s.int("kernel")
                let w = try expectShape(t("weight"), [o, i, k, k], s, "weight")
                let b = try s.bool("bias", default: true) ? try expectShape(t("bias"), [o], s, "bias") : nil
                return try Conv2d(weight: w, bias: b, stride: try s.int("stride", default: 1), padding: try s.int("padding", default: 0))
            },
            "maxpool2d": { s, _ in
                let k = try s.int("kernel")
                return try MaxPool2d(k, stride: try s.int("stride", default: k))
            },
            "relu": { _, _ in ReLU() },
            "tanh": { _, _ in Tanh() },
            "flatten": { _, _ in Flatten() },
            "softmax": { _, _ in Softmax() },
            "dropout": { s, _ in try Dropout(Float(try s.double("p", default: 0.5))) },
        ]
    }
}

/// `t` when its shape is `shape`, else an error naming the layer and the parameter.
func expectShape(_ t: Tensor, _ shape: [Int], _ s: LayerSpec, _ what: String) throws -> Tensor {
    guard t.shape == shape else {
        throw NNError.invalidModel("\(s.label): \(what) has shape \(shapeString(t.shape)), the architecture says \(shapeString(shape))")
    }
    return t
}

/// Encodes and decodes the architecture metadata: a JSON array of layer objects.
public enum Architecture {
    /// The JSON text for `root`'s layers.
    public static func encode(_ root: Sequential) -> String {
        let layers = root.modules.map(layerSpec)
        guard let data = try? JSONSerialization.data(withJSONObject: layers, options: [.sortedKeys]) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Rebuilds the layers; `tensor(path)` returns the stored tensor named `path` or nil.
    public static func decode(_ json: String, tensor: (String) throws -> Tensor?) throws -> Sequential {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(json.utf8)) } catch {
            throw NNError.invalidModel("architecture metadata is not valid JSON")
        }
        guard let layers = object as? [Any] else { throw NNError.invalidModel("architecture metadata must be a JSON array of layers") }
        return try decodeLayers(layers, prefix: "", depth: 0, tensor: tensor)
    }

    private static func decodeLayers(_ layers: [Any], prefix: String, depth: Int, tensor: (String) throws -> Tensor?) throws -> Sequential {
        guard depth < 32 else { throw NNError.invalidModel("architecture nests sequentials too deeply") }
        var modules: [Module] = []
        for (i, raw) in layers.enumerated() {
            guard let fields = raw as? [String: Any] else { throw NNError.invalidModel("layer \(prefix)\(i): must be a JSON object") }
            let userName = fields["name"] as? String
            if fields["name"] != nil && (userName == nil || userName!.isEmpty || userName!.contains(".")) {
                throw NNError.invalidModel("layer \(prefix)\(i): 'name' must be a non-empty string without dots")
            }
            let path = prefix + (userName ?? String(i))
            let type = fields["type"] as? String ?? ""
            let spec = LayerSpec(fields: fields, label: "layer \(prefix)\(i) (\(type.isEmpty ? "no type" : type))")
            let module: Module
            if type == "sequential" {
                guard let inner = fields["layers"] as? [Any] else { throw NNError.invalidModel("\(spec.label): 'layers' must be an array") }
                module = try decodeLayers(inner, prefix: path + ".", depth: depth + 1, tensor: tensor)
            } else if let build = LayerRegistry.builder(type) {
                do {
                    module = try build(spec) { local in
                        guard let t = try tensor("\(path).\(local)") else {
                            throw NNError.invalidModel("\(spec.label): the file has no tensor '\(path).\(local)'")
                        }
                        return t
                    }
                } catch NNError.invalidArgument(let m) {
                    throw NNError.invalidModel("\(spec.label): \(m)")
                }
            } else {
                throw NNError.invalidModel("\(spec.label): unknown layer type '\(type)' (known: \(LayerRegistry.types.joined(separator: ", ")), sequential)")
            }
            module.name = userName
            modules.append(module)
        }
        return Sequential(modules)
    }
}
