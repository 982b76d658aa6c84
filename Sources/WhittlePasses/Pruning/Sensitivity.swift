import Foundation
import WhittleNN

/// Per-layer pruning sensitivity: each target pruned alone at each level, then evaluated.
public struct SensitivityResult: CustomStringConvertible {
    /// Accuracy of the unpruned model.
    public let baseline: Double
    /// Sparsity levels, in the order given.
    public let levels: [Double]
    /// One row per target: its name and the accuracy at each level.
    public let rows: [(target: String, accuracy: [Double])]

    /// A result from its figures (one accuracy per level in each row).
    public init(baseline: Double, levels: [Double], rows: [(target: String, accuracy: [Double])]) {
        self.baseline = baseline
        self.levels = levels
        self.rows = rows
    }

    public var description: String {
        let head = ["layer"] + levels.map { String(format: "%.0f%%", $0 * 100) }
        var table = [head]
        for r in rows { table.append([r.target] + r.accuracy.map { String(format: "%.2f%%", $0 * 100) }) }
        let widths = head.indices.map { i in table.map { $0[i].count }.max() ?? 0 }
        var lines = [String(format: "sensitivity (baseline accuracy %.2f%%):", baseline * 100)]
        for row in table {
            lines.append("  " + row.enumerated().map { i, c in
                i == 0 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}

/// `whittle.sensitivity`: prunes each targeted parameter alone (magnitude, per layer) at each level.
public enum Sensitivity {
    /// Runs the analysis; the model is left as it was. Errors name "sensitivity" and the option.
    public static func analyze(_ model: Model, _ data: BatchSource, levels: [Double], targets: [String] = ["*.weight"],
                               progress: (String) -> Void = { _ in }) throws -> SensitivityResult {
        func fail(_ m: String) -> PassError { .invalidOption(pass: "sensitivity", message: m) }
        guard !levels.isEmpty else { throw fail("'levels' must hold at least one sparsity") }
        if let bad = levels.first(where: { !($0 >= 0 && $0 < 1) }) { throw fail("'levels' entries must be in [0, 1), got \(PassValue.number(bad))") }
        guard data.exampleCount > 0 else { throw fail("'data' is empty") }
        let selected = try Targets.select(model, globs: targets, pass: "sensitivity")
        if let (name, p) = selected.first(where: { $0.parameter.encoding != nil }) {
            throw PassError.invalidTarget(pass: "sensitivity", message: "'\(name)' is stored as \(p.encoding?.format ?? "?"); analyse before compressing")
        }
        let baseline = try evaluate(model, data).accuracy
        var rows: [(target: String, accuracy: [Double])] = []
        for (name, p) in selected {
            let value = p.value.clone(), mask = p.mask?.clone()
            var acc: [Double] = []
            for s in levels {
                try MagnitudePruner.prune(p, sparsity: s)
                acc.append(try evaluate(model, data).accuracy)
                try p.setMask(nil)
                try p.replaceValue(value.clone())
                try p.setMask(mask)
            }
            progress("sensitivity: \(name) " + acc.map { String(format: "%.2f%%", $0 * 100) }.joined(separator: " "))
            rows.append((name, acc))
        }
        return SensitivityResult(baseline: baseline, levels: levels, rows: rows)
    }
}
