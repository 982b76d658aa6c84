import Foundation
import WhittleNN
import WhittleTensor

/// SmoothQuant (Xiao et al. 2022) on a decoder, block by block: the activation outliers of the
/// norm outputs feeding q/k/v and gate/up move into the weights with s_j = max|X_j|^α /
/// max|W_j|^(1-α) (folded into the norm and the projections, which leaves the model's function
/// unchanged), then every attention and MLP projection becomes W8A8: int8 weights with one scale
/// per output channel, run with int8 activations quantized per token (the reference's
/// per_channel / per_token setting).
enum DecoderSmoothQuant {
    struct Options {
        var alpha: Float = 0.5
        var smooth = true
        var w8a8 = true
    }

    /// One processed projection.
    struct Row {
        let name: String
        /// ||W - Q(W)||² / ||W||² of the int8 weights (0 when only smoothing).
        let error: Double
        let inFeatures: Int
        let seconds: Double
    }

    /// The smoothing factors for projections `ws` (each rows x k f32) given max|x| per column.
    static func factors(actMax: [Float], weights ws: [(values: [Float], rows: Int)], k: Int, alpha: Float) -> [Float] {
        var wMax = [Float](repeating: 0, count: k)
        for w in ws { for r in 0..<w.rows { for j in 0..<k { wMax[j] = max(wMax[j], abs(w.values[r * k + j])) } } }
        return (0..<k).map { j in
            let s = pow(max(actMax[j], 1e-5), alpha) / pow(max(wMax[j], 1e-5), 1 - alpha)
            return s.isFinite ? max(s, 1e-5) : 1
        }
    }

    /// Per-output-channel symmetric int8 of `w` (rows x k): values, scales (max|row|/127) and the relative error.
    static func int8(_ w: UnsafePointer<Float>, rows: Int, k: Int) throws -> (values: Tensor, scales: Tensor, error: Double) {
        let q = try Tensor(zeros: [rows, k], dtype: .i8), s = try Tensor(zeros: [rows])
        let qp = q.storage.bytes.assumingMemoryBound(to: Int8.self)
        var err = 0.0, ref = 0.0
        for r in 0..<rows {
            var amax: Float = 0
            for j in 0..<k { amax = max(amax, abs(w[r * k + j])) }
            let d = amax / 127, inv: Float = d > 0 ? 1 / d : 0
            s.floats[r] = d
            for j in 0..<k {
                let v = w[r * k + j], c = Int8(max(-127, min(127, (v * inv).rounded(.toNearestOrEven))))
                qp[r * k + j] = c
                let e = Double(v - Float(c) * d); err += e * e; ref += Double(v * v)
            }
        }
        return (q, s, ref > 0 ? err / ref : 0)
    }

