import ArgumentParser
import Foundation
import WhittleLua
import WhittlePasses

/// `whittle passes [NAME] [--json]`: every pass (built-in and plugins) with its
/// source, doc and parameters.
struct PassesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passes",
        abstract: "List compression passes (built-in, Lua and native plugins), or show one in full.",
        discussion: """
        Sources read builtin, lua:PATH or native:PATH. Plugins load as for `run`:
        WHITTLE_PLUGIN_PATH, ./Plugins, then each --plugin.
        Examples:
          whittle passes
          whittle passes prune.magnitude
          whittle passes --plugin Plugins/clip/libwhittle_clip.so --json
        """
    )

    @OptionGroup var host: HostOptions
    @OptionGroup var plugins: PluginOptions

    @Argument(help: "Show only this pass, with every parameter.")
    var name: String?

    @Flag(help: "Machine-readable JSON (an array, or one object with NAME).")
    var json = false

    func run() throws {
        let state: LuaState
        host.applyMemoryBudget()
        do { state = try LuaState(sandbox: host.sandbox) } catch { throw CLIError(String(describing: error)) }
        plugins.load(into: state)
        let all = state.passes.all
        let selected: [Pass]
        if let name {
            guard let p = all.first(where: { $0.name == name }) else {
                throw CLIError("unknown pass '\(name)' (known: \(all.map(\.name).sorted().joined(separator: ", ")))")
            }
            selected = [p]
        } else {
            selected = all
        }
        if json {
            let objects = selected.map(PassListing.json)
            let value: Any = name == nil ? objects : objects[0]
            let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else if name != nil {
            print(PassListing.detail(selected[0]))
        } else {
            print(PassListing.table(selected))
        }
    }
}

/// Text and JSON renderings of passes.
enum PassListing {
    /// One line per pass: name, source, doc.
    static func table(_ passes: [Pass]) -> String {
        guard !passes.isEmpty else { return "no passes registered" }
        let nameWidth = max(4, passes.map(\.name.count).max() ?? 0)
        let sourceWidth = max(6, passes.map(\.source.description.count).max() ?? 0)
        var lines = [pad("NAME", nameWidth) + "  " + pad("SOURCE", sourceWidth) + "  " + pad("MODELS", 10) + "  DOC"]
        for p in passes {
            lines.append(pad(p.name, nameWidth) + "  " + pad(p.source.description, sourceWidth) + "  " + pad(kinds(p), 10) + "  " + p.doc)
        }
        lines.append("\n\(passes.count) passes; `whittle passes NAME` shows one with its parameters.")
        return lines.joined(separator: "\n")
    }

    /// What a pass runs on: layer models, language models (w.lm.load) or both.
    static func kinds(_ p: Pass) -> String {
        guard let lmPass = p as? LanguageModelPass else { return "layers" }
        return lmPass.languageModelOnly ? "lm" : "layers, lm"
    }

    /// A pass in full: doc, source, each parameter with type, default, range, choices and doc
    /// (both schemas for a pass that runs on layer and language models).
    static func detail(_ p: Pass) -> String {
        var lines = ["\(p.name)  (\(p.source); runs on \(kinds(p)))", "  \(p.doc)"]
        if let lmPass = p as? LanguageModelPass {
            if !lmPass.languageModelOnly { lines += ["", "parameters on layer models:"] + parameterLines(p.params) }
            lines += ["", "parameters on language models:"] + parameterLines(lmPass.languageModelParams)
        } else {
            lines += ["", "parameters:"] + parameterLines(p.params)
        }
        return lines.joined(separator: "\n")
    }

    /// Each parameter (and the common ones) with type, default, range, choices and doc.
    private static func parameterLines(_ own: [PassParam]) -> [String] {
        var lines: [String] = []
        let params = own + OptionValidator.common.filter { c in !own.contains { $0.name == c.name } }
        let width = params.map(\.name.count).max() ?? 0
        for q in params {
            var facts = [q.type.rawValue]
            if let d = q.defaultValue { facts.append("default \(d)") } else if q.required { facts.append("required") } else { facts.append("optional") }
            if let r = q.rangeText { facts.append("in \(r)") }
            if let ch = q.choices { facts.append("one of " + ch.map { "\"\($0)\"" }.joined(separator: ", ")) }
            lines.append("  " + pad(q.name, width) + "  " + facts.joined(separator: ", "))
            lines.append("  " + String(repeating: " ", count: width) + "  " + q.doc)
        }
        return lines
    }

    /// A pass as a JSON object.
    static func json(_ p: Pass) -> [String: Any] {
        var o: [String: Any] = ["name": p.name, "doc": p.doc, "source": p.source.description, "models": kinds(p), "params": jsonParams(p.params)]
        if let lmPass = p as? LanguageModelPass { o["lm_params"] = jsonParams(lmPass.languageModelParams) }
        return o
    }

    private static func jsonParams(_ params: [PassParam]) -> [[String: Any]] {
        params.map { q -> [String: Any] in
             var o: [String: Any] = ["name": q.name, "type": q.type.rawValue, "doc": q.doc, "required": q.required]
             if let d = q.defaultValue { o["default"] = jsonValue(d) }
             if let v = q.min { o["min"] = v; o["min_exclusive"] = q.minExclusive }
             if let v = q.max { o["max"] = v; o["max_exclusive"] = q.maxExclusive }
             if let ch = q.choices { o["choices"] = ch }
             return o
         }
    }

    private static func jsonValue(_ v: PassValue) -> Any {
        switch v {
        case .number(let d): return d
        case .integer(let i): return i
        case .string(let s): return s
        case .bool(let b): return b
        case .strings(let a): return a
        default: return v.description
        }
    }

    private static func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }
}
