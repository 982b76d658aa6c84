import WhittleTensor
import WhittleNN

/// A Linear or Conv2d layer whose weight a quantization pass acts on.
struct QuantLayer {
    /// Layer path ("5").
    let path: String
    /// The layer.
    let module: Module
    /// "<path>.weight".
    let weightName: String
    /// The weight.
    let weight: Parameter
    /// The bias, if any.
    let bias: Parameter?

    /// The layer's static input quantization (Linear and Conv2d, the only layers selected, have one).
    var inputQuantization: ActivationQuantization? {
        get { (module as? ActivationQuantizable)?.inputQuantization }
        nonmutating set { (module as? ActivationQuantizable)?.inputQuantization = newValue }
    }

    /// Sets or clears the straight-through weight transform (fake quantization).
    func setWeightTransform(_ f: ((Tensor) throws -> Tensor)?) {
        if let l = module as? Linear { l.weightTransform = f } else if let c = module as? Conv2d { c.weightTransform = f }
    }

    var hasWeightTransform: Bool {
        (module as? Linear)?.weightTransform != nil || (module as? Conv2d)?.weightTransform != nil
    }
}

/// Selects the Linear/Conv2d weights matching the `targets` globs (default "*.weight"), in execution order.
/// Other matched parameters (biases) are returned as skipped; encoded weights are an error.
enum QuantTargets {
    static func select(_ model: Model, options: PassOptions, pass: String) throws -> (layers: [QuantLayer], skipped: [String]) {
        let globs = options.strings("targets") ?? ["*.weight"]
        let chosen = try Targets.select(model, globs: globs, pass: pass)
        var layers: [QuantLayer] = []
        var used = Set<ObjectIdentifier>()
        for (path, m) in model.layers() {
            let wb: (Parameter, Parameter?)
            if let l = m as? Linear { wb = (l.weight, l.bias) } else if let c = m as? Conv2d { wb = (c.weight, c.bias) } else { continue }
            let name = "\(path).weight"
            guard chosen.contains(where: { $0.parameter === wb.0 }), used.insert(ObjectIdentifier(wb.0)).inserted else { continue }
            let q = QuantLayer(path: path, module: m, weightName: name, weight: wb.0, bias: wb.1)
            if let e = wb.0.encoding {
                throw PassError.invalidTarget(pass: pass, message: "'\(name)' is already encoded as \(e.format); quantizing an encoded tensor again is not supported (start from the f32 model)")
            }
            if q.hasWeightTransform {
                throw PassError.invalidTarget(pass: pass, message: "'\(name)' has a weight transform (fake quantization or sharing in progress); remove it first")
            }
            layers.append(q)
        }
        let skipped = chosen.filter { c in !layers.contains { $0.weight === c.parameter } }.map(\.name)
        guard !layers.isEmpty else {
            throw PassError.invalidTarget(pass: pass, message: "targets \(globs.map { "'\($0)'" }.joined(separator: ", ")) select no linear or conv2d weight (matched: \(chosen.map(\.name).joined(separator: ", ")))")
        }
        return (layers, skipped)
    }
}
