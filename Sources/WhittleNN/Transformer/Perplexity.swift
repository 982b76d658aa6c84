import Foundation
import WhittleTensor

/// Perplexity as llama.cpp's `llama-perplexity` computes it: the tokens are cut into chunks of
/// `ctx`; each chunk is run from an empty cache (its first token replaced by BOS when the model
/// adds one); the second half of each chunk is scored; ppl = exp(mean NLL) ± ppl·sqrt(var/(count-1)).
public struct PerplexityResult: Sendable {
    /// exp(mean negative log-likelihood).
    public let perplexity: Double
    /// llama.cpp's ± figure: ppl · standard error of the mean NLL.
    public let error: Double
    /// Tokens scored.
    public let scoredTokens: Int
    /// Chunks run.
    public let chunks: Int
    /// Running perplexity after each chunk (what llama-perplexity prints as [i]ppl).
    public let perChunk: [Double]
}

/// llama.cpp's perplexity method over a decoder.
public enum Perplexity {
    /// Scores `tokens` (already tokenized, with BOS if the model adds one) in chunks of `ctx`;
    /// `chunks` limits the count (nil = all); `bos` replaces each chunk's first token.
    public static func compute(_ model: DecoderModel, tokens: [Int], ctx: Int, chunks: Int? = nil, bos: Int? = nil,
                               progress: ((Int, Int, Double) -> Void)? = nil) throws -> PerplexityResult {
        guard ctx >= 4 else { throw NNError.invalidArgument("perplexity: ctx must be at least 4, got \(ctx)") }
        guard ctx <= model.spec.maxContext else {
            throw NNError.invalidArgument("perplexity: ctx \(ctx) exceeds the model's context of \(model.spec.maxContext)")
        }
        guard tokens.count >= 2 * ctx else {
            throw NNError.invalidArgument("perplexity: the text has \(tokens.count) tokens; a context of \(ctx) needs at least \(2 * ctx)")
        }
        if let c = chunks, c <= 0 { throw NNError.invalidArgument("perplexity: chunks must be positive, got \(c)") }
        let available = tokens.count / ctx
        let n = min(chunks ?? available, available)
        let first = ctx / 2, vocab = model.spec.vocab
        var nll = 0.0, nll2 = 0.0, count = 0
        var running: [Double] = []
        for c in 0..<n {
            var window = Array(tokens[(c * ctx)..<((c + 1) * ctx)])
            if let bos { window[0] = bos }
            let logits = try model.forward(ids: window, cache: model.makeCache(), outputsFrom: first)
            for i in first..<(ctx - 1) {
                let row = logits.floats + (i - first) * vocab
                let target = tokens[c * ctx + i + 1]
                guard target >= 0 && target < vocab else { throw NNError.invalidArgument("token id \(target) is out of range for a vocabulary of \(vocab)") }
                let v = VectorMath.logSumExp(row, vocab) - Double(row[target])
                nll += v
                nll2 += v * v
            }
            count += ctx - first - 1
            running.append(exp(nll / Double(count)))
            progress?(c + 1, n, running[running.count - 1])
        }
        let mean = nll / Double(count)
        var variance = nll2 / Double(count) - mean * mean
        let ppl = exp(mean)
        variance = variance > 0 ? (variance / Double(count - 1)).squareRoot() : 0
        return PerplexityResult(perplexity: ppl, error: variance * ppl, scoredTokens: count, chunks: n, perChunk: running)
    }
}
