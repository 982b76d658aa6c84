import CLua
import Foundation
import WhittleLua

/// Where the REPL gets lines: libedit on a terminal, plain reads otherwise.
protocol LineSource {
    /// The next line without its newline, or nil at end of input.
    func readLine(prompt: String) -> String?
    /// Records a complete entry for history.
    func remember(_ entry: String)
}

/// Reads standard input line by line (pipes, tests); echoes no prompt.
struct PlainLineSource: LineSource {
    func readLine(prompt: String) -> String? { Swift.readLine(strippingNewline: true) }
    func remember(_ entry: String) {}
}

/// The read-eval-print logic, independent of how lines arrive.
final class Repl {
    let state: LuaState

    init(state: LuaState) { self.state = state }

    /// Reads entries until end of input.
    func loop(_ input: LineSource) {
        while let first = input.readLine(prompt: "> ") {
            var entry = first
            // Keep reading while the chunk is incomplete ("<eof>" syntax errors).
            while isIncomplete(entry), let more = input.readLine(prompt: ">> ") {
                entry += "\n" + more
            }
            if entry.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            input.remember(entry)
            evaluate(entry)
        }
        print("")
    }

    /// True when `code` fails to compile only because it ends too early.
    func isIncomplete(_ code: String) -> Bool {
        if (try? state.load("return " + code, name: "=stdin")) != nil { state.discard(1); return false }
        do {
            try state.load(code, name: "=stdin")
            state.discard(1)
            return false
        } catch {
            return String(describing: error).hasSuffix("<eof>")
        }
    }

    /// Compiles `code` as an expression if it is one (printing its values), as statements otherwise.
    func evaluate(_ code: String) {
        do {
            let top = state.top
            state.recordRecipe(code)
            if (try? state.load("return " + code, name: "=stdin")) == nil {
                try state.load(code, name: "=stdin")
            }
            let n = try state.call()
            if n > 0 {
                let shown = (0..<n).map { state.pretty(top + 1 + $0) }
                print(shown.joined(separator: "\t"))
            }
            state.setTop(top)
        } catch {
            FileHandle.standardError.write(Data((String(describing: error) + "\n").utf8))
        }
        fflush(stdout)
    }
}
