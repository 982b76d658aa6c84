import Foundation
import WhittleFormats
import WhittleNN

extension PassValue {
    /// The option as provenance records it: numbers, strings and tables as JSON; a dataset or
    /// model by a short description (they are inputs, not settings).
    public var provenanceJSON: JSONValue {
        switch self {
        case .number(let d): return d.isFinite ? .number(d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)) : .string(String(d))
        case .integer(let i): return .number(String(i))
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .strings(let a): return .array(a.map { .string($0) })
        case .table(let t): return .object(t.sorted { $0.key < $1.key }.map { ($0.key, $0.value.provenanceJSON) })
        case .dataset, .model, .opaque: return .string(description)
        case .windows(let w): return .string("\(w.count) windows of \(w.ctx) tokens from \(w.source)")
        }
    }
}

extension Provenance {
    /// Records a pass with its validated options (the registry's and the language-model pass path's hook).
    public mutating func record(pass name: String, options: PassOptions) {
        record(pass: name, options: options.values.map { ($0.key, $0.value.provenanceJSON) })
    }
}
