import WhittleData
import WhittleNN

/// A pass option's value, already checked against its schema.
public enum PassValue: CustomStringConvertible {
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case strings([String])
    case dataset(Dataset)
    /// Token windows: calibration data for language-model passes.
    case windows(TokenWindows)
    case model(Model)
    /// A nested option table (e.g. `finetune={epochs=1}`), keys to values.
    case table([String: PassValue])
    /// A value only the front end understands (a Lua function reference, say).
    case opaque(AnyObject)

    public var description: String {
        switch self {
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .integer(let i): return String(i)
        case .string(let s): return "\"\(s)\""
        case .bool(let b): return String(b)
        case .strings(let a): return "{" + a.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
        case .dataset(let d): return "dataset(\(d.count))"
        case .windows(let w): return "windows(\(w.count)x\(w.ctx))"
        case .model: return "model"
        case .table(let t): return "{" + t.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "}"
        case .opaque: return "<value>"
        }
    }
}

/// The type an option must have.
public enum PassParamType: String, Sendable {
    case number, integer, string, bool, strings, dataset, windows, model, table, any

    /// Parses the names used by Lua plugins' `params` ("number", "int", "string", ...).
    public init?(name: String) {
        switch name {
        case "int": self = .integer
        case "boolean": self = .bool
        case "glob", "globs", "targets": self = .strings
        case "data": self = .dataset
        default: self.init(rawValue: name)
        }
    }
}

/// One option of a pass: name, type, default, allowed range or choices, and doc.
public struct PassParam {
    public let name: String
    public let type: PassParamType
    public let defaultValue: PassValue?
    /// Inclusive bounds unless the matching `...Exclusive` flag is set.
    public let min: Double?
    public let max: Double?
    public let minExclusive: Bool
    public let maxExclusive: Bool
    public let choices: [String]?
    public let doc: String
    /// A required option has no default and must be given.
    public var required: Bool { defaultValue == nil && !optional }
    /// True for options that may be absent without a default.
    public let optional: Bool

    public init(_ name: String, _ type: PassParamType, default defaultValue: PassValue? = nil,
                min: Double? = nil, max: Double? = nil, minExclusive: Bool = false, maxExclusive: Bool = false,
                choices: [String]? = nil, optional: Bool = false, doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.min = min
        self.max = max
        self.minExclusive = minExclusive
        self.maxExclusive = maxExclusive
        self.choices = choices
        self.optional = optional
        self.doc = doc
    }

    /// "[0, 1)" style text of the allowed range, or nil when unbounded.
    public var rangeText: String? {
        guard min != nil || max != nil else { return nil }
        let lo = min.map { PassValue.number($0).description } ?? "-inf"
        let hi = max.map { PassValue.number($0).description } ?? "inf"
        return (minExclusive ? "(" : "[") + lo + ", " + hi + (maxExclusive ? ")" : "]")
    }
}

/// Options given to a pass after validation: every schema option present
/// (defaults filled in), of the declared type and within range.
public struct PassOptions {
    public private(set) var values: [String: PassValue]

    public init(_ values: [String: PassValue] = [:]) { self.values = values }

    public subscript(_ key: String) -> PassValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    public func number(_ key: String) -> Double? {
        switch values[key] {
        case .number(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
    public func integer(_ key: String) -> Int? {
        switch values[key] {
        case .integer(let i): return i
        case .number(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }
    public func string(_ key: String) -> String? { if case .string(let s) = values[key] { return s }; return nil }
    public func bool(_ key: String) -> Bool? { if case .bool(let b) = values[key] { return b }; return nil }
    public func strings(_ key: String) -> [String]? {
        switch values[key] {
        case .strings(let a): return a
        case .string(let s): return [s]
        default: return nil
        }
    }
    public func dataset(_ key: String) -> Dataset? { if case .dataset(let d) = values[key] { return d }; return nil }
    public func windows(_ key: String) -> TokenWindows? { if case .windows(let w) = values[key] { return w }; return nil }
    public func model(_ key: String) -> Model? { if case .model(let m) = values[key] { return m }; return nil }
    public func table(_ key: String) -> [String: PassValue]? { if case .table(let t) = values[key] { return t }; return nil }
}
