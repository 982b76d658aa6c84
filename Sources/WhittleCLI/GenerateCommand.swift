import ArgumentParser
import Foundation
import WhittleNN

/// `whittle generate MODEL -p TEXT`: continues a prompt, streaming the tokens as they come.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a language model, streaming the tokens.",
        discussion: """
        MODEL is a Hugging Face model directory. Temperature 0 (the default) is greedy decoding;
        otherwise tokens are sampled (top-k, then top-p) from a seeded generator. Without a
        tokenizer, give the prompt as token ids with --ids; the output is then ids too.
        Example:
          whittle generate ~/.cache/whittle/models/SmolLM2 -p "The capital of France is" -n 32
        """
    )

    @Argument(help: ArgumentHelp("Model directory or file.", valueName: "MODEL")) var model: String
    @Option(name: [.short, .customLong("prompt")], help: "Prompt text.") var prompt: String?
    @Option(name: .customLong("ids"), help: "Prompt as comma-separated token ids.") var ids: String?
    @Option(name: .short, help: "Tokens to generate.") var n: Int = 64
    @Option(name: .customLong("temp"), help: "Sampling temperature (0 = greedy).") var temperature: Double = 0
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0 = all).") var topK: Int = 0
    @Option(name: .customLong("top-p"), help: "Nucleus probability (1 = all).") var topP: Double = 1
    @Option(name: .customLong("seed"), help: "Random seed for sampling.") var seed: UInt64 = 0
    @Option(name: .customLong("threads"), help: "Kernel threads.") var threads: Int?

    func validate() throws {
        guard n >= 0 else { throw ValidationError("-n must be >= 0") }
        guard temperature >= 0 else { throw ValidationError("--temp must be >= 0") }
        guard topK >= 0 else { throw ValidationError("--top-k must be >= 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard (prompt == nil) != (ids == nil) else { throw ValidationError("give exactly one of -p TEXT or --ids IDS") }
    }

    func run() throws {
        let lm = try LMCommandSupport.load(model, threads: threads)
        guard let d = lm.decoder else { throw LMCommandError(description: "\(lm.architecture) is an encoder: use `whittle embed`") }
        let promptIDs = try LMCommandSupport.tokens(lm, text: prompt, ids: ids)
        var sampler = try Sampler(temperature: Float(temperature), topK: topK, topP: Float(topP), seed: seed)
        let tokenizer = ids == nil ? lm.tokenizer : nil
        if let prompt { print(prompt, terminator: "") } else { print(promptIDs.map(String.init).joined(separator: " "), terminator: "") }
        fflush(stdout)
        var produced: [Int] = [], shown = ""
        let start = Date()
        var firstToken: Date?
        do {
            _ = try Generator.run(d, prompt: promptIDs, maxTokens: n, sampler: &sampler, stopTokens: tokenizer?.stopIDs ?? []) { token in
                if firstToken == nil { firstToken = Date() }
                produced.append(token)
                if let t = tokenizer, let text = try? t.decode(produced) {
                    // Decode the whole continuation and print what is new: a token may end inside a UTF-8 character.
                    if text.hasPrefix(shown) { print(text.dropFirst(shown.count), terminator: "") }
                    shown = text
                } else if tokenizer == nil {
                    print(" \(token)", terminator: "")
                }
                fflush(stdout)
                return true
            }
        } catch {
            throw LMCommandError(description: "\(error)")
        }
        print("")
        if LMCommandSupport.stderrIsTerminal, let first = firstToken {
            let prefill = first.timeIntervalSince(start), total = Date().timeIntervalSince(start)
            let decodeRate = produced.count > 1 ? Double(produced.count - 1) / max(total - prefill, 1e-9) : 0
            LMCommandSupport.progress(String(format: "prompt: %d tokens in %.2f s (%.1f tokens/s); generated %d tokens at %.1f tokens/s\n",
                                             promptIDs.count, prefill, Double(promptIDs.count) / max(prefill, 1e-9), produced.count, decodeRate))
        }
    }
}
