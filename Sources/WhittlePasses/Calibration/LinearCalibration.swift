import WhittleData
import WhittleNN
import WhittleTensor

/// Walks a layer-chain model's Linear targets in execution order, giving each one's f32 weight
/// and the Hessian of its inputs measured with every earlier layer already processed (so each
/// layer compensates the errors of those before it, as GPTQ and SparseGPT do block by block).
struct LinearCalibration {
    let run: CalibrationRun
    let layers: [QuantLayer]
    let skipped: [String]

    init(model: Model, options o: PassOptions, pass: String) throws {
        if o.dataset("calibration") != nil && o.dataset("data") != nil {
            throw PassError.invalidOption(pass: pass, message: "give 'calibration' or 'data', not both")
        }
        guard let data = o.dataset("calibration") ?? o.dataset("data") else {
            throw PassError.invalidOption(pass: pass, message: "needs calibration data ('calibration' or the data argument)")
        }
        guard data.count > 0 else { throw PassError.invalidOption(pass: pass, message: "'calibration' dataset is empty") }
        let (all, skipped) = try QuantTargets.select(model, options: o, pass: pass)
        layers = all.filter { $0.module is Linear }
        guard !layers.isEmpty else {
            throw PassError.invalidTarget(pass: pass, message: "targets select no linear layer (conv2d layers are not supported by this pass)")
        }
        self.skipped = skipped + all.filter { !($0.module is Linear) }.map(\.weightName)
        model.setTraining(false)
        run = try CalibrationRun(model: model, data: data, samples: o.integer("samples") ?? 512, batch: o.integer("batch") ?? 128, pass: pass)
    }

    /// The Hessian (cols padded to `multiple` with dead inputs) of layer `l`'s current inputs.
    func hessian(of l: QuantLayer, cols: Int, padded: Int) throws -> [Double] {
        var acc = try HessianAccumulator(cols: padded)
        for x in try run.inputs(of: l.path) {
            let n = x.count / cols
            if padded == cols { acc.add(x.floats, rows: n); continue }
            // Dead zero columns up to the block multiple: the whole batch widened once, added once.
            var wide = [Float](repeating: 0, count: n * padded)
            for r in 0..<n { for j in 0..<cols { wide[r * padded + j] = x.floats[r * cols + j] } }
            wide.withUnsafeBufferPointer { acc.add($0.baseAddress!, rows: n) }
        }
        return acc.hessian()
    }

    /// Layer `l`'s weight as rows x padded f32 (zero columns appended).
    static func paddedWeight(_ w: Tensor, padded: Int) -> (values: [Float], rows: Int, cols: Int) {
        let rows = w.shape[0], cols = w.count / rows
        var out = [Float](repeating: 0, count: rows * padded)
        for r in 0..<rows { for j in 0..<cols { out[r * padded + j] = w.floats[r * cols + j] } }
        return (out, rows, cols)
    }
}
