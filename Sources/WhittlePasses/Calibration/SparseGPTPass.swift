import Foundation
import WhittleNN
import WhittleTensor

/// `prune.sparsegpt`: SparseGPT (Frantar & Alistarh 2023), unstructured or N:M, layer by layer
/// on calibration data; pruned entries are masked so fine-tuning keeps them at zero.
public final class SparseGPTPass: Pass {
    public let name = "prune.sparsegpt"
    public let doc = "SparseGPT: one-shot pruning with inverse-Hessian weight reconstruction, unstructured or N:M, calibrated layer by layer."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("sparsity", .number, default: .number(0.5), min: 0, max: 1, maxExclusive: true, doc: "Fraction of weights removed (unstructured)."),
        PassParam("n", .integer, min: 1, max: 64, optional: true, doc: "N:M pattern: entries kept per group (with 'm')."),
        PassParam("m", .integer, min: 2, max: 64, optional: true, doc: "N:M pattern: group size along the input dimension."),
        PassParam("calibration", .dataset, optional: true, doc: "Calibration data."),
        PassParam("data", .dataset, optional: true, doc: "Same as 'calibration' (the positional data argument)."),
        PassParam("samples", .integer, default: .integer(512), min: 1, max: 1_000_000, doc: "Calibration examples used (the first ones)."),
        PassParam("batch", .integer, default: .integer(128), min: 1, max: 65_536, doc: "Calibration batch size."),
        PassParam("block_size", .integer, default: .integer(128), min: 1, max: 4096, doc: "Columns per lazy update batch."),
        PassParam("damp", .number, default: .number(0.01), min: 0, max: 1, minExclusive: true, doc: "Hessian damping as a fraction of its mean diagonal."),
        PassParam("targets", .strings, default: .strings(["*.weight"]), doc: "Glob(s) of parameters; linear weights among them are pruned."),
    ]

    public init() {}

    public func apply(to model: Model, options o: PassOptions, context: PassContext) throws -> PassReport {
        let pattern: SparseGPT.Pattern
        switch (o.integer("n"), o.integer("m")) {
        case (nil, nil): pattern = .unstructured(o.number("sparsity") ?? 0.5)
        case let (n?, m?):
            guard n <= m else { throw PassError.invalidOption(pass: name, message: "'n' (\(n)) must not exceed 'm' (\(m))") }
            pattern = .nm(n: m - n, m: m)
        default: throw PassError.invalidOption(pass: name, message: "give both 'n' and 'm' for an N:M pattern")
        }
        let cal = try LinearCalibration(model: model, options: o, pass: name)
        if case .nm(_, let m) = pattern {
            for l in cal.layers where (l.weight.value.count / l.weight.value.shape[0]) % m != 0 {
                throw PassError.invalidTarget(pass: name, message: "'\(l.weightName)' has rows of \(l.weight.value.count / l.weight.value.shape[0]), not a multiple of m=\(m)")
            }
        }
        var report = PassReport(pass: name)
        var zeros = 0, total = 0
        for l in cal.layers {
            let start = Date()
            let w = l.weight.value
            let rows = w.shape[0], cols = w.count / rows
            let h = try cal.hessian(of: l, cols: cols, padded: cols)
            let r: SparseGPT.Result
            do {
                r = try SparseGPT.prune(Array(UnsafeBufferPointer(start: w.floats, count: w.count)), rows: rows, cols: cols, hessian: h,
                                        pattern: pattern, blockSize: o.integer("block_size") ?? 128, damp: o.number("damp") ?? 0.01)
            } catch let e as CalibrationError { throw PassError.failed(pass: name, message: "\(l.weightName): \(e)") }
            w.makeWritable()
            let mask = try Tensor(zeros: w.shape)
            var z = 0
            for i in 0..<w.count {
                w.floats[i] = r.values[i]
                if r.values[i] == 0 { z += 1 } else { mask.floats[i] = 1 }
            }
            try l.weight.setMask(mask)
            zeros += z; total += w.count
            report.rows.append(PassReport.Row(target: l.weightName, values: [
                ("sparsity", .number(Double(z) / Double(max(w.count, 1)))), ("loss", .number(r.loss)),
                ("damp", .number(r.damp)), ("seconds", .number(Date().timeIntervalSince(start))),
            ]))
            context.log("\(name): \(l.weightName) sparsity \(String(format: "%.3f", Double(z) / Double(max(w.count, 1))))")
        }
        report.summary = [("tensors", .integer(cal.layers.count)), ("sparsity", .number(Double(zeros) / Double(max(total, 1))))]
        if !cal.skipped.isEmpty { report.summary.append(("skipped", .string(cal.skipped.joined(separator: ",")))) }
        return report
    }
}
