import ArgumentParser
import WhittleKernels
import WhittleLua
import WhittleTensor

/// The `whittle` command: subcommands are types, the executable only calls `main()`.
public struct WhittleCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "whittle",
        abstract: "Neural-network compression from Lua recipes: pruning, quantization, distillation, sharing, low-rank.",
        discussion: """
        Run a recipe with `whittle run recipe.lua`, experiment with `whittle repl`,
        and use `help()` inside Lua for the API.
        """,
        version: "whittle \(whittleVersion) (Lua 5.4), kernels: \(KernelISA.summary)",
        subcommands: subcommands
    )

    /// Every subcommand; later issues add theirs here.
    static let subcommands: [ParsableCommand.Type] = [RunCommand.self, ReplCommand.self, InspectCommand.self, PassesCommand.self, BenchCommand.self,
                                                      QuantizeCommand.self, GenerateCommand.self, PerplexityCommand.self, EmbedCommand.self,
                                                      LLMBenchCommand.self]

    public init() {}

    /// Exits with a clear message when WHITTLE_ISA names an unknown level or one this CPU lacks
    /// (the kernels would otherwise fall back silently).
    public static func checkEnvironment() {
        if case let .failure(error) = KernelISA.fromEnvironment() {
            exit(withError: ValidationError("\(error)"))
        }
    }
}

/// Options shared by the commands that start a Lua state.
struct HostOptions: ParsableArguments {
    @Flag(help: "Refuse os.execute, io.popen, native code (C modules, native plugins) and writes outside the working directory.")
    var sandbox = false

    @Option(name: .customLong("max-memory"), help: ArgumentHelp(
        "Memory budget for tensors and buffers, e.g. 8G or 512M (K/M/G/T are powers of 1000). Default: physical memory, half of it with --sandbox.",
        valueName: "SIZE"))
    var maxMemory: String?

    func validate() throws {
        if let maxMemory, (MemoryBudget.parseSize(maxMemory) ?? 0) <= 0 {
            throw ValidationError("--max-memory: expected a size such as 8G or 512M, got '\(maxMemory)'")
        }
    }

    /// Sets the process's memory budget from --max-memory and --sandbox.
    func applyMemoryBudget() {
        if let maxMemory, let bytes = MemoryBudget.parseSize(maxMemory) {
            MemoryBudget.limit = bytes
        } else if sandbox {
            MemoryBudget.limit = MemoryBudget.physicalMemory / 2
        }
    }
}
