import Foundation
import WhittleTensor

/// One chunk's base-model log-probabilities as `llama-perplexity --kl-divergence-base` stores them:
/// per scored position a scale, the smallest kept log-probability and one u16 per vocabulary entry
/// over the 16 nats below the top logit (lower ones clamp to the minimum). Comparing against these
/// rather than the f32 logits is what makes Whittle's figures llama.cpp's own.
public struct BaseLogProbs: Sendable {
    /// Positions stored (the scored second half of a chunk).
    public let rows: Int
    /// Vocabulary size.
    public let vocab: Int
    /// Per row: (logit range)/65535.
    var scales: [Float]
    /// Per row: the log-probability that code 0 stands for.
    var minLogProbs: [Float]
    /// rows × vocab codes.
    var codes: [UInt16]

    /// Quantizes `rows` logit rows of length `vocab`, as llama.cpp's base pass does.
    public init(logits: UnsafePointer<Float>, rows: Int, vocab: Int) {
        self.rows = rows
        self.vocab = vocab
        scales = [Float](repeating: 0, count: rows)
        minLogProbs = [Float](repeating: 0, count: rows)
        codes = [UInt16](repeating: 0, count: rows * vocab)
        guard rows > 0, vocab > 0 else { return }
        codes.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows {
                let (s, m) = BaseLogProbs.quantize(logits + r * vocab, vocab, out.baseAddress! + r * vocab)
                scales[r] = s
                minLogProbs[r] = m
            }
        }
    }

    /// llama.cpp's `log_softmax(n_vocab, logits, log_prob, tok)` of the base run; returns (scale, min log-prob).
    static func quantize(_ logits: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutablePointer<UInt16>) -> (Float, Float) {
        var maxLogit = logits[0], minLogit = logits[0]
        for i in 1..<n {
            maxLogit = max(maxLogit, logits[i])
            minLogit = min(minLogit, logits[i])
        }
        minLogit = max(minLogit, maxLogit - 16)
        var sumExp = 0.0
        for i in 0..<n { sumExp += Double(expf(logits[i] - maxLogit)) }
        let logSumExp = Float(log(sumExp))
        let minLogProb = minLogit - maxLogit - logSumExp
        let scale = (maxLogit - minLogit) / 65535
        if scale != 0 {
            let inv = 1 / scale
            // ggml's nearest_int: round half to even through the float magic number.
            for i in 0..<n { out[i] = logits[i] > minLogit ? UInt16(clamping: Int((inv * (logits[i] - minLogit)).rounded(.toNearestOrEven))) : 0 }
        } else {
            out.update(repeating: 0, count: n)
        }
        return (scale, minLogProb)
    }

    /// Bytes held.
    public var bytes: Int { codes.count * 2 + rows * 8 }
}

/// Running sums of llama.cpp's `kl_divergence_result`, plus every token's KLD and Δp for the percentiles.
public struct DivergenceStats: Sendable {
    var sumNLL = 0.0, sumNLL2 = 0.0, sumNLLBase = 0.0, sumNLLBase2 = 0.0, sumNLLNLLBase = 0.0
    var sumKLD = 0.0, sumKLD2 = 0.0, sumPDiff = 0.0, sumPDiff2 = 0.0, sumPDiff4 = 0.0
    var maxPDiff: Float = 0
    var sameTop = 0
    /// Tokens compared.
    public private(set) var count = 0
    /// KL(base‖model) of every token compared, in order.
    public private(set) var kldValues: [Float] = []
    /// p(target) − p_base(target) of every token compared, in order.
    public private(set) var pDiffValues: [Float] = []

    /// An empty accumulator.
    public init() {}

    /// Mean KL(base‖model) per token so far (0 before any token).
    public var meanKLD: Double { count > 0 ? sumKLD / Double(count) : 0 }

