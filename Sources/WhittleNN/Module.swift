import WhittleTensor

/// A layer or container, Torch7-nn style: `forward` caches what `backward` needs;
/// `backward(gradOutput)` returns the gradient wrt the input and accumulates
/// parameter gradients. Subclasses override the `open` members.
open class Module: CustomStringConvertible {
    /// A user-chosen name used in parameter paths instead of the index in the parent.
    public var name: String?
    /// Training mode (dropout active); `train` turns it on for its run. Off by default,
    /// so that a forward from a script is inference.
    public private(set) var training = false
    /// False lets the first layer skip computing a gradient nobody uses (the data's).
    public var needsInputGradient = true

    /// A module in evaluation mode with no name.
    public init() {}

    /// Lower-case type name as written in the architecture metadata ("linear").
    open var typeName: String { "module" }

    /// Computes the output for a batch; throws on a shape that does not fit.
    open func forward(_ input: Tensor) throws -> Tensor { input }

    /// Gradient wrt the last forward's input, accumulating parameter gradients.
    open func backward(_ gradOutput: Tensor) throws -> Tensor { gradOutput }

    /// This module's own parameters by local name ("weight", "bias").
    open var localParameters: [(name: String, parameter: Parameter)] { [] }

    /// Direct children by name (containers only).
    open var children: [(name: String, module: Module)] { [] }

    /// The layer's JSON object for the architecture metadata (without "name").
    open func spec() -> [String: Any] { ["type": typeName] }

    /// A deep copy with fresh caches (parameters copied, masks kept).
    open func copy() throws -> Module { throw NNError.invalidArgument("\(typeName) cannot be copied") }

    /// Drops cached activations (frees memory after training).
    open func clearCache() {}

    /// One-line description, e.g. "linear(784 -> 300)".
    open var description: String { typeName }

    /// Switches training mode here and in every descendant.
    public func setTraining(_ on: Bool) {
        training = on
        for c in children { c.module.setTraining(on) }
    }

    /// Every parameter with its dotted path ("0.weight", "fc1.bias").
    public func parameters() -> [(name: String, parameter: Parameter)] {
        var out = localParameters
        for c in children {
            for p in c.module.parameters() { out.append((name: "\(c.name).\(p.name)", parameter: p.parameter)) }
        }
        return out
    }

    /// The parameter at `path`, or nil.
    public func parameter(named path: String) -> Parameter? {
        parameters().first { $0.name == path }?.parameter
    }

    /// Clears every gradient.
    public func zeroGrad() { for p in parameters() { p.parameter.zeroGrad() } }

    /// Copies the base-class state into a copy made by a subclass.
    public func copyBaseState(to other: Module) {
        other.name = name
        other.training = training
        other.needsInputGradient = needsInputGradient
    }
}