    static func run(_ model: DecoderModel, windows: [[Int]], options: Options, log: (String) -> Void) throws -> [Row] {
        guard !options.smooth || (!windows.isEmpty && windows.allSatisfy({ !$0.isEmpty })) else {
            throw CalibrationError.invalid("smoothquant: no token windows")
        }
        let need = DecoderCalibration.plannedBytes(model, windows: windows.count, tokens: windows.first?.count ?? 0, hessians: false)
        try MemoryBudget.check(bytes: need, what: "smoothquant calibration of \(windows.count) windows")
        if options.smooth {
            log(String(format: "smoothquant: %d windows x %d tokens, %d blocks, about %.0f MB beyond the model", windows.count, windows.first?.count ?? 0,
                       model.blockCount, Double(need) / 1e6))
        }
        var states = options.smooth ? try windows.map { try model.blockInput($0) } : []
        var rows: [Row] = []
        let start = Date()
        for b in 0..<model.blockCount {
            guard let p = model.blockParts(b) else { break }
            if options.smooth {
                let stats = try InputStatistics.collect(model, block: b, states: states, inputs: [p.q, p.gate], hessians: false)
                for (gi, (norm, layers)) in [(p.attentionNorm, [p.q, p.k, p.v]), (p.mlpNorm, [p.gate, p.up])].enumerated() {
                    let k = layers[0].inFeatures
                    let ws = try layers.map { (values: try DecoderAWQ.floats($0.weight.value), rows: $0.outFeatures) }
                    let s = factors(actMax: stats[gi].absMax, weights: ws, k: k, alpha: options.alpha)
                    try ScaleFolding.divideNorm(norm, by: s)
                    for l in layers { try ScaleFolding.multiplyColumns(l, by: s) }
                }
            }
            let named: [(String, Projection)] = [("self_attn.q_proj", p.q), ("self_attn.k_proj", p.k), ("self_attn.v_proj", p.v), ("self_attn.o_proj", p.o),
                                                 ("mlp.gate_proj", p.gate), ("mlp.up_proj", p.up), ("mlp.down_proj", p.down)]
            for (n, proj) in named {
                let t0 = Date()
                var error = 0.0
                if options.w8a8 {
                    let w = try proj.weight.value.checkedF32()
                    let q = try int8(w.floats, rows: proj.outFeatures, k: proj.inFeatures)
                    try proj.setW8A8(values: q.values, scales: q.scales)
                    error = q.error
                }
                rows.append(Row(name: p.prefix + n, error: error, inFeatures: proj.inFeatures, seconds: Date().timeIntervalSince(t0)))
            }
            if options.smooth { states = try states.map { try model.runBlock(b, $0) } }
            log(String(format: "smoothquant: block %d/%d done (%.0f s)", b + 1, model.blockCount, Date().timeIntervalSince(start)))
        }
        return rows
    }
}

/// `quantize.smoothquant`: SmoothQuant smoothing (alpha) then W8A8 on a decoder's projections.
public final class SmoothQuantPass: LanguageModelPass {
    public let name = "quantize.smoothquant"
    public let doc = "SmoothQuant: move activation outliers into the weights (alpha), then int8 weights and per-token int8 activations (W8A8, language models)."
    public let source = PassSource.builtin
    public var params: [PassParam] { languageModelParams }
    public var languageModelOnly: Bool { true }
    public var languageModelParams: [PassParam] {
        [
            PassParam("alpha", .number, default: .number(0.5), min: 0, max: 1, doc: "Migration strength: s = max|X|^alpha / max|W|^(1-alpha)."),
            calibrationParam,
            PassParam("smooth", .bool, default: .bool(true), doc: "Apply the smoothing (false: plain W8A8)."),
            PassParam("w8a8", .bool, default: .bool(true), doc: "Quantize to int8 weights and activations (false: smoothing only)."),
        ]
    }

    public init() {}

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        throw PassError.languageModelOnly(pass: name)
    }

    public func apply(to lm: LanguageModel, options o: PassOptions, context: PassContext) throws -> PassReport {
        let d = try decoder(of: lm)
        var opts = DecoderSmoothQuant.Options()
        opts.alpha = Float(o.number("alpha") ?? 0.5)
        opts.smooth = o.bool("smooth") ?? true
        opts.w8a8 = o.bool("w8a8") ?? true
        guard opts.smooth || opts.w8a8 else { throw PassError.invalidOption(pass: name, message: "'smooth' and 'w8a8' are both false: nothing to do") }
        let windows: [[Int]]
        windows = opts.smooth ? try calibration(o).windows : []
        let start = Date()
        let rows: [DecoderSmoothQuant.Row]
        do { rows = try DecoderSmoothQuant.run(d, windows: windows, options: opts, log: context.log) }
        catch let e as CalibrationError { throw PassError.failed(pass: name, message: e.description) }
        var report = PassReport(pass: name)
        report.rows = rows.map { r in
            let k = r.inFeatures
            return PassReport.Row(target: r.name, values: [("type", .string(opts.w8a8 ? "w8a8" : "f32")), ("error", .number(r.error)),
                                                          ("bpw", .number(opts.w8a8 ? 8 + 32 / Double(k) : 32)), ("seconds", .number(r.seconds))])
        }
        report.summary = [("alpha", .number(Double(opts.alpha))), ("tensors", .integer(rows.count)), ("windows", .integer(windows.count)),
                          ("seconds", .number(Date().timeIntervalSince(start)))]
        return report
    }
}
