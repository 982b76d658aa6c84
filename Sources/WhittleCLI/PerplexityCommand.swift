import ArgumentParser
import Foundation
import WhittleNN

/// `whittle perplexity MODEL FILE`: llama.cpp's perplexity method, with its output format.
struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a language model on a text file, as llama-perplexity computes it.",
        discussion: """
        The text is tokenized (with BOS when the model adds one) and cut into chunks of --ctx tokens;
        each chunk runs from an empty cache and its second half is scored. Prints the running
        perplexity per chunk ([1]12.3456,...) and the final estimate with its ± error.
        With --base BASE it is llama-perplexity --kl-divergence instead: both models run on the same
        chunks, the base's log-probabilities are kept as llama.cpp keeps them (16-bit, 16 nats), and
        it prints the per-chunk table and the closing statistics: PPL(Q), PPL(base), ln(PPL ratio),
        KL(base||model) mean, percentiles and maximum, Δp and top-1 agreement ("Same top p").
        Examples:
          whittle perplexity MODEL Data/text/austen_persuasion.txt --ctx 512 --chunks 20
          whittle perplexity model-q4_0.gguf Data/text/austen_persuasion.txt --base model-f32.gguf --chunks 20
        """
    )

    @Argument(help: ArgumentHelp("Model directory or file.", valueName: "MODEL")) var model: String
    @Argument(help: ArgumentHelp("Text file.", valueName: "FILE")) var file: String
    @Option(name: .customLong("ctx"), help: "Tokens per chunk.") var ctx: Int = 512
    @Option(name: .customLong("chunks"), help: "Chunks to score (default: all).") var chunks: Int?
    @Option(name: .customLong("threads"), help: "Kernel threads.") var threads: Int?
    @Option(name: .customLong("base"), help: ArgumentHelp("Base model: report KL divergence against it (llama-perplexity --kl-divergence).", valueName: "BASE"))
    var base: String?

    func validate() throws {
        guard ctx >= 4 else { throw ValidationError("--ctx must be at least 4") }
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be positive") }
    }

    func run() throws {
        let lm = try LMCommandSupport.load(model, threads: threads)
        guard let d = lm.decoder else { throw LMCommandError(description: "\(lm.architecture) is an encoder: perplexity needs a decoder") }
        guard let data = FileManager.default.contents(atPath: file) else { throw LMCommandError(description: "cannot read '\(file)'") }
        let text = String(decoding: data, as: UTF8.self)
        let tokens = try LMCommandSupport.tokens(lm, text: text, ids: nil)
        if let base { return try divergence(model: d, basePath: base, tokens: tokens, bos: lm.tokenizer?.bosID) }
        let start = Date()
        let terminal = LMCommandSupport.stderrIsTerminal
        do {
            let r = try Perplexity.compute(d, tokens: tokens, ctx: ctx, chunks: chunks, bos: lm.tokenizer?.bosID) { done, total, ppl in
                print(String(format: "[%d]%.4f,", done, ppl), terminator: "")
                fflush(stdout)
                if terminal {
                    let rate = Double(done * ctx) / Date().timeIntervalSince(start)
                    LMCommandSupport.progress(String(format: "\r%d/%d chunks, %.1f tokens/s   ", done, total, rate))
                }
            }
            if terminal { LMCommandSupport.progress("\n") }
            print("")
            print(String(format: "Final estimate: PPL = %.4f +/- %.5f", r.perplexity, r.error))
            print("(\(r.chunks) chunks of \(ctx) tokens, \(r.scoredTokens) scored, \(tokens.count) tokens in the text)")
        } catch {
            throw LMCommandError(description: "\(error)")
        }
    }

    /// llama-perplexity --kl-divergence's output: the per-chunk table, then the statistics blocks.
    private func divergence(model: DecoderModel, basePath: String, tokens: [Int], bos: Int?) throws {
        let baseLM = try LMCommandSupport.load(basePath, threads: threads)
        guard let b = baseLM.decoder else { throw LMCommandError(description: "--base: \(baseLM.architecture) is an encoder: KL divergence needs a decoder") }
        let start = Date()
        let terminal = LMCommandSupport.stderrIsTerminal
        do {
            print(DivergenceResult.chunkHeader)
            let r = try Divergence.compute(base: b, model: model, tokens: tokens, ctx: ctx, chunks: chunks, bos: bos) { running in
                print(running.chunkLine())
                fflush(stdout)
                if terminal {
                    let rate = Double(running.chunks * ctx * 2) / Date().timeIntervalSince(start)
                    LMCommandSupport.progress(String(format: "\r%d chunks, %.1f tokens/s (both models)   ", running.chunks, rate))
                }
            }
            if terminal { LMCommandSupport.progress("\n") }
            print("")
            print(r.statisticsText(), terminator: "")
            print("(\(r.chunks) chunks of \(ctx) tokens, \(r.tokens) scored, \(tokens.count) tokens in the text)")
        } catch {
            throw LMCommandError(description: "\(error)")
        }
    }
}
