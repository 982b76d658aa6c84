import Foundation
import WhittleNN
import WhittleTensor

/// `quantize.gptq` on language models: every attention and MLP projection, block by block
/// on calibration windows, into a ggml block grid (`DecoderCompression.gptq`).
extension GPTQPass: LanguageModelPass {
    public var languageModelParams: [PassParam] {
        [
            PassParam("format", .string, default: .string("q4_0"), choices: QuantGrids.names, doc: "ggml block grid the weights land in; q4_1_zp is Q4_1 with integer zero points (asymmetric int4, which compressed-tensors export holds)."),
            calibrationParam,
            PassParam("block_size", .integer, default: .integer(128), min: 32, max: 4096, doc: "Columns per lazy update batch (a multiple of 32)."),
            PassParam("damp", .number, default: .number(0.01), min: 0, max: 1, minExclusive: true, doc: "Hessian damping as a fraction of its mean diagonal; raised tenfold (up to 3 times) when Cholesky fails."),
            PassParam("act_order", .bool, default: .bool(false), doc: "Quantize columns by descending activation energy (static groups)."),
            PassParam("blocks", .integer, min: 1, max: 100_000, optional: true, doc: "Process only the first N decoder blocks (a probe of memory and time on a large model; the rest stay as they were)."),
            PassParam("max_memory", .string, optional: true, doc: "Refuse to start when the run's planned memory beyond the model exceeds this size (\"4G\", \"512M\")."),
        ]
    }

    public func apply(to lm: LanguageModel, options o: PassOptions, context: PassContext) throws -> PassReport {
        let d = try decoder(of: lm)
        let windows = try calibration(o)
        let grid = try self.grid(o)
        var opts = GPTQ.Options()
        opts.blockSize = o.integer("block_size") ?? 128
        opts.damp = o.number("damp") ?? 0.01
        opts.actOrder = o.bool("act_order") ?? false
        guard opts.blockSize % 32 == 0 else { throw PassError.invalidOption(pass: name, message: "'block_size' must be a multiple of 32, got \(opts.blockSize)") }
        var limits = DecoderCalibration.Limits(blocks: o.integer("blocks"))
        if let text = o.string("max_memory") {
            guard let bytes = MemoryBudget.parseSize(text) else {
                throw PassError.invalidOption(pass: name, message: "'max_memory' must be a size such as 4G or 512M, got '\(text)'")
            }
            limits.maxMemory = bytes
        }
        let start = Date()
        let rows: [DecoderCompression.Row]
        do { rows = try DecoderCompression.gptq(d, windows: windows.windows, grid: grid, options: opts, limits: limits, log: context.log) }
        catch let e as CalibrationError { throw PassError.failed(pass: name, message: e.description) }
        var report = PassReport(pass: name)
        report.rows = rows.map { r in
            PassReport.Row(target: r.name, values: [("type", .string(r.type)), ("loss", .number(r.loss)), ("damp", .number(r.damp)),
                                                    ("bpw", .number(Double(grid.blockBytes * 8) / Double(grid.blockSize))), ("seconds", .number(r.seconds))])
        }
        report.summary = [("format", .string(grid.name)), ("tensors", .integer(rows.count)), ("windows", .integer(windows.count)),
                          ("ctx", .integer(windows.ctx)), ("seconds", .number(Date().timeIntervalSince(start)))]
        return report
    }
}
