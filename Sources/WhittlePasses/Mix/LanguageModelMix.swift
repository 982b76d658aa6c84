import Foundation
import WhittleKernels
import WhittleNN
import WhittleTensor

/// `quantize.mix`: a ggml type per projection so that the projections average at most `bpw` bits
/// per weight, chosen by measured sensitivity on calibration windows.
///
/// For every projection and every candidate type t, the output error on the calibration data,
/// E(t) = ‖(Q_t(W) − W)·Xᵀ‖² = tr(ΔW H ΔWᵀ) with H = Σ x xᵀ over the windows' inputs, is computed
/// exactly (weights quantized by ggml's own quantizers, with the windows' Σx² per column as the
/// importance, as llama-imatrix would give). E ranks types within a tensor but not across tensors:
/// a unit of error in layer 3's v_proj and in layer 28's down_proj costs the output differently. So,
/// on `klWindows` of the windows, the model's KL divergence from itself is measured with only that
/// tensor quantized to its cheapest candidate (the later blocks rerun from the cached input of its
/// block), and each tensor's predicted KL for type t is KL(cheapest)·E(t)/E(cheapest). A greedy
/// knapsack (`MixAllocation`) then spends the bit budget where the predicted KL drops most per bit.
/// With klWindows = 0 the cost is the relative output error E(t)/‖W·Xᵀ‖² alone (no KL runs).
public enum LanguageModelMix {
    /// The user's choices.
    public struct Options: Sendable {
        /// Average bits per weight over the projections.
        public var bpw = 4.5
        /// Candidate ggml types (after each tensor's shape fallback).
        public var candidates: [GGMLType]
        /// Windows on which the per-tensor KL is measured (0: output error only).
        public var klWindows = 2
        /// Leading tokens of each KL window used (the second half of them scored): the KL runs are
        /// the plan's main cost, about 0.6 of a forward over klTokens per window and tensor.
        public var klTokens = 128
        /// Quantize with the calibration Σx² as importance (llama-imatrix's definition).
        public var importance = true
        /// An empty default: the default candidates, 4.5 bpw.
        public init() { candidates = (try? MixCandidates.parse(MixCandidates.defaultNames)) ?? [.q4_0, .q8_0] }
    }

    /// One candidate of one tensor as measured.
    public struct Candidate: Sendable {
        public let type: GGMLType
        public let bpw: Double
        /// Output error tr(ΔW H ΔWᵀ) on the calibration windows (H = Σ x xᵀ, unnormalised).
        public let error: Double
        /// The cost the allocation minimises (predicted KL, or relative error with klWindows = 0).
        public let cost: Double
    }

    /// One projection's measurements and choice.
    public struct Entry: Sendable {
        public let name: String
        public let block: Int
        public let rows: Int, cols: Int
        public let candidates: [Candidate]
        /// KL measured with this tensor alone at its cheapest candidate (nil with klWindows = 0).
        public let measuredKL: Double?
        /// Σx² per input column (the importance used to quantize).
        let importance: [Float]
        /// Index into `candidates` once allocated.
        public internal(set) var chosen = 0
        /// The chosen candidate.
        public var choice: Candidate { candidates[chosen] }
        /// Elements.
        public var count: Int { rows * cols }
    }

    /// The chosen types and their size.
    public struct Plan: Sendable {
        public internal(set) var entries: [Entry]
        public let budgetBPW: Double
        public let seconds: Double
        /// Bits of all mixed tensors as stored.
        public var bits: Double { entries.reduce(0) { $0 + $1.choice.bpw * Double($1.count) } }
        /// Weights in the mixed tensors.
        public var weights: Int { entries.reduce(0) { $0 + $1.count } }
        /// Achieved bits per weight.
        public var bpw: Double { weights > 0 ? bits / Double(weights) : 0 }
        /// Bytes of the mixed tensors.
        public var bytes: Int { entries.reduce(0) { $0 + ($1.choice.type.rowBytes($1.cols) ?? 0) * $1.rows } }
        /// Sum of the chosen costs (the allocation's objective).
        public var predictedCost: Double { entries.reduce(0) { $0 + $1.choice.cost } }
        /// Tensors per chosen type, most bits first.
        public var typeCounts: [(type: GGMLType, tensors: Int, weights: Int)] {
            var d: [GGMLType: (Int, Int)] = [:]
            for e in entries { let c = d[e.choice.type] ?? (0, 0); d[e.choice.type] = (c.0 + 1, c.1 + e.count) }
            return d.map { ($0.key, $0.value.0, $0.value.1) }.sorted { MixCandidates.bitsPerWeight($0.type) > MixCandidates.bitsPerWeight($1.type) }
        }

        /// The plan as a table: one line per tensor, then `summary`.
        public var description: String {
            // Padded by hand: %s in String(format:) wants a C string, not a Swift String.
            func pad(_ t: String, _ n: Int) -> String { t.padding(toLength: max(n, t.count), withPad: " ", startingAt: 0) }
            var s = pad("tensor", 37) + pad("type", 8) + "   bpw         cost        error\n"
            for e in entries {
                s += pad(e.name, 37) + pad(e.choice.type.upperName, 8) + String(format: "%6.3f %12.4e %12.4e\n", e.choice.bpw, e.choice.cost, e.choice.error)
            }
            return s + summary
        }

