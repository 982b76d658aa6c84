import Foundation
import WhittleData
import WhittleFormats
import WhittleNN
import WhittlePasses
import WhittleTensor

/// Calibrated compression of language models from Lua: GPTQ into ggml blocks and
/// llama-imatrix's importance matrices, both driven block by block on calibration text.
enum LMCompressionBindings {
    static let namespaces: [Namespace] = [
        Namespace("lm", doc: "Transformer language models and sentence encoders: load, logits, generate, perplexity, embed.", [
            Binding("gptq", "whittle.lm.gptq(lm, text, {format=\"q4_0\", ctx=512, windows=32, seed=1, damp=0.01, act_order=false, block_size=128, blocks=, max_memory=}) -> report",
                    "GPTQ (Frantar et al. 2022) of every attention and MLP projection into ggml blocks (\(QuantGrids.names.joined(separator: ", "))), calibrated block by block on windows of the text; the weights are replaced in place. The same as whittle.quantize.gptq(lm, text:windows(...), opts).") { c in
                guard let host = c.host else { throw c.error("no host") }
                let lm = try LMBindings.model(c)
                _ = try LMBindings.decoder(c, lm)
                let o = try c.options(3)
                var options: [String: PassValue] = [:]
                options["format"] = .string(try o.string("format", default: "q4_0", choices: QuantGrids.names))
                options["damp"] = .number(try o.number("damp", default: 0.01, in: 1e-6...1))
                options["act_order"] = .bool(try o.bool("act_order", default: false))
                options["block_size"] = .integer(try o.integer("block_size", default: 128, in: 32...4096))
                options["data"] = .windows(try TokenWindows(windows: try calibrationWindows(c, lm, o), source: "text"))
                if o.has("blocks") { options["blocks"] = .integer(try o.integer("blocks", in: 1...100_000)) }
                if o.has("max_memory") { options["max_memory"] = .string(try o.string("max_memory")) }
                try o.finish()
                PassBindings.push(try host.passes.run("quantize.gptq", on: lm, options: options, context: host.passContext), c)
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