    /// Adds one position: `logits` is the model's row, `row` the base's stored row, `token` the next token.
    /// The arithmetic (float vs double at each step) is llama.cpp's `log_softmax(..., kld)`.
    public mutating func add(logits: UnsafePointer<Float>, base: BaseLogProbs, row: Int, token: Int) {
        let n = base.vocab
        var maxLogit = logits[0]
        var imax = 0
        for i in 1..<n where logits[i] > maxLogit {
            maxLogit = logits[i]
            imax = i
        }
        var sumExp = 0.0
        for i in 0..<n { sumExp += Double(expf(logits[i] - maxLogit)) }
        let logSumExp = Float(log(sumExp))
        let scale = base.scales[row], minLogProb = base.minLogProbs[row]
        let nll = maxLogit + logSumExp - logits[token]
        sumNLL += Double(nll)
        sumNLL2 += Double(nll * nll)
        let (nllBase, sum, imaxBase): (Float, Double, Int) = base.codes.withUnsafeBufferPointer { all in
            let codes = all.baseAddress! + row * n
            let nllBase = -(scale * Float(codes[token]) + minLogProb)
            let top = maxLogit + logSumExp
            var sum = 0.0
            var imaxBase = -1
            var pLogBaseMax: Float = 0
            for i in 0..<n {
                let pLogBase = scale * Float(codes[i]) + minLogProb
                if i == 0 || pLogBase > pLogBaseMax {
                    pLogBaseMax = pLogBase
                    imaxBase = i
                }
                if pLogBase > -16 {
                    let pBase = expf(pLogBase)
                    sum += Double(pBase * (pLogBase - logits[i] + top))
                }
            }
            return (nllBase, sum, imaxBase)
        }
        sumNLLBase += Double(nllBase)
        sumNLLBase2 += Double(nllBase * nllBase)
        sumNLLNLLBase += Double(nll * nllBase)
        sumKLD += sum
        sumKLD2 += sum * sum
        count += 1
        if imax == imaxBase { sameTop += 1 }
        let pDiff = expf(-nll) - expf(-nllBase)
        sumPDiff += Double(pDiff)
        let pDiff2 = Double(pDiff * pDiff)
        sumPDiff2 += pDiff2
        sumPDiff4 += pDiff2 * pDiff2
        maxPDiff = max(maxPDiff, abs(pDiff))
        kldValues.append(Float(sum))
        pDiffValues.append(pDiff)
    }

    /// llama.cpp's mean_and_uncertainty: the mean and the standard error of the mean (0 for ≤ 10 values).
    static func meanAndError(_ sum: Double, _ sum2: Double, _ count: Int) -> (Double, Double) {
        guard count >= 1 else { return (0, 0) }
        let f = sum / Double(count)
        let df = sum2 / Double(count) - f * f
        return (f, df > 0 && count > 10 ? (df / Double(count - 1)).squareRoot() : 0)
    }

    /// The figures llama-perplexity prints, from the sums so far.
    public func result(chunks: Int) -> DivergenceResult {
        let logPPL = Self.meanAndError(sumNLL, sumNLL2, count)
        let logBase = Self.meanAndError(sumNLLBase, sumNLLBase2, count)
        let cov = count < 10 ? 0 : (sumNLLNLLBase / Double(count) - (sumNLL / Double(count)) * (sumNLLBase / Double(count))) / Double(count - 1)
        let ratio = logPPL.0 - logBase.0
        let ratioErr = (logPPL.1 * logPPL.1 + logBase.1 * logBase.1 - 2 * cov).squareRoot()
        let ppl = exp(logPPL.0), pplBase = exp(logBase.0)
        let pplErr = ppl * logPPL.1, pplBaseErr = pplBase * logBase.1
        let kld = Self.meanAndError(sumKLD, sumKLD2, count)
        let dp = Self.meanAndError(sumPDiff, sumPDiff2, count)
        let mse = Self.meanAndError(sumPDiff2, sumPDiff4, count)
        let rms = mse.0.squareRoot()
        let top = count > 0 ? Double(sameTop) / Double(count) : 0
        let topErr = count > 1 ? (top * (1 - top) / Double(count - 1)).squareRoot() : 0
        return DivergenceResult(
            chunks: chunks, tokens: count, ppl: ppl, pplError: pplErr, pplBase: pplBase, pplBaseError: pplBaseErr,
            correlation: cov / (logPPL.1 * logBase.1), logPPLRatio: ratio, logPPLRatioError: ratioErr,
            pplRatio: exp(ratio), pplRatioError: exp(ratio) * ratioErr,
            pplDiff: ppl - pplBase, pplDiffError: (pplErr * pplErr + pplBaseErr * pplBaseErr - 2 * ppl * pplBase * cov).squareRoot(),
            kld: kld.0, kldError: kld.1, kldQuantiles: Self.quantiles(kldValues, DivergenceResult.kldFractions),
            meanPDiff: dp.0, meanPDiffError: dp.1, pDiffQuantiles: Self.quantiles(pDiffValues, DivergenceResult.pDiffFractions),
            rmsPDiff: rms, rmsPDiffError: rms > 0 ? 0.5 / rms * mse.1 : 0, top1: top, top1Error: topErr)
    }

    /// llama.cpp's percentile (linear between order statistics) at each fraction; 0.5 is its median
    /// (mean of the two middle values for an even count). Empty for no values.
    public static func quantiles(_ values: [Float], _ fractions: [Double]) -> [Double] {
        guard !values.isEmpty else { return [] }
        let v = values.sorted()
        return fractions.map { f in
            if f == 0.5 {
                return v.count % 2 == 0 ? Double(0.5 * (v[v.count / 2] + v[v.count / 2 - 1])) : Double(v[v.count / 2])
            }
            if f <= 0 { return Double(v[0]) }
            if f >= 1 { return Double(v[v.count - 1]) }
            var p = Float(f) * Float(v.count - 1)
            let ip = Int(p)
            p -= Float(ip)
            return Double((1 - p) * v[ip] + p * v[min(ip + 1, v.count - 1)])
        }
    }
}

