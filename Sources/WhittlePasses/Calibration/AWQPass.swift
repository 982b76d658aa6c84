import Foundation
import WhittleNN

/// `quantize.awq`: activation-aware weight quantization (Lin et al. 2023) of a decoder's
/// attention and MLP projections into a ggml block grid, calibrated block by block.
public final class AWQPass: LanguageModelPass {
    public let name = "quantize.awq"
    public let doc = "AWQ: activation-aware per-channel scales and clipping, then round-to-nearest into ggml blocks (language models)."
    public let source = PassSource.builtin
    public var params: [PassParam] { languageModelParams }
    public var languageModelOnly: Bool { true }
    public var languageModelParams: [PassParam] {
        [
            PassParam("format", .string, default: .string("q4_0"), choices: QuantGrids.names, doc: "ggml block grid the weights land in; q4_1_zp is Q4_1 with integer zero points (asymmetric int4, which compressed-tensors export holds)."),
            calibrationParam,
            PassParam("n_grid", .integer, default: .integer(20), min: 1, max: 100, doc: "Points of the scale ratio searched in [0, 1)."),
            PassParam("duo_scaling", .bool, default: .bool(true), doc: "Scales from activations and weights (x^a / w^(1-a), AutoAWQ's default) rather than activations only."),
            PassParam("clip", .bool, default: .bool(true), doc: "Search a clipping range per block of weights (not for q/k)."),
            PassParam("max_shrink", .number, default: .number(0.5), min: 0, max: 0.95, doc: "Clipping tries the block's max shrunk by up to this fraction."),
        ]
    }

    public init() {}

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        throw PassError.languageModelOnly(pass: name)
    }

    public func apply(to lm: LanguageModel, options o: PassOptions, context: PassContext) throws -> PassReport {
        let d = try decoder(of: lm)
        let windows = try calibration(o)
        let grid = try self.grid(o)
        var opts = AWQ.Options()
        opts.nGrid = o.integer("n_grid") ?? 20
        opts.duoScaling = o.bool("duo_scaling") ?? true
        opts.maxShrink = (o.bool("clip") ?? true) ? (o.number("max_shrink") ?? 0.5) : 0
        let start = Date()
        let rows: [DecoderAWQ.Row]
        do { rows = try DecoderAWQ.run(d, windows: windows.windows, grid: grid, options: opts, log: context.log) }
        catch let e as CalibrationError { throw PassError.failed(pass: name, message: e.description) }
        let bpw = Double(grid.blockBytes * 8) / Double(grid.blockSize)
        var report = PassReport(pass: name)
        report.rows = rows.map { r in
            PassReport.Row(target: r.name, values: [("type", .string(grid.name)), ("error", .number(r.error)), ("rtn_error", .number(r.rtnError)),
                                                    ("ratio", .number(r.ratio)), ("bpw", .number(bpw)), ("seconds", .number(r.seconds))])
        }
        report.summary = [("format", .string(grid.name)), ("tensors", .integer(rows.count)), ("windows", .integer(windows.count)),
                          ("ctx", .integer(windows.ctx)), ("seconds", .number(Date().timeIntervalSince(start)))]
        return report
    }
}
