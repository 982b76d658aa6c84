import WhittleData
import WhittleNN
import WhittleTensor

/// `quantize.ptq`: post-training int8 quantization of linear/conv2d weights (per channel or per
/// tensor, symmetric or affine, ranges from an observer) with static input quantization calibrated
/// on data, and optional bias correction. Quantized layers run the VNNI int8 GEMM in eval mode.
public final class PTQPass: Pass {
    public let name = "quantize.ptq"
    public let doc = "Post-training int8 quantization: observer-chosen weight ranges, static activation ranges from calibration data, optional bias correction."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("bits", .integer, default: .integer(8), doc: "Weight and activation bits; 8 (use quantize.weights for 4-bit formats)."),
        PassParam("per_channel", .bool, default: .bool(true), doc: "One weight scale per output channel (else one per tensor)."),
        PassParam("symmetric", .bool, default: .bool(true), doc: "Symmetric weights (else affine with zero points); activations are always affine."),
        PassParam("calibration", .dataset, optional: true, doc: "Calibration data for activation ranges and bias correction."),
        PassParam("data", .dataset, optional: true, doc: "Same as 'calibration' (the positional data argument)."),
        PassParam("samples", .integer, default: .integer(512), min: 1, max: 1_000_000, doc: "Calibration examples used (the first ones)."),
        PassParam("batch", .integer, default: .integer(128), min: 1, max: 65_536, doc: "Calibration batch size."),
        PassParam("observer", .string, default: .string("minmax"), choices: ObserverKind.allCases.map(\.rawValue), doc: "Range rule for weights and activations: minmax, percentile or mse."),
        PassParam("percentile", .number, default: .number(99.99), min: 50, max: 100, minExclusive: true, doc: "Percentile kept by the percentile observer."),
        PassParam("activations", .string, default: .string("auto"), choices: ["auto", "static", "dynamic"], doc: "static: calibrated input ranges; dynamic: per-row ranges at run time; auto: static when data is given."),
        PassParam("bias_correction", .bool, default: .bool(false), doc: "Shift each bias by the mean output error measured on the calibration data."),
        PassParam("targets", .strings, default: .strings(["*.weight"]), doc: "Glob(s) of parameters; only linear/conv2d weights among them are quantized."),
    ]

    public init() {}

    public func apply(to model: Model, options o: PassOptions, context: PassContext) throws -> PassReport {
        func bad(_ m: String) -> PassError { .invalidOption(pass: name, message: m) }
        let bits = o.integer("bits") ?? 8
        guard bits == 8 else { throw bad("'bits' must be 8 (use quantize.weights for 4-bit formats), got \(bits)") }
        if o.dataset("calibration") != nil && o.dataset("data") != nil { throw bad("give 'calibration' or 'data', not both") }
        let data = o.dataset("calibration") ?? o.dataset("data")
        let mode = o.string("activations") ?? "auto"
        let staticActs = mode == "static" || (mode == "auto" && data != nil)
        if mode == "static" && data == nil { throw bad("'activations'=\"static\" needs 'calibration' data") }
        let correct = o.bool("bias_correction") ?? false
        if correct && data == nil { throw bad("'bias_correction' needs 'calibration' data") }
        guard let kind = ObserverKind(rawValue: o.string("observer") ?? "minmax") else { throw bad("unknown observer") }
        let perChannel = o.bool("per_channel") ?? true, symmetric = o.bool("symmetric") ?? true
        let percentile = o.number("percentile") ?? 99.99
        let weightObserver = RangeObserver(kind, percentile: percentile, symmetric: symmetric)
        let actObserver = RangeObserver(kind, percentile: percentile, symmetric: false)
        if let d = data, d.count == 0 { throw bad("'calibration' dataset is empty") }

        let (layers, skipped) = try QuantTargets.select(model, options: o, pass: name)
        model.setTraining(false)
        let run = try data.map { try CalibrationRun(model: model, data: $0, samples: o.integer("samples") ?? 512, batch: o.integer("batch") ?? 128, pass: name) }
        var report = PassReport(pass: name)
        var before = 0, after = 0
        for l in layers {
            let dense = l.weight.value.clone()
            let inputs = try run?.inputs(of: l.path)
            let reference = correct ? try l.module.copy() : nil
            var extra: [(String, PassValue)] = []
            if staticActs, let inputs {
                let r = observedRange(inputs, observer: actObserver)
                let a = try ActivationQuantization(low: r.low, high: r.high, symmetric: false)
                l.inputQuantization = a
                extra += [("act_low", .number(Double(a.low))), ("act_high", .number(Double(a.high))), ("act_zero", .integer(a.zeroPoint))]
            } else {
                l.inputQuantization = nil
            }
            let e = try Int8Encoding.quantize(dense, perChannel: perChannel, symmetric: symmetric,
                                              ranges: weightRanges(dense, perChannel: perChannel, observer: weightObserver))
            try l.weight.setEncoding(e)
            if let reference, let inputs {
                extra.append(("bias_shift", .number(try correctBias(l, reference: reference, inputs: inputs))))
            }
            report.rows.append(encodingRow(l.weightName, before: dense, encoding: e, after: l.weight.value, extra: extra))
            before += dense.byteCount; after += e.byteCount
            context.log("\(name): \(l.weightName) -> int8")
        }
        report.summary = [("format", .string(WeightFormat.int8(perChannel: perChannel, symmetric: symmetric).label)),
                          ("observer", .string(kind.rawValue)), ("activations", .string(staticActs ? "static" : "dynamic")),
                          ("tensors", .integer(layers.count)), ("bytes_before", .integer(before)), ("bytes_after", .integer(after)),
                          ("ratio", .number(after == 0 ? 0 : Double(before) / Double(after)))]
        if !skipped.isEmpty { report.summary.append(("skipped", .string(skipped.joined(separator: ",")))) }
        return report
    }

    /// Adds to the bias the mean difference between the float layer's and the quantized layer's
    /// outputs over the calibration inputs (empirical bias correction); returns the shift's L2 norm.
    private func correctBias(_ l: QuantLayer, reference: Module, inputs: [Tensor]) throws -> Double {
        // An encoded bias stays as stored: shifting its decoded value would desynchronise the two.
        guard let bias = l.bias, bias.encoding == nil else { return 0 }
        let channels = bias.count
        var shift = [Double](repeating: 0, count: channels)
        var total = 0
        for x in inputs {
            let yf = try reference.forward(x), yq = try l.module.forward(x)
            let d = channelMeanDifference(yf, yq, channels: channels)
            let n = x.shape[0]
            for c in 0..<channels { shift[c] += d[c] * Double(n) }
            total += n
        }
        reference.clearCache(); l.module.clearCache()
        bias.value.makeWritable()
        var norm = 0.0
        for c in 0..<channels {
            let s = shift[c] / Double(max(total, 1))
            bias.value.floats[c] += Float(s)
            norm += s * s
        }
        return norm.squareRoot()
    }
}