/// llama-perplexity --kl-divergence's figures: perplexities of both models on the same tokens, their
/// ratio, KL(base‖model) per token, Δp = p(token) − p_base(token) and top-1 agreement, each with its ± error.
public struct DivergenceResult: Sendable {
    /// The KLD quantiles reported, in `kldQuantiles` order (1 = maximum, 0 = minimum, 0.5 = median).
    public static let kldFractions: [Double] = [1, 0.999, 0.99, 0.95, 0.9, 0.5, 0.1, 0.05, 0.01, 0.001, 0]
    /// The Δp quantiles reported, in `pDiffQuantiles` order.
    public static let pDiffFractions: [Double] = [1, 0.999, 0.99, 0.95, 0.9, 0.75, 0.5, 0.25, 0.1, 0.05, 0.01, 0.001, 0]

    public let chunks: Int, tokens: Int
    /// Perplexity of the model, and of the base (from its stored log-probabilities).
    public let ppl: Double, pplError: Double, pplBase: Double, pplBaseError: Double
    /// Correlation of the two models' per-token log-likelihood means.
    public let correlation: Double
    /// ln(PPL(Q)/PPL(base)) and PPL(Q)/PPL(base).
    public let logPPLRatio: Double, logPPLRatioError: Double, pplRatio: Double, pplRatioError: Double
    /// PPL(Q) − PPL(base).
    public let pplDiff: Double, pplDiffError: Double
    /// Mean KL(base‖model) per token.
    public let kld: Double, kldError: Double
    /// KLD at `kldFractions` (empty when no tokens).
    public let kldQuantiles: [Double]
    /// Mean Δp (a fraction, not %).
    public let meanPDiff: Double, meanPDiffError: Double
    /// Δp at `pDiffFractions`.
    public let pDiffQuantiles: [Double]
    /// RMS of Δp (a fraction).
    public let rmsPDiff: Double, rmsPDiffError: Double
    /// Share of positions whose argmax is the base's (a fraction).
    public let top1: Double, top1Error: Double

    /// KLD at fraction `f` if reported.
    public func kldQuantile(_ f: Double) -> Double? {
        Self.kldFractions.firstIndex(of: f).flatMap { $0 < kldQuantiles.count ? kldQuantiles[$0] : nil }
    }

    /// The per-chunk line llama-perplexity prints (chunk, PPL, ln ratio, KLD, Δp RMS, same top).
    public func chunkLine() -> String {
        String(format: "%4d    %9.4f ± %9.4f    %10.5f ± %10.5f    %10.5f ± %10.5f    %6.3f ± %6.3f %%    %6.3f ± %6.3f %%",
               chunks, ppl, pplError, logPPLRatio, logPPLRatioError, kld, kldError, 100 * rmsPDiff, 100 * rmsPDiffError, 100 * top1, 100 * top1Error)
    }

    /// The header of `chunkLine`'s table.
    public static let chunkHeader = "chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS            Same top p"