        /// Tensors per type and the totals.
        public var summary: String {
            var s = ""
            for c in typeCounts {
                let name = c.type.upperName.padding(toLength: 7, withPad: " ", startingAt: 0)
                s += "  " + name + String(format: " %4d tensors, %5.1f%% of the weights\n", c.tensors, 100 * Double(c.weights) / Double(max(weights, 1)))
            }
            s += String(format: "quantize.mix: %d tensors, %d weights, %.4f bpw (budget %.3f), %.2f MB, predicted cost %.4e, planned in %.0f s",
                        entries.count, weights, bpw, budgetBPW, Double(bytes) / 1e6, predictedCost, seconds)
            return s
        }
    }

    /// Measures every projection and allocates the budget; no weight changes.
    public static func plan(_ model: DecoderModel, windows: [[Int]], options: Options, log: (String) -> Void) throws -> Plan {
        let start = Date()
        guard options.bpw.isFinite, options.bpw > 0 else { throw CalibrationError.invalid("quantize.mix: bpw must be positive, got \(options.bpw)") }
        guard !windows.isEmpty, windows.allSatisfy({ $0.count >= 4 }) else {
            throw CalibrationError.invalid("quantize.mix: calibration needs windows of at least 4 tokens")
        }
        guard options.klWindows >= 0, options.klWindows <= windows.count else {
            throw CalibrationError.invalid("quantize.mix: kl_windows is \(options.klWindows) but there are \(windows.count) calibration windows")
        }
        // Every tensor must have a candidate before anything runs.
        for b in 0..<model.blockCount {
            for group in model.blockProjections(b) {
                for (name, p) in group where MixCandidates.options(options.candidates, rowLength: p.inFeatures).isEmpty {
                    throw CalibrationError.invalid("quantize.mix: no candidate type fits '\(name)' (rows of \(p.inFeatures))")
                }
            }
        }
        let need = DecoderCalibration.plannedBytes(model, windows: windows.count, tokens: windows[0].count, hessians: true)
        try MemoryBudget.check(bytes: need, what: "quantize.mix calibration of \(windows.count) windows x \(windows[0].count) tokens")
        log(String(format: "quantize.mix: %d windows x %d tokens (KL on %d), %d blocks, about %.0f MB beyond the model",
                   windows.count, windows[0].count, options.klWindows, model.blockCount, Double(need) / 1e6))
        guard options.klTokens >= 4 else { throw CalibrationError.invalid("quantize.mix: kl_tokens must be at least 4, got \(options.klTokens)") }
        let klTokens = min(options.klTokens, windows.map(\.count).min() ?? 0)
        // Causal attention: the first klTokens rows of a window's states are the states of its first klTokens tokens.
        let klWindows = windows.prefix(options.klWindows).map { Array($0.prefix(klTokens)) }
        let references = try klWindows.map { try Divergence.baseLogProbs(model, window: $0) }
        var states = try windows.map { try model.blockInput($0) }
        var entries: [Entry] = []
        for b in 0..<model.blockCount {
            let groups = model.blockProjections(b)
            var accumulators = try groups.map { g in try HessianAccumulator(cols: g[0].projection.inFeatures) }
            for (gi, g) in groups.enumerated() {
                g[0].projection.inputObserver = { x in accumulators[gi].add(x.floats, rows: x.shape[0]) }
            }
            let next: [Tensor]
            do {
                defer { for g in groups { g[0].projection.inputObserver = nil } }
                next = try states.map { try model.runBlock(b, $0) }
            }
            for (gi, g) in groups.enumerated() {
                let h = accumulators[gi].hessian().map { Float($0) }
                for (name, p) in g {
                    entries.append(try measure(model, name: name, block: b, projection: p, hessian: h, options: options,
                                               klStates: try states.prefix(klWindows.count).map { try leadingRows($0, klTokens) },
                                               klWindows: klWindows, references: references))
                }
            }
            states = next
            log(String(format: "quantize.mix: block %d/%d measured (%.0f s)", b + 1, model.blockCount, Date().timeIntervalSince(start)))
        }
        let budget = options.bpw * Double(entries.reduce(0) { $0 + $1.count })
        let picks = try MixAllocation.allocate(entries.map { e in e.candidates.map { (bits: $0.bpw * Double(e.count), cost: $0.cost) } }, budget: budget)
        for i in entries.indices { entries[i].chosen = picks[i] }
        return Plan(entries: entries, budgetBPW: options.bpw, seconds: Date().timeIntervalSince(start))
    }

    /// The first `n` rows of a (tokens, hidden) tensor.
    static func leadingRows(_ x: Tensor, _ n: Int) throws -> Tensor {
        guard n < x.shape[0] else { return x }
        let t = try Tensor(zeros: [n, x.shape[1]])
        t.floats.update(from: x.floats, count: n * x.shape[1])
        return t
    }

