import WhittleNN

/// Every pass by name: built-ins, then Lua and native plugins. Running a pass
/// validates its options first and restores the model if the pass fails.
public final class PassRegistry {
    private var passes: [String: Pass] = [:]
    private var order: [String] = []

    /// A registry holding `builtins`.
    public init(_ builtins: [Pass] = []) {
        for p in builtins { try? register(p) }
    }

    /// Adds a pass; a name already taken is an error naming where the existing one came from.
    public func register(_ pass: Pass) throws {
        if let existing = passes[pass.name] { throw PassError.duplicatePass(name: pass.name, existing: existing.source.description) }
        passes[pass.name] = pass
        order.append(pass.name)
    }

    /// Removes a pass (a plugin being unloaded).
    public func unregister(_ name: String) {
        passes[name] = nil
        order.removeAll { $0 == name }
    }

    /// Every pass, in registration order.
    public var all: [Pass] { order.compactMap { passes[$0] } }

    /// The pass named `name`; an unknown name lists the known ones.
    public func pass(named name: String) throws -> Pass {
        guard let p = passes[name] else { throw PassError.unknownPass(name: name, known: order.sorted()) }
        return p
    }

    /// Validates `options`, runs the pass, and on failure puts the model back as it was.
    public func run(_ name: String, on model: Model, options raw: [String: PassValue], context: PassContext = PassContext()) throws -> PassReport {
        let pass = try pass(named: name)
        let options = try OptionValidator.validate(raw, for: pass)
        let backup = try model.clone()
        do {
            let report = try pass.apply(to: model, options: options, context: context)
            model.provenance.record(pass: name, options: options)
            return report
        } catch {
            model.root = backup.root
            model.metadata = backup.metadata
            model.provenance = backup.provenance
            if error is PassError { throw error }
            throw PassError.failed(pass: name, message: String(describing: error))
        }
    }
}
