import ArgumentParser
import Foundation
import WhittleLua

/// `whittle repl`: an interactive Lua session with `whittle` loaded.
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Interactive Lua with whittle loaded (like lua -i, with completion and history).",
        discussion: """
        An expression prints its value (no `=` or `return` needed); unfinished
        input continues on the next line; errors are printed and the session
        goes on. Tab completes names (try `whittle.<TAB>`), help(f) documents a
        binding, Ctrl-D exits. History is kept in ~/.whittle_history.
        """
    )

    @OptionGroup var host: HostOptions
    @OptionGroup var plugins: PluginOptions

    @Option(name: .customShort("e"), help: ArgumentHelp("Run CODE before the first prompt.", valueName: "CODE"))
    var execute: [String] = []

    func run() throws {
        let state: LuaState
        host.applyMemoryBudget()
        do { state = try LuaState(sandbox: host.sandbox) } catch { throw CLIError(String(describing: error)) }
        plugins.load(into: state)
        let repl = Repl(state: state)
        for code in execute { repl.evaluate(code) }
        let interactive = isatty(STDIN_FILENO) != 0
        let input: LineSource = interactive ? LineEditor(state: state) : PlainLineSource()
        if interactive {
            print("Whittle \(whittleVersion) (Lua 5.4). help() for the API, Tab completes, Ctrl-D exits.")
        }
        repl.loop(input)
    }
}
