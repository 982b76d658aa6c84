import Foundation
import WhittleFormats
import WhittleNN
import WhittleTensor

/// `lm:save`: a language model to GGUF (llama.cpp) or to a Hugging Face directory, plain or in
/// the compressed-tensors layout vLLM and transformers load; the recipe and passes go with it.
enum LMExportBindings {
    static let formats = ["gguf", "hf", "compressed-tensors"]

    static let lmMethods: [Binding] = [
        Binding("save", "lm:save(path, {format=\"gguf\"|\"hf\"|\"compressed-tensors\", dequantize=\"f16\"|\"bf16\"|\"f32\"})",
                "Writes the model atomically: a path ending in .gguf gives a GGUF file llama.cpp runs (weights in their current types); a directory (\"out/\") gives a Hugging Face directory (config.json, model.safetensors, tokenizer.json). format=\"compressed-tensors\" stores Q4_0 projections as pack-quantized int4, Q4_1 with integer zero points (GPTQ/AWQ format=\"q4_1_zp\") as pack-quantized asymmetric int4 and Q8_0 as int-quantized int8 (W8A8); dequantize= converts other block types to a float type. The recipe, the passes run and the source's SHA-256 are stored as whittle.* metadata.") { c in
            let lm = try LMBindings.model(c)
            let path = try c.string(2, "path")
            let o = try c.options(3)
            let inferred = path.lowercased().hasSuffix(".gguf") ? "gguf" : "hf"
            let format = try o.string("format", default: inferred, choices: formats)
            let dequantize = o.has("dequantize") ? try o.string("dequantize", choices: ["f32", "f16", "bf16"]) : nil
            try o.finish()
            if format == "gguf" && !path.lowercased().hasSuffix(".gguf") {
                throw c.error("'path': a GGUF file's name ends in .gguf, got '\(path)'")
            }
            if format != "gguf" && path.lowercased().hasSuffix(".gguf") {
                throw c.error("'path': format '\(format)' writes a directory, got a .gguf name '\(path)'")
            }
            let target = try c.host?.checkWritable(path) ?? path
            var provenance = lm.provenance
            provenance.recipe = c.host?.recipeText
            let meta = provenance.metadata(version: whittleVersion)
            if format == "gguf" {
                if dequantize != nil { throw c.error("'dequantize' applies to directory formats (GGUF holds every ggml type)") }
                try GGUFExport.save(lm, to: target, provenance: meta)
            } else {
                var options = HFExport.Options()
                options.compressedTensors = format == "compressed-tensors"
                options.dequantize = dequantize.flatMap { DType(name: $0) }
                try HFExport.save(lm, to: target, options: options, provenance: meta)
            }
            return 0
        },
    ]
}
