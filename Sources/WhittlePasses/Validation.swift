/// Checks raw options against a pass's schema: unknown keys, types, ranges and
/// choices, filling in defaults, so a pass never sees an invalid option.
public enum OptionValidator {
    /// Options every pass accepts besides its own schema.
    public static let common: [PassParam] = [
        PassParam("targets", .strings, optional: true, doc: "Glob(s) of parameter names to act on (\"*.weight\", \"fc*\"); the pass's default when absent."),
        PassParam("overrides", .table, optional: true, doc: "Per-target options: {[\"0.weight\"]={sparsity=0.5}} (keys are globs)."),
    ]

    public static func validate(_ raw: [String: PassValue], for pass: Pass) throws -> PassOptions {
        try validate(raw, params: pass.params, pass: pass.name)
    }

    /// Checks `raw` against the schema `params` of the pass named `passName`.
    public static func validate(_ raw: [String: PassValue], params: [PassParam], pass passName: String) throws -> PassOptions {
        let schema = params + common.filter { c in !params.contains { $0.name == c.name } }
        let known = schema.map(\.name)
        if let unknown = raw.keys.sorted().first(where: { !known.contains($0) }) {
            throw PassError.invalidOption(pass: passName, message: "unknown option '\(unknown)' (known: \(known.joined(separator: ", ")))")
        }
        var out = PassOptions()
        for p in schema {
            guard let v = raw[p.name] else {
                if let d = p.defaultValue { out[p.name] = d } else if p.required {
                    throw PassError.invalidOption(pass: passName, message: "missing option '\(p.name)' (\(p.doc))")
                }
                continue
            }
            out[p.name] = try check(v, p, pass: passName)
        }
        if let overrides = out.table("overrides") {
            for (glob, value) in overrides {
                guard case .table(let t) = value else {
                    throw PassError.invalidOption(pass: passName, message: "'overrides[\"\(glob)\"]' must be a table of options")
                }
                for (k, v) in t {
                    guard let p = params.first(where: { $0.name == k }) else {
                        throw PassError.invalidOption(pass: passName, message: "unknown option '\(k)' in overrides[\"\(glob)\"]")
                    }
                    _ = try check(v, p, pass: passName, label: "overrides[\"\(glob)\"].\(k)")
                }
            }
        }
        return out
    }

    /// Checks one value against its parameter (converting integers given as numbers).
    static func check(_ v: PassValue, _ p: PassParam, pass: String, label: String? = nil) throws -> PassValue {
        let label = label ?? p.name
        func fail(_ m: String) -> PassError { .invalidOption(pass: pass, message: "'\(label)' \(m)") }
        func kind(_ v: PassValue) -> String {
            switch v {
            case .number, .integer: return "number"
            case .string: return "string"
            case .bool: return "boolean"
            case .strings: return "list of strings"
            case .dataset: return "dataset"
            case .windows: return "token windows"
            case .model: return "model"
            case .table: return "table"
            case .opaque: return "value"
            }
        }
        var value = v
        switch p.type {
        case .any: return v
        case .number, .integer:
            let d: Double
            switch v {
            case .number(let x): d = x
            case .integer(let i): d = Double(i)
            default: throw fail("must be a number, got \(kind(v))")
            }
            if d.isNaN { throw fail("must be a number, got nan") }
            if p.type == .integer {
                guard d == d.rounded(), abs(d) < 9e15 else { throw fail("must be an integer, got \(PassValue.number(d))") }
                value = .integer(Int(d))
            } else {
                value = .number(d)
            }
            let below = p.min.map { p.minExclusive ? d <= $0 : d < $0 } ?? false
            let above = p.max.map { p.maxExclusive ? d >= $0 : d > $0 } ?? false
            if below || above { throw fail("must be in \(p.rangeText ?? "range"), got \(PassValue.number(d))") }
        case .string:
            guard case .string(let s) = v else { throw fail("must be a string, got \(kind(v))") }
            if let choices = p.choices, !choices.contains(s) {
                throw fail("must be one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(s)\"")
            }
        case .bool:
            guard case .bool = v else { throw fail("must be a boolean, got \(kind(v))") }
        case .strings:
            switch v {
            case .string(let s): value = .strings([s])
            case .strings: break
            default: throw fail("must be a string or a list of strings, got \(kind(v))")
            }
        case .dataset:
            guard case .dataset = v else { throw fail("must be a dataset, got \(kind(v))") }
        case .windows:
            guard case .windows = v else { throw fail("must be token windows (whittle.data.text(...):windows(tokenizer, {...})), got \(kind(v))") }
        case .model:
            guard case .model = v else { throw fail("must be a model, got \(kind(v))") }
        case .table:
            guard case .table = v else { throw fail("must be a table, got \(kind(v))") }
        }
        return value
    }
}
