import Foundation
import WhittleNN

/// Where a pass comes from, as `whittle passes` shows it.
public enum PassSource: CustomStringConvertible, Equatable {
    case builtin
    case lua(path: String)
    case native(path: String)

    public var description: String {
        switch self {
        case .builtin: return "builtin"
        case .lua(let p): return "lua:" + p
        case .native(let p): return "native:" + p
        }
    }
}

/// A compression pass: validates its options against `params`, then mutates
/// the model and reports what it changed per layer.
public protocol Pass: AnyObject {
    /// Registry name, dotted ("prune.magnitude").
    var name: String { get }
    /// One line saying what it does.
    var doc: String { get }
    /// Option schema, checked before `apply` runs.
    var params: [PassParam] { get }
    var source: PassSource { get }
    /// Applies the pass; `options` are already validated and complete.
    func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport
}

/// What a pass can use besides the model: logging and progress for long work.
public final class PassContext {
    /// Receives log lines (the CLI prints them to stderr).
    public var log: (String) -> Void
    public init(log: @escaping (String) -> Void = { _ in }) { self.log = log }
}

/// The result of one pass: per-layer rows plus totals, printable as a table.
public struct PassReport: CustomStringConvertible {
    /// One row per affected tensor or layer: its name and named values.
    public struct Row {
        public let target: String
        public var values: [(String, PassValue)]
        public init(target: String, values: [(String, PassValue)]) {
            self.target = target
            self.values = values
        }
    }

    public let pass: String
    public var rows: [Row]
    public var summary: [(String, PassValue)]

    public init(pass: String, rows: [Row] = [], summary: [(String, PassValue)] = []) {
        self.pass = pass
        self.rows = rows
        self.summary = summary
    }

    public var description: String {
        var columns: [String] = []
        for r in rows { for (k, _) in r.values where !columns.contains(k) { columns.append(k) } }
        var table = [["target"] + columns]
        for r in rows {
            table.append([r.target] + columns.map { c in r.values.first { $0.0 == c }.map { format($0.1) } ?? "" })
        }
        let widths = (0..<(columns.count + 1)).map { i in table.map { $0[i].count }.max() ?? 0 }
        var lines = ["\(pass):"]
        for row in table {
            lines.append("  " + row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  "))
        }
        if !summary.isEmpty { lines.append("  " + summary.map { "\($0.0)=\(format($0.1))" }.joined(separator: " ")) }
        return lines.joined(separator: "\n")
    }

    private func format(_ v: PassValue) -> String {
        if case .number(let d) = v, d != d.rounded() { return String(format: "%.4g", d) }
        if case .string(let s) = v { return s }
        return v.description
    }
}


