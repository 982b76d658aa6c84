import WhittleTensor

/// Runs its modules in order; a child's parameters are named "<index or name>.<param>".
/// `modules` is mutable so that passes can do surgery (replace a layer, shrink one).
public final class Sequential: Module {
    /// The layers, in order.
    public var modules: [Module]

    /// A container of `modules`.
    public init(_ modules: [Module]) {
        self.modules = modules
        super.init()
    }

    public override var typeName: String { "sequential" }
    public override var children: [(name: String, module: Module)] {
        modules.enumerated().map { (name: $0.element.name ?? String($0.offset), module: $0.element) }
    }
    public override func spec() -> [String: Any] {
        ["type": typeName, "layers": modules.map(layerSpec)]
    }
    public override func copy() throws -> Module {
        let c = Sequential(try modules.map { try $0.copy() })
        copyBaseState(to: c)
        return c
    }
    public override func clearCache() { for m in modules { m.clearCache() } }
    public override var description: String {
        "sequential {\n" + children.map { "  (\($0.name)): " + String(describing: $0.module).replacingOccurrences(of: "\n", with: "\n  ") }
            .joined(separator: "\n") + "\n}"
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        var y = x
        for (i, m) in modules.enumerated() {
            do { y = try m.forward(y) } catch let e as NNError { throw e.located("\(m.typeName) \(m.name ?? String(i))") }
        }
        return y
    }

    /// With `needsInputGradient` false, stops at the first layer with parameters and
    /// returns an empty tensor: the gradient wrt the data is wasted work in training.
    public override func backward(_ g: Tensor) throws -> Tensor {
        let stop = needsInputGradient ? 0 : (modules.firstIndex { !$0.parameters().isEmpty } ?? modules.count)
        var grad = g
        for i in (stop..<modules.count).reversed() {
            let m = modules[i], saved = m.needsInputGradient
            if i == stop && !needsInputGradient { m.needsInputGradient = false }
            defer { m.needsInputGradient = saved }
            do { grad = try m.backward(grad) } catch let e as NNError { throw e.located("\(m.typeName) \(m.name ?? String(i))") }
        }
        return needsInputGradient ? grad : try Tensor(zeros: [0])
    }
}

/// A layer's architecture object, with its user name when it has one.
func layerSpec(_ m: Module) -> [String: Any] {
    var s = m.spec()
    if let n = m.name { s["name"] = n }
    return s
}
