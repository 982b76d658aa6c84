import ArgumentParser
import Foundation
import WhittleNN

/// `whittle embed MODEL TEXT...`: sentence embeddings, one line of numbers per text.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Sentence embeddings (mean-pooled, L2-normalised) from an encoder such as all-MiniLM-L6-v2.",
        discussion: """
        Prints one line per text: the embedding's values separated by spaces. With --ids, each
        argument is a comma-separated list of token ids instead of a text.
        Example:
          whittle embed ~/.cache/whittle/models/all-MiniLM-L6-v2 "first sentence" "second"
        """
    )

    @Argument(help: ArgumentHelp("Model directory.", valueName: "MODEL")) var model: String
    @Argument(help: ArgumentHelp("Texts (or id lists with --ids).", valueName: "TEXT")) var texts: [String]
    @Flag(name: .customLong("ids"), help: "Arguments are comma-separated token ids.") var ids = false
    @Option(name: .customLong("threads"), help: "Kernel threads.") var threads: Int?

    func validate() throws {
        guard !texts.isEmpty else { throw ValidationError("give at least one TEXT") }
    }

    func run() throws {
        let lm = try LMCommandSupport.load(model, threads: threads)
        guard lm.encoder != nil else { throw LMCommandError(description: "\(lm.architecture) is a decoder: embeddings need an encoder such as bert") }
        let seqs = try texts.map { try LMCommandSupport.tokens(lm, text: ids ? nil : $0, ids: ids ? $0 : nil) }
        do {
            let e = try lm.embed(seqs)
            let d = e.shape[1]
            for i in 0..<e.shape[0] {
                print((0..<d).map { String(format: "%.6f", e.floats[i * d + $0]) }.joined(separator: " "))
            }
        } catch {
            throw LMCommandError(description: "\(error)")
        }
    }
}
