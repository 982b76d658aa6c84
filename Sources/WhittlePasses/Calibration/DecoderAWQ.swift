import Foundation
import WhittleKernels
import WhittleNN
import WhittleTensor

/// AWQ on a decoder, block by block: each block's four scaling groups (norm -> q/k/v, v -> o,
/// norm -> gate/up, up -> down) get their input statistics from one pass of the calibration
/// states, a scale search, the scales folded in, clipping, and round-to-nearest onto the grid;
/// the processed block then makes the next block's inputs.
enum DecoderAWQ {
    /// One quantized projection.
    struct Row {
        let name: String
        /// Relative output error (Σ d H dᵀ / Σ w H wᵀ) with AWQ, and with plain round-to-nearest.
        let error: Double, rtnError: Double
        /// The scale ratio α of the projection's group.
        let ratio: Double
        let seconds: Double
    }

    /// A group of projections sharing an input, the op whose output feeds them, and which of
    /// them get clipped (not q/k: their errors pass through the softmax, as llm-awq does).
    struct Group {
        enum Previous { case norm(RMSNorm), rows(Projection) }
        let previous: Previous
        let layers: [(name: String, projection: Projection, clip: Bool)]
        let tie: [Int], scaleCount: Int
    }

    static func groups(_ p: DecoderBlockParts) -> [Group] {
        let id = { (k: Int) in Array(0..<k) }
        let h = p.q.inFeatures, f = p.down.inFeatures
        var g: [Group] = [Group(previous: .norm(p.attentionNorm),
                                layers: [(p.prefix + "self_attn.q_proj", p.q, false), (p.prefix + "self_attn.k_proj", p.k, false),
                                         (p.prefix + "self_attn.v_proj", p.v, true)], tie: id(h), scaleCount: h)]
        let vRows = p.kvHeads * p.headDim
        let oGroup = Group(previous: .rows(p.v), layers: [(p.prefix + "self_attn.o_proj", p.o, true)],
                           tie: ScaleFolding.headTie(heads: p.heads, kvHeads: p.kvHeads, headDim: p.headDim), scaleCount: vRows)
        // v -> o when the head layout is the one attention uses (GQA heads share v's rows).
        let tiesHeads = p.v.outFeatures == vRows && p.o.inFeatures == p.heads * p.headDim && p.heads % p.kvHeads == 0
        g.append(tiesHeads ? oGroup : Group(previous: .norm(p.attentionNorm), layers: [(p.prefix + "self_attn.o_proj", p.o, true)], tie: [], scaleCount: 0))
        g.append(Group(previous: .norm(p.mlpNorm), layers: [(p.prefix + "mlp.gate_proj", p.gate, true), (p.prefix + "mlp.up_proj", p.up, true)],
                       tie: id(h), scaleCount: h))
        g.append(Group(previous: .rows(p.up), layers: [(p.prefix + "mlp.down_proj", p.down, true)], tie: id(f), scaleCount: f))
        return g
    }

    /// Checks the model and the grid before any weight changes.
    static func validate(_ model: DecoderModel, grid: QuantGrid) throws {
        for b in 0..<model.blockCount {
            guard let parts = model.blockParts(b) else { throw CalibrationError.invalid("awq: block \(b) missing") }
            for g in groups(parts) {
                for l in g.layers where l.projection.inFeatures % grid.blockSize != 0 {
                    throw CalibrationError.invalid("awq: '\(l.name)' has rows of \(l.projection.inFeatures), not a multiple of \(grid.name)'s block of \(grid.blockSize)")
                }
            }
        }
    }

