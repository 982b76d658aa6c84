import ArgumentParser
import Foundation
import WhittleLua

/// `whittle run`: runs a recipe file, code given with -e, or standard input.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua recipe.",
        discussion: """
        Arguments after FILE reach the recipe in the global table `arg` (arg[0] is
        FILE), as with the `lua` interpreter, and as `...` in the main chunk.
        Use `-` as FILE to read the recipe from standard input. Modules are
        found next to the recipe and on LUA_PATH.
        Examples:
          whittle run Scripts/recipes/demo.lua
          whittle run -e 'print(whittle.tensor{{1,2},{3,4}})'
          echo 'print(1 + 1)' | whittle run -
        """
    )

    @OptionGroup var host: HostOptions
    @OptionGroup var plugins: PluginOptions

    @Option(name: .customShort("e"), help: ArgumentHelp("Run CODE (before FILE, if both are given).", valueName: "CODE"))
    var execute: [String] = []

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The recipe (or -) and its arguments.", valueName: "FILE [ARGS...]"))
    var fileAndArguments: [String] = []

    func validate() throws {
        // Passthrough capture would hand --help to the recipe as its file name.
        if let first = fileAndArguments.first, first == "--help" || first == "-h" {
            throw CleanExit.helpRequest(self)
        }
        if execute.isEmpty && fileAndArguments.isEmpty {
            throw ValidationError("give a recipe FILE, '-' for standard input, or -e CODE")
        }
    }

    func run() throws {
        let state: LuaState
        host.applyMemoryBudget()
        do { state = try LuaState(sandbox: host.sandbox) } catch { throw CLIError(String(describing: error)) }
        plugins.load(into: state)
        let file = fileAndArguments.first
        state.setScriptArguments(script: file ?? "-e", Array(fileAndArguments.dropFirst()))
        do {
            for code in execute {
                state.recordRecipe(code)
                try state.run(code, name: "=(command line)")
            }
            guard let file else { return }
            let (code, name) = try readRecipe(file)
            if file != "-" {
                state.addModuleDirectory(URL(fileURLWithPath: file).deletingLastPathComponent().path)
            }
            state.recordRecipe(code)
            try state.load(code, name: name)
            for a in fileAndArguments.dropFirst() { state.pushString(a) }
            try state.call(nargs: Int32(fileAndArguments.count - 1), nresults: 0)
        } catch let error as LuaHostError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
    }

    /// The recipe's text and chunk name ("@path" so errors read "path:line:").
    private func readRecipe(_ file: String) throws -> (String, String) {
        if file == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            return (String(decoding: data, as: UTF8.self), "=stdin")
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir) else {
            throw CLIError("cannot open recipe '\(file)': no such file")
        }
        guard !isDir.boolValue, let data = FileManager.default.contents(atPath: file) else {
            throw CLIError("cannot read recipe '\(file)'\(isDir.boolValue ? ": it is a directory" : "")")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("#") {  // a shebang line, as lua skips it; keep the line count
            text = "--" + text
        }
        return (text, "@" + file)
    }
}

/// A one-line error for the person at the terminal; ArgumentParser prints it and exits 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
