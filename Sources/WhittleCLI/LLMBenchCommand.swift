import ArgumentParser
import Foundation
import WhittleKernels
import WhittleNN

/// `whittle llm-bench MODEL`: prompt processing and generation speed measured as llama.cpp's
/// `llama-bench` measures them, so the two tables can be read side by side.
struct LLMBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-bench",
        abstract: "Time a decoder model: prompt processing (ppN) and generation (tgN) in tokens/s, as llama-bench does.",
        discussion: """
        ppN runs N random token ids through the model in one batch from an empty KV cache (logits for
        the last token only); tgN decodes N tokens one at a time from an empty cache. Each test runs
        once untimed, then -r times; the table shows the mean tokens/s ± the standard deviation.
        Scripts/bench/llm runs this beside llama-bench on the same GGUF files and prints the ratios.
        Example:
          whittle llm-bench ~/.cache/whittle/models/SmolLM2-135M-Instruct.Q4_0.gguf -t 1,2
        """
    )

    @Argument(help: ArgumentHelp("Model directory or GGUF file.", valueName: "MODEL")) var model: String
    @Option(name: [.short, .customLong("n-prompt")], help: "Prompt tokens per pp test (0 = skip).") var p: Int = 512
    @Option(name: [.short, .customLong("n-gen")], help: "Generated tokens per tg test (0 = skip).") var n: Int = 128
    @Option(name: [.short, .customLong("threads")], help: "Thread counts, comma-separated (e.g. 1,2).") var t: String = "1"
    @Option(name: [.short, .customLong("repetitions")], help: "Timed repetitions of each test.") var r: Int = 5
    @Flag(help: "Print CSV (model,threads,test,tokens_per_s,stddev) instead of a table.") var csv = false

    func threadCounts() throws -> [Int] {
        try t.split(separator: ",").map { s in
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v >= 1, v <= 1024 else {
                throw ValidationError("-t: expected thread counts between 1 and 1024 such as 1,2, got '\(t)'")
            }
            return v
        }
    }

    func validate() throws {
        guard p >= 0, n >= 0, p + n > 0 else { throw ValidationError("-p and -n must be >= 0 and not both 0") }
        guard r >= 1 else { throw ValidationError("-r must be >= 1") }
        _ = try threadCounts()
    }

    func run() throws {
        let threads = try threadCounts()
        let lm = try LMCommandSupport.load(model, threads: threads.first)
        guard let d = lm.decoder else { throw LMCommandError(description: "\(lm.architecture) is an encoder: llm-bench times decoders") }
        for (label, count) in [("-p", p), ("-n", n)] where count > d.spec.maxContext {
            throw LMCommandError(description: "\(label) \(count) exceeds the model's context of \(d.spec.maxContext)")
        }
        let name = URL(fileURLWithPath: model).lastPathComponent
        let bytes = lm.module.parameters().reduce(0) { $0 + $1.parameter.value.byteCount }
        let params = lm.module.parameters().reduce(0) { $0 + $1.parameter.value.count }
        if csv { print("model,threads,test,tokens_per_s,stddev") } else {
            print(KernelISA.summary)
            print("| model | size | params | threads | test | t/s |")
            print("| --- | ---: | ---: | ---: | ---: | ---: |")
        }
        let bench = LLMBench(model: d, seed: 1234)
        for th in threads {
            KernelThreads.count = th
            var tests: [(String, () throws -> Void)] = []
            if p > 0 { tests.append(("pp\(p)", { try bench.prompt(tokens: p) })) }
            if n > 0 { tests.append(("tg\(n)", { try bench.generate(tokens: n) })) }
            for (test, body) in tests {
                let tokens = Double(test.hasPrefix("pp") ? p : n)
                do {
                    try body()  // warm-up, untimed (llama-bench's too)
                    var rates: [Double] = []
                    for _ in 0..<r {
                        let start = DispatchTime.now().uptimeNanoseconds
                        try body()
                        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                        rates.append(tokens / max(seconds, 1e-9))
                    }
                    let mean = rates.reduce(0, +) / Double(rates.count)
                    let sd = rates.count > 1 ? (rates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rates.count - 1)).squareRoot() : 0
                    if csv { print("\(name),\(th),\(test),\(String(format: "%.2f", mean)),\(String(format: "%.2f", sd))") } else {
                        print("| \(name) | \(String(format: "%.2f MiB", Double(bytes) / 1048576)) | \(String(format: "%.2f M", Double(params) / 1e6)) | \(th) | \(test) | \(String(format: "%.2f ± %.2f", mean, sd)) |")
                    }
                    fflush(stdout)
                } catch {
                    throw LMCommandError(description: "\(test): \(error)")
                }
            }
        }
    }
}

/// The two llama-bench tests on one decoder, with a seeded stream of random token ids.
final class LLMBench {
    let model: DecoderModel
    let cache: KVCache
    private var state: UInt64

    init(model: DecoderModel, seed: UInt64) {
        self.model = model
        cache = model.makeCache()
        state = seed
    }

    /// A pseudo-random token id (splitmix64).
    func randomToken() -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(model.spec.vocab))
    }

    /// ppN: N random tokens in one batch from an empty cache; only the last position's logits.
    func prompt(tokens: Int) throws {
        cache.reset()
        let ids = (0..<tokens).map { _ in randomToken() }
        _ = try model.forward(ids: ids, cache: cache, lastOnly: true)
    }

    /// tgN: N tokens decoded one by one from an empty cache, each fed the previous token.
    func generate(tokens: Int) throws {
        cache.reset()
        var token = randomToken()
        for _ in 0..<tokens {
            _ = try model.forward(ids: [token], cache: cache, lastOnly: true)
            token = randomToken()
        }
    }
}