    /// Runs AWQ on every block; weights end as tensors in the grid's ggml type.
    static func run(_ model: DecoderModel, windows: [[Int]], grid: QuantGrid, options: AWQ.Options, log: (String) -> Void) throws -> [Row] {
        guard let gtype = GGMLType(name: grid.storedAs), let dtype = DType(ggml: gtype) else {
            throw CalibrationError.invalid("awq: no tensor type for grid \(grid.name)")
        }
        try validate(model, grid: grid)
        guard !windows.isEmpty, windows.allSatisfy({ !$0.isEmpty }) else { throw CalibrationError.invalid("awq: no token windows") }
        let need = DecoderCalibration.plannedBytes(model, windows: windows.count, tokens: windows[0].count, hessians: true) * 2
        try MemoryBudget.check(bytes: need, what: "awq calibration of \(windows.count) windows x \(windows[0].count) tokens")
        log(String(format: "awq: %d windows x %d tokens, %d blocks, about %.0f MB beyond the model", windows.count, windows[0].count,
                   model.blockCount, Double(need) / 1e6))
        var states = try windows.map { try model.blockInput($0) }
        var rows: [Row] = []
        let start = Date()
        for b in 0..<model.blockCount {
            guard let parts = model.blockParts(b) else { break }
            let gs = groups(parts)
            let stats = try InputStatistics.collect(model, block: b, states: states, inputs: gs.map { $0.layers[0].projection }, hessians: true)
            // Search every group's scales on the original weights (as AutoAWQ does), then fold them all.
            var work: [ObjectIdentifier: [Float]] = [:]
            for g in gs { for l in g.layers { work[ObjectIdentifier(l.projection)] = try floats(l.projection.weight.value) } }
            var found: [(scales: [Float], colScales: [Float], ratio: Double, h: [Float])] = []
            for (gi, g) in gs.enumerated() {
                let k = g.layers[0].projection.inFeatures
                let h = (stats[gi].hessian?.hessian() ?? []).map { Float($0) }
                guard g.scaleCount > 0 else { found.append(([], [Float](repeating: 1, count: k), 0, h)); continue }
                var stacked: [Float] = []
                var total = 0
                for l in g.layers { stacked += work[ObjectIdentifier(l.projection)]!; total += l.projection.outFeatures }
                let r = AWQ.searchScales(stacked, rows: total, k: k, hessian: h, xMean: stats[gi].absMean, tie: g.tie,
                                         count: g.scaleCount, grid: grid, options: options)
                found.append((r.scales, g.tie.map { r.scales[$0] }, r.ratio, h))
            }
            for (gi, g) in gs.enumerated() where g.scaleCount > 0 {
                switch g.previous {
                case .norm(let n): try ScaleFolding.divideNorm(n, by: found[gi].scales)
                case .rows(let p): try ScaleFolding.divideRows(p, by: found[gi].scales)
                }
                for l in g.layers { try ScaleFolding.multiplyColumns(l.projection, by: found[gi].colScales) }
            }
            // Clip and round every projection, measuring errors on the scaled inputs x / s.
            for (gi, g) in gs.enumerated() {
                let k = g.layers[0].projection.inFeatures, s = found[gi].colScales
                var hs = found[gi].h
                for i in 0..<k { for j in 0..<k { hs[i * k + j] /= s[i] * s[j] } }
                for l in g.layers {
                    let t0 = Date()
                    let p = l.projection, out = p.outFeatures
                    let w = try floats(p.weight.value)
                    var q = l.clip && options.maxShrink > 0 ? AWQ.clip(w, rows: out, k: k, hessian: hs, grid: grid, options: options) : w
                    let t = try Tensor(zeros: [out, k], dtype: dtype)
                    q.withUnsafeMutableBufferPointer { AWQ.roundToGrid($0.baseAddress!, count: out * k, grid: grid, encodeInto: t.storage.bytes) }
                    let ref = AWQ.quadratic(w, rows: out, k: k, h: hs)
                    let err = AWQ.quadratic(zip(q, w).map { $0 - $1 }, rows: out, k: k, h: hs)
                    // The same tensor's plain round-to-nearest error, from the weights before AWQ.
                    var rtn = work[ObjectIdentifier(p)]!
                    rtn.withUnsafeMutableBufferPointer { AWQ.roundToGrid($0.baseAddress!, count: out * k, grid: grid) }
                    let orig = work[ObjectIdentifier(p)]!
                    let rtnErr = AWQ.quadratic(zip(rtn, orig).map { $0 - $1 }, rows: out, k: k, h: found[gi].h)
                    let rtnRef = AWQ.quadratic(orig, rows: out, k: k, h: found[gi].h)
                    p.weight.value = t
                    rows.append(Row(name: l.name, error: ref > 0 ? err / ref : 0, rtnError: rtnRef > 0 ? rtnErr / rtnRef : 0,
                                    ratio: found[gi].ratio, seconds: Date().timeIntervalSince(t0)))
                }
            }
            states = try states.map { try model.runBlock(b, $0) }
            log(String(format: "awq: block %d/%d done (%.0f s; ratios %@)", b + 1, model.blockCount, Date().timeIntervalSince(start),
                       found.map { String(format: "%.2f", $0.ratio) }.joined(separator: " ")))
        }
        return rows
    }

    static func floats(_ t: Tensor) throws -> [Float] {
        let f = try t.checkedF32()
        return Array(UnsafeBufferPointer(start: f.floats, count: f.count))
    }
}
