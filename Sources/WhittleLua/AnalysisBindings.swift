import CLua
import CLuaShim
import Foundation
import WhittleData
import WhittleFormats
import WhittleNN
import WhittlePasses

/// `whittle.sensitivity`: per-layer pruning sensitivity table, optionally plotted as SVG.
enum AnalysisBindings {
    /// Registered by `Library.namespaces`.
    static let namespaces: [Namespace] = [Namespace("", doc: "analysis", [sensitivity])]

    static let sensitivity = Binding(
        "sensitivity",
        "whittle.sensitivity(model, data, {levels={0.5,0.7,0.9}, targets=\"*.weight\", plot=\"sens.svg\", print=true}) -> {baseline=, levels=, rows={{target=, accuracy={...}}}, text=}",
        "Prunes each target alone at each level (magnitude), evaluates on data, prints and returns the accuracy table; plot= writes an SVG line chart."
    ) { c in
        let model = try c.object(1, "model", Model.self, className: "Model")
        let data = try c.object(2, "data", Dataset.self, className: "Dataset")
        let o = try c.options(3)
        let levels: [Double] = try o.value("levels") { c in
            guard !c.isNil(-1) else { return [0.5, 0.7, 0.9] }
            guard lua_type(c.L, -1) == LUA_TTABLE else { throw c.error("'levels' must be a table of numbers, got \(Lua.typeName(c.L, -1))") }
            let t = Lua.absolute(c.L, -1)
            return try (0..<Int(lua_rawlen(c.L, t))).map { k in
                lua_rawgeti(c.L, t, lua_Integer(k + 1))
                defer { Lua.pop(c.L) }
                guard let v = Lua.number(c.L, -1) else { throw c.error("'levels'[\(k + 1)] must be a number, got \(Lua.typeName(c.L, -1))") }
                return v
            }
        }
        let targets: [String] = try o.value("targets") { c in
            if c.isNil(-1) { return ["*.weight"] }
            switch try PassBindings.passValue(c, -1, "targets") {
            case .string(let s): return [s]
            case .strings(let a): return a
            default: throw c.error("'targets' must be a string or a list of strings")
            }
        }
        let plot: String? = o.has("plot") ? try o.string("plot") : nil
        let show = try o.bool("print", default: true)
        try o.finish()
        let plotTarget = try plot.map { try c.host?.checkWritable($0) ?? $0 }
        let log = c.host?.passContext.log ?? { _ in }
        let result = try Sensitivity.analyze(model, data, levels: levels, targets: targets, progress: log)
        if let plotTarget { try AtomicFile.write(Data(result.svg().utf8), to: plotTarget) }
        if show { print(result.description) }
        LuaValue.table([
            (.string("baseline"), .number(result.baseline)),
            (.string("levels"), .array(result.levels.map { .number($0) })),
            (.string("rows"), .array(result.rows.map { r in
                .table([(.string("target"), .string(r.target)), (.string("accuracy"), .array(r.accuracy.map { .number($0) }))])
            })),
            (.string("text"), .string(result.description)),
        ]).push(c.L)
        return 1
    }
}
