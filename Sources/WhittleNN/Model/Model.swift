import WhittleFormats
import WhittleTensor

/// A network: a root `Sequential` plus string metadata saved with it.
public final class Model: CustomStringConvertible {
    /// The layers (mutable for surgery passes).
    public var root: Sequential
    /// Extra "__metadata__" entries written by `save` (recipe text, compression notes).
    public var metadata: [String: String]
    /// How the model was made (source file, passes run); written by `save`.
    public var provenance = Provenance()

    /// A model over `root`.
    public init(_ root: Sequential, metadata: [String: String] = [:]) {
        self.root = root
        self.metadata = metadata
    }

    /// A model over the given layers.
    public convenience init(_ layers: [Module]) { self.init(Sequential(layers)) }

    /// Runs a batch through the layers (caching for `backward`).
    public func forward(_ x: Tensor) throws -> Tensor { try root.forward(x) }

    /// Backpropagates `gradOutput` from the last forward; returns the input gradient.
    public func backward(_ gradOutput: Tensor) throws -> Tensor { try root.backward(gradOutput) }

    /// Every parameter by path ("0.weight").
    public func parameters() -> [(name: String, parameter: Parameter)] { root.parameters() }

    /// The parameter at `path`, or nil.
    public func parameter(named path: String) -> Parameter? { root.parameter(named: path) }

    /// Training (dropout on) or evaluation mode.
    public func setTraining(_ on: Bool) { root.setTraining(on) }

    /// Clears every gradient.
    public func zeroGrad() { root.zeroGrad() }

    /// A deep copy (parameters, masks, metadata).
    public func clone() throws -> Model {
        guard let r = try root.copy() as? Sequential else { throw NNError.invalidModel("clone: root is not a sequential") }
        let c = Model(r, metadata: metadata)
        c.provenance = provenance
        try c.retie(uniqueParameters().tied)  // copies are per layer; keep tied layers sharing one object
        return c
    }

    /// Leaf layers with their dotted paths ("0", "3.1"), in execution order.
    public func layers() -> [(path: String, module: Module)] {
        func walk(_ m: Module, _ prefix: String) -> [(path: String, module: Module)] {
            if m.children.isEmpty { return [(path: prefix, module: m)] }
            return m.children.flatMap { walk($0.module, prefix.isEmpty ? $0.name : "\(prefix).\($0.name)") }
        }
        return root.children.flatMap { walk($0.module, $0.name) }
    }

    /// The architecture JSON saved under "whittle.architecture".
    public var architectureJSON: String { Architecture.encode(root) }

    public var description: String { "model " + root.description }
}
