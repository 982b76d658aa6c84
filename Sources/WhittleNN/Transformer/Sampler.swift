import Foundation
import WhittleTensor

/// Picks the next token from a row of logits: greedy at temperature 0, otherwise
/// temperature-scaled softmax restricted to the top k and then to the top-p nucleus, seeded.
public struct Sampler {
    /// 0 means greedy.
    public let temperature: Float
    /// Keep the k most likely tokens (0 = all).
    public let topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p (1 = all).
    public let topP: Float
    private var generator: SeededGenerator

    /// A sampler; throws on a negative temperature or k, or p outside (0, 1].
    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) throws {
        guard temperature >= 0, temperature.isFinite else { throw NNError.invalidArgument("temperature must be >= 0, got \(temperature)") }
        guard topK >= 0 else { throw NNError.invalidArgument("top_k must be >= 0, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw NNError.invalidArgument("top_p must be in (0, 1], got \(topP)") }
        (self.temperature, self.topK, self.topP) = (temperature, topK, topP)
        generator = SeededGenerator(seed: seed)
    }

    /// The index of the largest logit (the first on ties).
    public static func argmax(_ logits: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for i in 1..<max(n, 1) where logits[i] > logits[best] { best = i }
        return best
    }

    /// The next token for `logits` (n values).
    public mutating func sample(_ logits: UnsafePointer<Float>, _ n: Int) -> Int {
        if temperature == 0 || topK == 1 { return Sampler.argmax(logits, n) }
        var order = Array(0..<n)
        order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        if topK > 0 && topK < n { order.removeLast(n - topK) }
        let top = logits[order[0]]
        var probs = order.map { Double(expf((logits[$0] - top) / temperature)) }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        if topP < 1 {
            var cum = 0.0, keep = probs.count
            for (i, p) in probs.enumerated() {
                cum += p
                if cum >= Double(topP) { keep = i + 1; break }
            }
            probs.removeLast(probs.count - keep)
            order.removeLast(order.count - keep)
        }
        let r = Double(generator.next() >> 11) / Double(1 << 53) * probs.reduce(0, +)
        var acc = 0.0
        for (i, p) in probs.enumerated() {
            acc += p
            if r < acc { return order[i] }
        }
        return order[order.count - 1]
    }
}

/// Token-by-token generation with a KV cache: one batched prefill, then one-token steps.
public struct Generator {
    /// Why generation stopped.
    public enum Stop: String, Sendable { case maxTokens = "max_tokens", endOfText = "eos", context = "context" }

    /// Generates up to `maxTokens` tokens after `prompt`, calling `onToken` with each (return false to stop);
    /// stops at a token in `stopTokens` (not emitted) or at the context limit.
    public static func run(_ model: DecoderModel, prompt: [Int], maxTokens: Int, sampler: inout Sampler,
                           stopTokens: Set<Int> = [], onToken: (Int) -> Bool = { _ in true }) throws -> (tokens: [Int], stop: Stop) {
        guard !prompt.isEmpty else { throw NNError.invalidArgument("generate: empty prompt (no tokens)") }
        guard maxTokens >= 0 else { throw NNError.invalidArgument("generate: max_tokens must be >= 0, got \(maxTokens)") }
        guard prompt.count <= model.spec.maxContext else {
            throw NNError.invalidArgument("prompt of \(prompt.count) tokens exceeds the model's context of \(model.spec.maxContext)")
        }
        let cache = model.makeCache()
        var out: [Int] = []
        if maxTokens == 0 { return (out, .maxTokens) }
        var logits = try model.forward(ids: prompt, cache: cache, lastOnly: true)
        while true {
            let next = sampler.sample(logits.floats, model.spec.vocab)
            if stopTokens.contains(next) { return (out, .endOfText) }
            out.append(next)
            if !onToken(next) || out.count >= maxTokens { return (out, .maxTokens) }
            if cache.length >= model.spec.maxContext { return (out, .context) }
            logits = try model.forward(ids: [next], cache: cache, lastOnly: true)
        }
    }
}
