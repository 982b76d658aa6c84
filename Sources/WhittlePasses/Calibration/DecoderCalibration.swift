import Foundation
import WhittleData
import WhittleFormats
import WhittleKernels
import WhittleNN
import WhittleTensor

/// The block-by-block driver the calibrated LLM methods share: the calibration windows'
/// hidden states go through one decoder block at a time; each block's projection inputs are
/// observed, the method processes the block's weights, and the *processed* block then makes
/// the next block's inputs. Peak memory: the windows' hidden states, one block's f32 weights
/// and one Hessian per input group.
public enum DecoderCalibration {
    /// Bytes the run needs beyond the model itself, for the budget check and the log.
    public static func plannedBytes(_ model: DecoderModel, windows: Int, tokens: Int, hessians: Bool) -> Int {
        let s = model.spec
        let states = 2 * windows * tokens * s.hidden * 4
        let widest = max(s.hidden, s.ffn, s.heads * s.headDim)
        let hessian = hessians ? 2 * widest * widest * 8 : widest * 8
        let weights = 3 * s.ffn * s.hidden * 4
        return states + hessian + weights
    }

    /// Runs `process(name, projection, hessian)` for every projection of every block (in
    /// execution order; projections of one group share the Hessian of their common input).
    public static func run(_ model: DecoderModel, windows: [[Int]], log: (String) -> Void,
                           process: (String, Projection, HessianAccumulator) throws -> Void) throws {
        try runBlocks(model, windows: windows, hessians: true, log: log,
                      statistic: { try HessianAccumulator(cols: $0) }, observe: { $0.add($1.floats, rows: $1.shape[0]) }, process: process)
    }

    /// The loop every driver shares: for each block, a statistic per input group is made with
    /// `statistic(columns)`, fed every input row block (`observe`) while the windows go through
    /// the block, handed to `process` with each projection of the group, and then the processed
    /// block makes the next block's inputs.
    static func runBlocks<Statistic>(_ model: DecoderModel, windows: [[Int]], hessians: Bool, log: (String) -> Void,
                                     statistic: (Int) throws -> Statistic, observe: @escaping (inout Statistic, Tensor) -> Void,
                                     process: (String, Projection, Statistic) throws -> Void) throws {
        guard !windows.isEmpty, windows.allSatisfy({ !$0.isEmpty }) else { throw CalibrationError.invalid("calibration: no token windows") }
        let need = plannedBytes(model, windows: windows.count, tokens: windows[0].count, hessians: hessians)
        try MemoryBudget.check(bytes: need, what: "calibration of \(windows.count) windows x \(windows[0].count) tokens")
        log(String(format: "calibration: %d windows x %d tokens, %d blocks, about %.0f MB beyond the model", windows.count,
                   windows[0].count, model.blockCount, Double(need) / 1e6))
        var states = try windows.map { try model.blockInput($0) }
        let start = Date()
        for b in 0..<model.blockCount {
            let groups = model.blockProjections(b)
            let stats = try groups.map { g in StatisticBox(try statistic(g[0].projection.inFeatures)) }
            for (gi, g) in groups.enumerated() {
                g[0].projection.inputObserver = { x in observe(&stats[gi].value, x) }
            }
            defer { for g in groups { g[0].projection.inputObserver = nil } }
            for x in states { _ = try model.runBlock(b, x) }
            for g in groups { g[0].projection.inputObserver = nil }
            for (gi, g) in groups.enumerated() {
                for (name, p) in g { try process(name, p, stats[gi].value) }
            }
            states = try states.map { try model.runBlock(b, $0) }
            let elapsed = Date().timeIntervalSince(start)
            let blockTokens = Double(windows.count * windows[0].count * (b + 1))
            log(String(format: "calibration: block %d/%d done (%.0f s, %.0f block-tokens/s)", b + 1, model.blockCount, elapsed,
                       blockTokens / max(elapsed, 1e-9)))
        }
    }

    /// A statistic the input observers (escaping closures) can update in place.
    final class StatisticBox<Value> {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Windows of `ctx` tokens drawn from `tokens` at seeded random offsets (see `TokenWindows`).
    public static func windows(_ tokens: [Int], ctx: Int, count: Int, seed: UInt64) throws -> [[Int]] {
        do { return try TokenWindows(tokens: tokens, ctx: ctx, count: count, seed: seed, source: "text").windows }
        catch let e as DataError { throw CalibrationError.invalid(e.description) }
    }
}

/// GPTQ and importance matrices on decoder LMs, through `DecoderCalibration`.
public enum DecoderCompression {
    /// One quantized projection.
    public struct Row {
        public let name: String
        public let type: String
        public let loss: Double
        public let damp: Double
        public let seconds: Double
    }

    /// GPTQ of every projection (not embeddings or the output head) onto `grid`; weights are
    /// replaced by tensors in the grid's ggml block type. Rows whose length does not fit the
    /// grid's blocks are an error before any weight changes.
    public static func gptq(_ model: DecoderModel, windows: [[Int]], grid: QuantGrid, options: GPTQ.Options,
                            log: (String) -> Void) throws -> [Row] {
        guard let g = GGMLType(name: grid.name), let dtype = DType(ggml: g) else {
            throw CalibrationError.invalid("gptq: no tensor type for grid \(grid.name)")
        }
        for b in 0..<model.blockCount {
            for group in model.blockProjections(b) {
                for (name, p) in group where p.inFeatures % grid.blockSize != 0 {
                    throw CalibrationError.invalid("gptq: '\(name)' has rows of \(p.inFeatures), not a multiple of \(grid.name)'s block of \(grid.blockSize)")
                }
            }
        }
        var rows: [Row] = []
        try DecoderCalibration.run(model, windows: windows, log: log) { name, p, acc in
            let start = Date()
            let w = try p.weight.value.checkedF32()
            let out = p.outFeatures, k = p.inFeatures
            let r = try GPTQ.quantize(Array(UnsafeBufferPointer(start: w.floats, count: w.count)), rows: out, cols: k,
                                      hessian: acc.hessian(), grid: grid, options: options)
            let t = try Tensor(zeros: [out, k], dtype: dtype)
            r.blocks.withUnsafeBytes { t.storage.bytes.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            p.weight.value = t
            rows.append(Row(name: name, type: grid.name, loss: r.loss, damp: r.damp, seconds: Date().timeIntervalSince(start)))
        }
        return rows
    }

    /// llama-imatrix's importance matrix: per projection, the sum of x² per input column and the
    /// number of rows, named as in GGUF files so llama-quantize and `whittle quantize` find them.
    public static func imatrix(_ model: DecoderModel, architecture: String, windows: [[Int]],
                               log: (String) -> Void) throws -> ImportanceMatrix {
        var im = ImportanceMatrix(entries: [:], datasets: ["whittle"], chunkCount: windows.count, chunkSize: windows.first?.count ?? 0)
        var states = try windows.map { try model.blockInput($0) }
        for b in 0..<model.blockCount {
            var pending: [(String, Projection)] = []
            for group in model.blockProjections(b) { for (name, p) in group { pending.append((name, p)) } }
            for (name, p) in pending {
                let key = GGUFTensorNames.gguf(fromHF: name + ".weight", architecture: architecture)
                p.inputObserver = { x in
                    try im.accumulate(key, activations: UnsafeBufferPointer(start: x.floats, count: x.count), columns: x.shape[1])
                }
            }
            defer { for (_, p) in pending { p.inputObserver = nil } }
            states = try states.map { try model.runBlock(b, $0) }
            log("imatrix: block \(b + 1)/\(model.blockCount)")
        }
        return im
    }
}
