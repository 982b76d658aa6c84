import WhittleTensor

extension Model {
    /// Static input quantization of every layer that has one, by layer path.
    public func activationQuantizations() -> [String: ActivationQuantization] {
        var out: [String: ActivationQuantization] = [:]
        for (path, m) in layers() {
            if let q = (m as? ActivationQuantizable)?.inputQuantization { out[path] = q }
        }
        return out
    }

    /// Puts loaded encodings and activation quantizations back on the rebuilt layers.
    func attach(encodings: [(String, ParameterEncoding, Tensor)], activations: [String: ActivationQuantization], path: String) throws {
        for (name, e, dense) in encodings {
            guard let p = parameter(named: name) else {
                throw NNError.invalidModel("\(path): compressed parameter '\(name)' is not a parameter of the architecture")
            }
            try p.setEncoding(e, decoded: dense)
        }
        let byPath = Dictionary(layers().map { ($0.path, $0.module) }, uniquingKeysWith: { a, _ in a })
        for (layer, q) in activations {
            guard let m = byPath[layer] as? ActivationQuantizable else {
                throw NNError.invalidModel("\(path): activation quantization for '\(layer)', which is not a linear or conv2d layer")
            }
            m.inputQuantization = q
        }
    }

    /// Parameters stored in a compact encoding, by name.
    public func encodedParameters() -> [(name: String, encoding: ParameterEncoding)] {
        parameters().compactMap { p in p.parameter.encoding.map { (name: p.name, encoding: $0) } }
    }
}

/// A layer whose input can carry a static int8 quantization (Linear, Conv2d).
public protocol ActivationQuantizable: AnyObject {
    /// The calibrated input quantization, used in eval mode; nil quantizes dynamically (or not at all).
    var inputQuantization: ActivationQuantization? { get set }
}

extension Linear: ActivationQuantizable {}
extension Conv2d: ActivationQuantizable {}
