import Foundation
import WhittleNN
import WhittlePasses
import WhittlePluginABI

/// A pass registered by a native plugin: the schema copied from its C
/// definition, and the C callback that runs it.
final class NativePass: Pass {
    let name: String
    let doc: String
    let params: [PassParam]
    let source: PassSource
    /// Globs used when the user gives no `targets`.
    let defaultTargets: [String]
    private let callback: whittle_apply_fn
    private let userData: UnsafeMutableRawPointer?
    /// Keeps the plugin load (and so the library) referenced while the pass exists.
    private let load: LoadContext

    /// Copies and checks a definition; errors say which field is wrong.
    init(_ def: whittle_pass_def, load: LoadContext) throws {
        guard let name = swiftString(def.name) else { throw DefinitionError("pass name is NULL") }
        guard PassNames.isValid(name) else { throw DefinitionError(PassNames.invalidMessage(name)) }
        guard let doc = swiftString(def.doc), !doc.isEmpty else { throw DefinitionError("pass '\(name)': doc is missing") }
        guard let apply = def.apply else { throw DefinitionError("pass '\(name)': apply is NULL") }
        guard def.param_count <= 256 else { throw DefinitionError("pass '\(name)': param_count \(def.param_count) is more than 256") }
        var params: [PassParam] = []
        if def.param_count > 0 {
            guard let defs = def.params else { throw DefinitionError("pass '\(name)': params is NULL but param_count is \(def.param_count)") }
            for i in 0..<def.param_count {
                let p = try NativePass.param(defs[i], pass: name)
                if params.contains(where: { $0.name == p.name }) { throw DefinitionError("pass '\(name)': parameter '\(p.name)' is declared twice") }
                params.append(p)
            }
        }
        self.name = name
        self.doc = doc
        self.params = params
        source = .native(path: load.path)
        defaultTargets = NativePass.split(swiftString(def.default_targets) ?? "*.weight")
        callback = apply
        userData = def.user_data
        self.load = load
        // A default must pass its own schema, or every run without the option would fail.
        for p in params {
            guard let d = p.defaultValue else { continue }
            do { _ = try OptionValidator.validate([p.name: d], for: SchemaProbe(name: name, param: p)) } catch {
                throw DefinitionError("pass '\(name)': default of '\(p.name)' is invalid: \(error)")
            }
        }
    }

    func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        let run = RunContext(pass: self, model: model, options: options, context: context)
        let code = callback(run.pointer, userData)
        run.open = false
        guard code == WHITTLE_OK else {
            let message = run.lastError.isEmpty ? "failed with code \(code) (\(statusName(code)))" : run.lastError
            throw PassError.failed(pass: name, message: message)
        }
        return PassReport(pass: name, rows: run.rows, summary: run.summary)
    }

    /// One parameter definition as a schema entry.
    private static func param(_ d: whittle_param_def, pass: String) throws -> PassParam {
        guard let name = swiftString(d.name) else { throw DefinitionError("pass '\(pass)': a parameter name is NULL") }
        func bad(_ m: String) -> DefinitionError { DefinitionError("pass '\(pass)': parameter '\(name)': \(m)") }
        guard let first = name.unicodeScalars.first, first == "_" || ("a"..."z").contains(first),
              name.unicodeScalars.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }) else {
            throw bad("the name must be [a-z_][a-z0-9_]*")
        }
        if OptionValidator.common.contains(where: { $0.name == name }) { throw bad("'\(name)' is a common option every pass has; do not declare it") }
        guard let doc = swiftString(d.doc), !doc.isEmpty else { throw bad("doc is missing") }
        let type: PassParamType
        switch d.type {
        case WHITTLE_PARAM_NUMBER: type = .number
        case WHITTLE_PARAM_INTEGER: type = .integer
        case WHITTLE_PARAM_STRING: type = .string
        case WHITTLE_PARAM_BOOL: type = .bool
        case WHITTLE_PARAM_STRINGS: type = .strings
        default: throw bad("unknown type \(d.type)")
        }
        let flags = d.flags
        var defaultValue: PassValue?
        if flags & WHITTLE_PARAM_HAS_DEFAULT != 0 || d.default_string != nil {
            switch type {
            case .number: defaultValue = .number(d.default_number)
            case .integer: defaultValue = .number(d.default_number)
            case .bool: defaultValue = .bool(d.default_number != 0)
            case .string:
                guard let s = swiftString(d.default_string) else { throw bad("HAS_DEFAULT is set but default_string is NULL") }
                defaultValue = .string(s)
            default:
                guard let s = swiftString(d.default_string) else { throw bad("HAS_DEFAULT is set but default_string is NULL") }
                defaultValue = .strings(split(s))
            }
        }
        if type == .integer, case .number(let x) = defaultValue {
            guard x == x.rounded(), abs(x) < 9e15 else { throw bad("default \(x) is not an integer") }
            defaultValue = .integer(Int(x))
        }
        let hasMin = flags & WHITTLE_PARAM_HAS_MIN != 0, hasMax = flags & WHITTLE_PARAM_HAS_MAX != 0
        if (hasMin || hasMax) && type != .number && type != .integer { throw bad("a range needs a number or integer type") }
        if (hasMin && d.min.isNaN) || (hasMax && d.max.isNaN) { throw bad("a bound is NaN") }
        let choices = swiftString(d.choices).map(split)
        if choices != nil && type != .string { throw bad("choices need the string type") }
        if choices?.isEmpty == true { throw bad("choices is empty") }
        return PassParam(name, type, default: defaultValue,
                         min: hasMin ? d.min : nil, max: hasMax ? d.max : nil,
                         minExclusive: flags & WHITTLE_PARAM_MIN_EXCLUSIVE != 0, maxExclusive: flags & WHITTLE_PARAM_MAX_EXCLUSIVE != 0,
                         choices: choices, optional: flags & WHITTLE_PARAM_OPTIONAL != 0, doc: doc)
    }

    /// "a, b,c" -> ["a", "b", "c"] (empty items dropped).
    static func split(_ s: String) -> [String] {
        s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A malformed pass definition (the message names the pass and the field).
struct DefinitionError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// A one-option pass used only to check a default against its own schema.
private final class SchemaProbe: Pass {
    let name: String
    let params: [PassParam]
    var doc: String { "" }
    var source: PassSource { .builtin }
    init(name: String, param: PassParam) {
        self.name = name
        params = [param]
    }
    func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport { PassReport(pass: name) }
}