    /// llama-perplexity's closing statistics blocks (perplexity, KL divergence, token probability).
    public func statisticsText() -> String {
        var s = "====== Perplexity statistics ======\n"
        s += String(format: "Mean PPL(Q)                   : %10.6f ± %10.6f\n", ppl, pplError)
        s += String(format: "Mean PPL(base)                : %10.6f ± %10.6f\n", pplBase, pplBaseError)
        s += String(format: "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100 * correlation)
        s += String(format: "Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f\n", logPPLRatio, logPPLRatioError)
        s += String(format: "Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f\n", pplRatio, pplRatioError)
        s += String(format: "Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f\n", pplDiff, pplDiffError)
        s += "\n====== KL divergence statistics ======\n"
        s += String(format: "Mean    KLD: %10.6f ± %10.6f\n", kld, kldError)
        let kNames = ["Maximum KLD", "99.9%   KLD", "99.0%   KLD", "95.0%   KLD", "90.0%   KLD", "Median  KLD",
                      "10.0%   KLD", " 5.0%   KLD", " 1.0%   KLD", " 0.1%   KLD", "Minimum KLD"]
        for (name, v) in zip(kNames, kldQuantiles) { s += name + String(format: ": %10.6f\n", v) }
        s += "\n====== Token probability statistics ======\n"
        s += String(format: "Mean    Δp: %6.3f ± %5.3f %%\n", 100 * meanPDiff, 100 * meanPDiffError)
        let pNames = ["Maximum Δp", "99.9%   Δp", "99.0%   Δp", "95.0%   Δp", "90.0%   Δp", "75.0%   Δp", "Median  Δp",
                      "25.0%   Δp", "10.0%   Δp", " 5.0%   Δp", " 1.0%   Δp", " 0.1%   Δp", "Minimum Δp"]
        for (name, v) in zip(pNames, pDiffQuantiles) { s += name + String(format: ": %6.3f%%\n", 100 * v) }
        s += String(format: "RMS Δp    : %6.3f ± %5.3f %%\n", 100 * rmsPDiff, 100 * rmsPDiffError)
        s += String(format: "Same top p: %6.3f ± %5.3f %%\n", 100 * top1, 100 * top1Error)
        return s
    }
}

/// llama-perplexity --kl-divergence over two decoders: the perplexity method's chunks (ctx tokens from
/// an empty cache, BOS first, the second half scored), the base's log-probabilities stored as llama.cpp
/// stores them, then every scored position of the model compared against them.
public enum Divergence {
    /// The chunk windows `Perplexity.compute` scores (validated the same way).
    public static func chunks(_ tokens: [Int], ctx: Int, chunks: Int?, maxContext: Int, bos: Int?) throws -> [[Int]] {
        guard ctx >= 4 else { throw NNError.invalidArgument("kl-divergence: ctx must be at least 4, got \(ctx)") }
        guard ctx <= maxContext else { throw NNError.invalidArgument("kl-divergence: ctx \(ctx) exceeds the model's context of \(maxContext)") }
        guard tokens.count >= 2 * ctx else {
            throw NNError.invalidArgument("kl-divergence: the text has \(tokens.count) tokens; a context of \(ctx) needs at least \(2 * ctx)")
        }
        if let c = chunks, c <= 0 { throw NNError.invalidArgument("kl-divergence: chunks must be positive, got \(c)") }
        let n = min(chunks ?? tokens.count / ctx, tokens.count / ctx)
        return (0..<n).map { c in
            var w = Array(tokens[(c * ctx)..<((c + 1) * ctx)])
            if let bos { w[0] = bos }
            return w
        }
    }

    /// The base log-probabilities of one window's scored half (positions ctx/2 ..< ctx−1).
    public static func baseLogProbs(_ base: DecoderModel, window: [Int]) throws -> BaseLogProbs {
        let first = window.count / 2
        let logits = try base.forward(ids: window, cache: base.makeCache(), outputsFrom: first)
        return BaseLogProbs(logits: logits.floats, rows: window.count - 1 - first, vocab: base.spec.vocab)
    }

    /// Adds one window of `model` against its stored base log-probabilities; `targets` are the window's
    /// true next tokens (the window before BOS replacement, shifted by one).
    public static func accumulate(_ model: DecoderModel, window: [Int], targets: [Int], base: BaseLogProbs, into stats: inout DivergenceStats) throws {
        guard model.spec.vocab == base.vocab else {
            throw NNError.invalidArgument("kl-divergence: the model's vocabulary (\(model.spec.vocab)) differs from the base's (\(base.vocab))")
        }
        let first = window.count / 2
        guard targets.count >= window.count, base.rows == window.count - 1 - first else {
            throw NNError.invalidArgument("kl-divergence: \(targets.count) targets and \(base.rows) base rows for a window of \(window.count) tokens")
        }
        let logits = try model.forward(ids: window, cache: model.makeCache(), outputsFrom: first)
        for r in 0..<base.rows {
            let target = targets[first + r + 1]
            guard target >= 0 && target < base.vocab else {
                throw NNError.invalidArgument("token id \(target) is out of range for a vocabulary of \(base.vocab)")
            }
            stats.add(logits: logits.floats + r * base.vocab, base: base, row: r, token: target)
        }
    }

    /// Compares `model` against `base` on `tokens` (with BOS when the model adds one); `progress` gets
    /// the running figures after each chunk (what llama-perplexity prints per chunk).
    public static func compute(base: DecoderModel, model: DecoderModel, tokens: [Int], ctx: Int, chunks: Int? = nil, bos: Int? = nil,
                               progress: ((DivergenceResult) -> Void)? = nil) throws -> DivergenceResult {
        guard base.spec.vocab == model.spec.vocab else {
            throw NNError.invalidArgument("kl-divergence: the base's vocabulary (\(base.spec.vocab)) differs from the model's (\(model.spec.vocab))")
        }
        let windows = try Self.chunks(tokens, ctx: ctx, chunks: chunks, maxContext: min(base.spec.maxContext, model.spec.maxContext), bos: bos)
        var stats = DivergenceStats()
        for (c, w) in windows.enumerated() {
            let ref = try baseLogProbs(base, window: w)
            try accumulate(model, window: w, targets: Array(tokens[(c * ctx)..<((c + 1) * ctx)]), base: ref, into: &stats)
            progress?(stats.result(chunks: c + 1))
        }
        return stats.result(chunks: windows.count)
    }
}
