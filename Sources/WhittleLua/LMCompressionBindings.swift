import Foundation
import WhittleFormats
import WhittleNN
import WhittlePasses
import WhittleTensor

/// Calibrated compression of language models from Lua: GPTQ into ggml blocks and
/// llama-imatrix's importance matrices, both driven block by block on calibration text.
enum LMCompressionBindings {
    static let namespaces: [Namespace] = [
        Namespace("lm", doc: "Transformer language models and sentence encoders: load, logits, generate, perplexity, embed.", [
            Binding("gptq", "whittle.lm.gptq(lm, text, {format=\"q4_0\", ctx=512, windows=32, seed=1, damp=0.01, act_order=false, block_size=128}) -> {rows=, seconds=}",
                    "GPTQ (Frantar et al. 2022) of every attention and MLP projection into ggml blocks (\(QuantGrids.names.joined(separator: ", "))), calibrated block by block on windows of the text; the weights are replaced in place.") { c in
                let lm = try LMBindings.model(c)
                let d = try LMBindings.decoder(c, lm)
                let o = try c.options(3)
                let format = try o.string("format", default: "q4_0", choices: QuantGrids.names)
                var opts = GPTQ.Options()
                opts.damp = try o.number("damp", default: 0.01, in: 1e-6...1)
                opts.actOrder = try o.bool("act_order", default: false)
                opts.blockSize = try o.integer("block_size", default: 128, in: 32...4096)
                let windows = try calibrationWindows(c, lm, o)
                try o.finish()
                guard let grid = QuantGrids.grid(named: format) else { throw c.error("unknown format '\(format)'") }
                let start = Date()
                let rows = try DecoderCompression.gptq(d, windows: windows, grid: grid, options: opts, log: stderrLog)
                lm.provenance.record(pass: "lm.gptq", options: [
                    ("format", .string(format)), ("damp", .number(String(opts.damp))), ("act_order", .bool(opts.actOrder)),
                    ("block_size", .number(String(opts.blockSize))), ("windows", .number(String(windows.count))),
                    ("ctx", .number(String(windows.first?.count ?? 0))),
                ])
                let table: [LuaValue] = rows.map { r in
                    LuaValue.table([(.string("name"), .string(r.name)), (.string("type"), .string(r.type)), (.string("loss"), .number(r.loss)),
                                    (.string("damp"), .number(r.damp)), (.string("seconds"), .number(r.seconds))])
                }
                c.push(record: [("rows", .array(table)), ("seconds", .number(Date().timeIntervalSince(start)))])
                return 1
            },
        ]),
        Namespace("imatrix", doc: "llama.cpp importance matrices: load, save, compute.", [
            Binding("compute", "whittle.imatrix.compute(lm, text, {ctx=512, windows=32, seed=1}) -> IMatrix",
                    "llama-imatrix's definition: for every projection, the sum of x² per input column over the calibration windows and the row count, named as in GGUF files.") { c in
                let lm = try LMBindings.model(c)
                let d = try LMBindings.decoder(c, lm)
                let o = try c.options(3)
                let windows = try calibrationWindows(c, lm, o)
                try o.finish()
                let im = try DecoderCompression.imatrix(d, architecture: lm.architecture, windows: windows, log: stderrLog)
                c.push(object: IMatrixBox(im), className: "IMatrix")
                return 1
            },
        ]),
    ]

    /// Windows of the text (argument 2: a string or token ids) from the ctx/windows/seed options.
    static func calibrationWindows(_ c: LuaCall, _ lm: LanguageModel, _ o: LuaOptions) throws -> [[Int]] {
        let ctx = try o.integer("ctx", default: min(512, lm.maxContext), in: 8...lm.maxContext)
        let count = try o.integer("windows", default: 32, in: 1...100_000)
        let seed = try o.integer("seed", default: 1, in: 0...Int.max)
        let tokens = try LMBindings.ids(c, 2, "text", lm, addSpecial: false)
        return try DecoderCalibration.windows(tokens, ctx: ctx, count: count, seed: UInt64(seed))
    }

    static let stderrLog: (String) -> Void = { line in FileHandle.standardError.write(Data(("whittle: " + line + "\n").utf8)) }
}
