import CEditLine
import Foundation
import WhittleLua

/// Line editing, history and Tab completion through libedit's readline interface.
final class LineEditor: LineSource {
    private let historyPath: String

    init(state: LuaState) {
        historyPath = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.whittle_history"
        Completion.state = state
        // Dots and colons stay inside the word so "whittle.nn.li" completes as one name.
        rl_completer_word_break_characters = strdup(" \t\n\"'`@$><=;|&{(,+-*/")
        rl_attempted_completion_function = { text, _, _ in
            rl_attempted_completion_over = 1
            return rl_completion_matches(text, { text, state in Completion.next(text, state) })
        }
        _ = read_history(historyPath)
    }

    func readLine(prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }

    func remember(_ entry: String) {
        add_history(entry)
        _ = write_history(historyPath)
    }
}

/// Tab completion candidates: names in the live Lua state (globals, `whittle.*`,
/// plugin passes) plus every name of the binding tables.
enum Completion {
    nonisolated(unsafe) static var state: LuaState?
    nonisolated(unsafe) private static var matches: [String] = []
    nonisolated(unsafe) private static var cursor = 0

    /// readline's generator protocol: state 0 starts a new completion.
    static func next(_ text: UnsafePointer<CChar>?, _ index: Int32) -> UnsafeMutablePointer<CChar>? {
        if index == 0 {
            let prefix = text.map { String(cString: $0) } ?? ""
            matches = candidates(prefix)
            cursor = 0
        }
        guard cursor < matches.count else { return nil }
        defer { cursor += 1 }
        return strdup(matches[cursor])
    }

    static func candidates(_ prefix: String) -> [String] {
        var names = Set(state?.names(completing: prefix) ?? [])
        names.formUnion(WhittleLibrary.completionNames.filter { $0.hasPrefix(prefix) })
        return names.sorted()
    }
}