    /// One projection: the output error of every candidate, and the KL of the cheapest.
    static func measure(_ model: DecoderModel, name: String, block: Int, projection p: Projection, hessian h: [Float], options: Options,
                        klStates: [Tensor], klWindows: [[Int]], references: [BaseLogProbs]) throws -> Entry {
        let w = try p.weight.value.checkedF32()
        let rows = p.outFeatures, cols = p.inFeatures
        // H is 2/n·Σ x xᵀ: its diagonal is proportional to llama-imatrix's Σx² per column.
        let importance = (0..<cols).map { h[$0 * cols + $0] }
        let types = MixCandidates.options(options.candidates, rowLength: cols)
        let energy = outputError(w.floats, nil, rows: rows, cols: cols, hessian: h)
        var errors: [Double] = []
        var cheapest: Tensor?
        for t in types {
            let q = try quantized(w, type: t, importance: options.importance ? importance : nil)
            let deq = try q.checkedF32()
            errors.append(outputError(deq.floats, w.floats, rows: rows, cols: cols, hessian: h))
            if cheapest == nil { cheapest = q }
        }
        var measured: Double?
        if !klWindows.isEmpty, let q = cheapest {
            let original = p.weight.value
            p.weight.value = q
            defer { p.weight.value = original }
            var stats = DivergenceStats()
            for (j, ids) in klWindows.enumerated() {
                let first = ids.count / 2
                let logits = try model.tailLogits(from: block, klStates[j], outputsFrom: first)
                for r in 0..<references[j].rows {
                    stats.add(logits: logits.floats + r * references[j].vocab, base: references[j], row: r, token: ids[first + r + 1])
                }
            }
            measured = stats.meanKLD
        }
        let candidates = types.enumerated().map { i, t -> Candidate in
            let cost: Double
            if let kl = measured {
                cost = errors[0] > 0 ? max(kl, 0) * errors[i] / errors[0] : 0
            } else {
                cost = energy > 0 ? errors[i] / energy : 0
            }
            return Candidate(type: t, bpw: MixCandidates.bitsPerWeight(t), error: errors[i], cost: cost)
        }
        return Entry(name: name, block: block, rows: rows, cols: cols, candidates: candidates, measuredKL: measured, importance: importance)
    }

    /// `w` (f32, rows × cols) in ggml type `type`, as a tensor of that dtype.
    static func quantized(_ w: Tensor, type: GGMLType, importance: [Float]?) throws -> Tensor {
        guard let dtype = DType(ggml: type) else { throw CalibrationError.invalid("quantize.mix: no tensor type for \(type.upperName)") }
        let rows = w.shape[0], cols = w.shape[1]
        let q = try Tensor(zeros: [rows, cols], dtype: dtype)
        if let importance {
            try importance.withUnsafeBufferPointer {
                try GGMLCodec.quantize(type, w.floats, q.storage.bytes, count: rows * cols, rowLength: cols, importance: $0.baseAddress)
            }
        } else {
            try GGMLCodec.quantize(type, w.floats, q.storage.bytes, count: rows * cols, rowLength: cols)
        }
        return q
    }

    /// tr(D H Dᵀ) for D = a − b (or a alone when b is nil), a and b rows × cols, H cols × cols.
    static func outputError(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, rows: Int, cols: Int, hessian h: [Float]) -> Double {
        var d = [Float](repeating: 0, count: rows * cols)
        for i in 0..<(rows * cols) { d[i] = a[i] - (b?[i] ?? 0) }
        var dh = [Float](repeating: 0, count: rows * cols)
        d.withUnsafeBufferPointer { dp in
            h.withUnsafeBufferPointer { hp in
                dh.withUnsafeMutableBufferPointer { out in
                    GEMM.sgemm(m: rows, n: cols, k: cols, a: dp.baseAddress!, lda: cols, b: hp.baseAddress!, ldb: cols, c: out.baseAddress!, ldc: cols)
                }
            }
        }
        var s = 0.0
        for i in 0..<(rows * cols) { s += Double(d[i] * dh[i]) }
        return s
    }

    /// Replaces every planned projection's weight by its chosen type (quantized as measured).
    public static func apply(_ plan: Plan, to model: DecoderModel, options: Options) throws {
        var byName: [String: Projection] = [:]
        for b in 0..<model.blockCount { for g in model.blockProjections(b) { for (n, p) in g { byName[n] = p } } }
        var replacements: [(Projection, Tensor)] = []
        for e in plan.entries {
            guard let p = byName[e.name] else { throw CalibrationError.invalid("quantize.mix: the model has no projection '\(e.name)'") }
            let w = try p.weight.value.checkedF32()
            replacements.append((p, try quantized(w, type: e.choice.type, importance: options.importance ? e.importance : nil)))
        }
        // Only once every tensor is ready: a failure above leaves the model untouched.
        for (p, t) in replacements { p.weight.value = t }
    }
}
