import WhittleNN
import WhittlePasses
import WhittlePluginABI
import WhittleTensor

/// The context of one native pass run: the model, the validated options, the
/// selected targets and the report being built.
final class RunContext: HostContext {
    let pass: NativePass
    let model: Model
    let options: PassOptions
    let context: PassContext
    /// Parameters by name, in model order (identities do not change during a run).
    let parameters: [(name: String, parameter: Parameter)]
    /// Set by select_targets.
    var targets: [String] = []
    /// Report rows in first-report order, and the summary.
    var rows: [PassReport.Row] = []
    var summary: [(String, PassValue)] = []
    /// Cleared when apply returns, so a pointer the plugin kept is refused.
    var open = true
    private var names: [String: UnsafePointer<CChar>] = [:]

    init(pass: NativePass, model: Model, options: PassOptions, context: PassContext) {
        self.pass = pass
        self.model = model
        self.options = options
        self.context = context
        parameters = model.parameters()
    }

    override func log(_ message: String) { context.log("\(pass.name): \(message)") }

    func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name }?.parameter }

    /// Fills `info` for parameter `name`.
    func describe(_ name: String, _ p: Parameter, into info: UnsafeMutablePointer<whittle_tensor_info>) -> Int32 {
        let shape = p.value.shape
        guard shape.count <= Int(WHITTLE_MAX_DIMS) else {
            return fail(WHITTLE_ERR_INVALID_ARGUMENT, "tensor '\(name)' has \(shape.count) dimensions, more than WHITTLE_MAX_DIMS")
        }
        if names[name] == nil { names[name] = keep(name) }
        var out = whittle_tensor_info()
        out.name = names[name]
        out.dtype = Int32(p.value.dtype.rawValue)
        out.ndim = Int32(shape.count)
        withUnsafeMutableBytes(of: &out.shape) { raw in
            let dims = raw.bindMemory(to: Int64.self)
            for (i, d) in shape.enumerated() { dims[i] = Int64(d) }
        }
        out.numel = Int64(p.value.count)
        info.pointee = out
        return WHITTLE_OK
    }

    /// The options with `target`'s overrides applied (nil target: the pass-level ones).
    func options(for target: String?) -> PassOptions {
        guard let target else { return options }
        return Targets.options(options, for: target)
    }

    /// The value of option `name`, or a failure code.
    func option(_ target: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?) -> Result<PassValue, OptionFailure> {
        guard let key = swiftString(name) else { return .failure(OptionFailure(code: WHITTLE_ERR_INVALID_ARGUMENT, message: "option name is NULL")) }
        let known = pass.params.map(\.name) + OptionValidator.common.map(\.name)
        guard known.contains(key) else {
            return .failure(OptionFailure(code: WHITTLE_ERR_NOT_FOUND, message: "no option '\(key)' (options: \(known.joined(separator: ", ")))"))
        }
        guard let v = options(for: swiftString(target))[key] else {
            return .failure(OptionFailure(code: WHITTLE_ERR_NOT_FOUND, message: "option '\(key)' was not given"))
        }
        return .success(v)
    }

    /// Adds `value` under `key` to `target`'s row (nil: the summary).
    func report(_ target: String?, _ key: String, _ value: PassValue) {
        guard let target else {
            if let i = summary.firstIndex(where: { $0.0 == key }) { summary[i].1 = value } else { summary.append((key, value)) }
            return
        }
        let r = rows.firstIndex { $0.target == target } ?? { rows.append(PassReport.Row(target: target, values: [])); return rows.count - 1 }()
        if let i = rows[r].values.firstIndex(where: { $0.0 == key }) { rows[r].values[i].1 = value } else { rows[r].values.append((key, value)) }
    }
}

/// Why an option could not be read.
struct OptionFailure: Error {
    let code: Int32
    let message: String
}
