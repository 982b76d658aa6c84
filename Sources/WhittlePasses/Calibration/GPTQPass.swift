import Foundation
import WhittleKernels
import WhittleNN
import WhittleTensor

/// `quantize.gptq`: GPTQ (Frantar et al. 2022) into ggml blocks, layer by layer on calibration
/// data, each layer seeing the outputs of the already-quantized layers before it.
public final class GPTQPass: Pass {
    public let name = "quantize.gptq"
    public let doc = "GPTQ: second-order weight quantization into ggml q4_0/q8_0 blocks, calibrated layer by layer."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("format", .string, default: .string("q4_0"), choices: ["q4_0", "q8_0"], doc: "Block grid the weights land in (ggml layout, 32 per block)."),
        PassParam("calibration", .dataset, optional: true, doc: "Calibration data."),
        PassParam("data", .dataset, optional: true, doc: "Same as 'calibration' (the positional data argument)."),
        PassParam("samples", .integer, default: .integer(512), min: 1, max: 1_000_000, doc: "Calibration examples used (the first ones)."),
        PassParam("batch", .integer, default: .integer(128), min: 1, max: 65_536, doc: "Calibration batch size."),
        PassParam("block_size", .integer, default: .integer(128), min: 32, max: 4096, doc: "Columns per lazy update batch (a multiple of 32)."),
        PassParam("damp", .number, default: .number(0.01), min: 0, max: 1, minExclusive: true, doc: "Hessian damping as a fraction of its mean diagonal; raised tenfold (up to 3 times) when Cholesky fails."),
        PassParam("act_order", .bool, default: .bool(false), doc: "Quantize columns by descending activation energy (blocks fitted up front: static groups)."),
        PassParam("targets", .strings, default: .strings(["*.weight"]), doc: "Glob(s) of parameters; linear weights among them are quantized."),
    ]

    public init() {}

    public func apply(to model: Model, options o: PassOptions, context: PassContext) throws -> PassReport {
        let format = o.string("format") ?? "q4_0"
        guard let grid = QuantGrids.grid(named: format), let kind: QuantFormat? = format == "q8_0" ? .q8_0 : format == "q4_0" ? .q4_0 : nil, let kind else {
            throw PassError.invalidOption(pass: name, message: "unknown format '\(format)'")
        }
        var opts = GPTQ.Options()
        opts.blockSize = o.integer("block_size") ?? 128
        opts.damp = o.number("damp") ?? 0.01
        opts.actOrder = o.bool("act_order") ?? false
        guard opts.blockSize % 32 == 0 else { throw PassError.invalidOption(pass: name, message: "'block_size' must be a multiple of 32, got \(opts.blockSize)") }
        let cal = try LinearCalibration(model: model, options: o, pass: name)
        var report = PassReport(pass: name)
        var before = 0, after = 0
        for l in cal.layers {
            let start = Date()
            let dense = l.weight.value.clone()
            let rows = dense.shape[0], cols = dense.count / rows, padded = (cols + 31) / 32 * 32
            let h = try cal.hessian(of: l, cols: cols, padded: padded)
            let w = LinearCalibration.paddedWeight(dense, padded: padded)
            let r: GPTQ.Result
            do { r = try GPTQ.quantize(w.values, rows: rows, cols: padded, hessian: h, grid: grid, options: opts) }
            catch let e as CalibrationError { throw PassError.failed(pass: name, message: "\(l.weightName): \(e)") }
            let blocks = try Tensor(zeros: [rows, padded / 32 * grid.blockBytes], dtype: .u8)
            r.blocks.withUnsafeBytes { blocks.storage.bytes.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let e = try BlockEncoding(kind: kind, shape: dense.shape, paddedCols: padded, blocks: blocks)
            try l.weight.setEncoding(e)
            report.rows.append(encodingRow(l.weightName, before: dense, encoding: e, after: l.weight.value, extra: [
                ("gptq_loss", .number(r.loss)), ("damp", .number(r.damp)), ("seconds", .number(Date().timeIntervalSince(start))),
            ]))
            before += dense.byteCount; after += e.byteCount
            context.log("\(name): \(l.weightName) -> \(format) (loss \(String(format: "%.4g", r.loss)))")
        }
        report.summary = [("format", .string(format)), ("tensors", .integer(cal.layers.count)),
                          ("bytes_before", .integer(before)), ("bytes_after", .integer(after)),
                          ("ratio", .number(after == 0 ? 0 : Double(before) / Double(after)))]
        if !cal.skipped.isEmpty { report.summary.append(("skipped", .string(cal.skipped.joined(separator: ",")))) }
        return report
    }
}
