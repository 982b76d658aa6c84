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
    /// Bytes beyond the model for the drivers that keep a block's input and output states at once
    /// (AWQ, SmoothQuant, quantize.mix): `CalibrationPlan`'s peak plus a second copy of the states.
    public static func plannedBytes(_ model: DecoderModel, windows: Int, tokens: Int, hessians: Bool) -> Int {
        let plan = CalibrationPlan(model, windows: windows, tokens: tokens, blocks: model.blockCount, hessians: hessians,
                                   outputBytesPerWeight: 0)
        return plan.charged + plan.states
    }

    /// Limits of one run: how many blocks to process (a probe of memory and time on a large
    /// model: the first blocks only, the rest left as they were) and the memory allowed.
    public struct Limits {
        /// Process only the first `blocks` blocks (nil: all).
        public var blocks: Int?
        /// Refuse to start when the plan's charged bytes exceed this (nil: the process budget).
        public var maxMemory: Int?
        /// Bytes a processed weight is stored in (for the plan; 0 when weights keep their size).
        public var outputBytesPerWeight = 0.0
        public init(blocks: Int? = nil, maxMemory: Int? = nil) { self.blocks = blocks; self.maxMemory = maxMemory }
    }

    /// Runs `process(name, projection, hessian)` for every projection of every block (in
    /// execution order). `hessian` is the f32 Hessian of the projection's input (full,
    /// symmetric) and the callee's to overwrite: projections of one group get copies, the last
    /// one the accumulator's own buffer, which is freed once the group is done.
    public static func run(_ model: DecoderModel, windows: [[Int]], limits: Limits = Limits(), log: (String) -> Void,
                           process: (String, Projection, inout [Float]) throws -> Void) throws {
        try runBlocks(model, windows: windows, hessians: true, limits: limits, log: log,
                      statistic: { try HessianAccumulator(cols: $0) }, observe: { $0.add($1.floats, rows: $1.shape[0]) },
                      processGroup: { group, acc in
                          for (k, (name, p)) in group.enumerated() {
                              var h = k == group.count - 1 ? acc.takeHessian() : acc.hessianF32()
                              try process(name, p, &h)
                          }
                      })
    }

    /// The loop every driver shares: for each block, a statistic per input group is made with
    /// `statistic(columns)`, fed every input row block (`observe`) while the windows go through
    /// the block, handed to `process` with each projection of the group, and then the processed
    /// block makes the next block's inputs (each window's state replaced in place).
    static func runBlocks<Statistic>(_ model: DecoderModel, windows: [[Int]], hessians: Bool, limits: Limits = Limits(), log: (String) -> Void,
                                     statistic: (Int) throws -> Statistic, observe: @escaping (inout Statistic, Tensor) -> Void,
                                     process: (String, Projection, Statistic) throws -> Void) throws {
        try runBlocks(model, windows: windows, hessians: hessians, limits: limits, log: log, statistic: statistic, observe: observe,
                      processGroup: { group, value in for (name, p) in group { try process(name, p, value) } })
    }

    /// `runBlocks` with the group's statistic handed over whole (`processGroup`); it is freed
    /// as soon as its group is done, before the next group is processed.
    static func runBlocks<Statistic>(_ model: DecoderModel, windows: [[Int]], hessians: Bool, limits: Limits, log: (String) -> Void,
                                     statistic: (Int) throws -> Statistic, observe: @escaping (inout Statistic, Tensor) -> Void,
                                     processGroup: ([(name: String, projection: Projection)], Statistic) throws -> Void) throws {
        guard !windows.isEmpty, windows.allSatisfy({ !$0.isEmpty }) else { throw CalibrationError.invalid("calibration: no token windows") }
        let blocks = min(limits.blocks ?? model.blockCount, model.blockCount)
        guard blocks > 0 else { throw CalibrationError.invalid("calibration: 'blocks' must be at least 1") }
        let tokens = windows[0].count
        let plan = CalibrationPlan(model, windows: windows.count, tokens: tokens, blocks: blocks, hessians: hessians,
                                   outputBytesPerWeight: limits.outputBytesPerWeight)
        let what = "calibration of \(windows.count) windows x \(tokens) tokens"
        if let cap = limits.maxMemory, plan.charged > cap {
            throw CalibrationError.invalid("\(what) needs about \(formatBytes(plan.charged)) beyond the model, over max_memory \(formatBytes(cap)); "
                + "use fewer or shorter windows, or raise max_memory")
        }
        do { try MemoryBudget.check(bytes: plan.charged, what: what) }
        catch let e as AllocationError { throw CalibrationError.invalid(e.description) }
        log("calibration: \(windows.count) windows x \(tokens) tokens, \(blocks) of \(model.blockCount) blocks; " + plan.summary(residentNow: ProcessMemory.resident))
        var states = try windows.map { try model.blockInput($0) }
        ProcessMemory.releaseMappedPages([model.embedTokens.weight.value])
        let start = Date()
        var last = start
        for b in 0..<blocks {
            let groups = model.blockProjections(b)
            let original = groups.flatMap { $0.map { $0.projection.weight.value } }
            let stats = try groups.map { g in StatisticBox<Statistic>(try statistic(g[0].projection.inFeatures)) }
            for (gi, g) in groups.enumerated() {
                g[0].projection.inputObserver = { x in
                    guard var v = stats[gi].value else { return }
                    stats[gi].value = nil
                    observe(&v, x)
                    stats[gi].value = v
                }
            }
            defer { for g in groups { g[0].projection.inputObserver = nil } }
            for x in states { _ = try model.runBlock(b, x) }
            for g in groups { g[0].projection.inputObserver = nil }
            let gathered = Date()
            for (gi, g) in groups.enumerated() {
                guard let v = stats[gi].value else { continue }
                stats[gi].value = nil
                try processGroup(g, v)
            }
            let processed = Date()
            for i in states.indices { states[i] = try model.runBlock(b, states[i]) }
            ProcessMemory.releaseMappedPages(original)
            let now = Date(), seconds = now.timeIntervalSince(last)
            let parts = String(format: "gather %.0f s, method %.0f s, forward %.0f s", gathered.timeIntervalSince(last),
                               processed.timeIntervalSince(gathered), now.timeIntervalSince(processed))
            last = now
            let rss = ProcessMemory.resident.map { String(format: "; RSS %.2f GB, peak %.2f GB", Double($0) / 1e9, Double(ProcessMemory.peakResident ?? 0) / 1e9) } ?? ""
            log(String(format: "calibration: block %d/%d done in %.0f s (%.0f calibration tokens/s; ", b + 1, blocks, seconds,
                       Double(windows.count * tokens) / max(seconds, 1e-9)) + parts + String(format: "; %.0f s in all", now.timeIntervalSince(start)) + rss + ")")
        }
    }

    /// A statistic the input observers (escaping closures) can update in place.
    final class StatisticBox<Value> {
        var value: Value?
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
                            limits: DecoderCalibration.Limits = .init(), log: (String) -> Void) throws -> [Row] {
        guard let g = GGMLType(name: grid.storedAs), let dtype = DType(ggml: g) else {
            throw CalibrationError.invalid("gptq: no tensor type for grid \(grid.name)")
        }
        for b in 0..<model.blockCount {
            for group in model.blockProjections(b) {
                for (name, p) in group where p.inFeatures % grid.blockSize != 0 {
                    throw CalibrationError.invalid("gptq: '\(name)' has rows of \(p.inFeatures), not a multiple of \(grid.name)'s block of \(grid.blockSize)")
                }
            }
        }
        var limits = limits
        limits.outputBytesPerWeight = Double(grid.blockBytes) / Double(grid.blockSize)
        var rows: [Row] = []
        try DecoderCalibration.run(model, windows: windows, limits: limits, log: log) { name, p, hessian in
            let start = Date()
            let out = p.outFeatures, k = p.inFeatures
            // The f32 copy of the weight lives only as long as the array is made from it.
            let w = try { () throws -> [Float] in
                let t = try p.weight.value.checkedF32()
                return Array(UnsafeBufferPointer(start: t.floats, count: t.count))
            }()
            let r = try GPTQ.quantize(w, rows: out, cols: k, hessian: &hessian, grid: grid, options: options)
            hessian = []
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
